using System.Net.Sockets;

namespace Vessel.Linux.Tests;

public sealed class UnixSocketsTests
{
    [Fact]
    public void Listen_PollAccept_CarriesBytesBothWays()
    {
        var path = Path.Combine(Path.GetTempPath(), $"vessel-sock-{Guid.NewGuid():N}");
        try
        {
            using var listener = UnixSockets.Listen(path, 1);
            Assert.False(FdPoll.Wait([new(Fds.Number(listener), FdPoll.In)], 0)); // nobody has connected

            using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            client.Connect(new UnixDomainSocketEndPoint(path));
            FdPoll.Entry[] entries = [new(Fds.Number(listener), FdPoll.In)];
            Assert.True(FdPoll.Wait(entries, 5000));
            Assert.Equal(FdPoll.In, entries[0].Returned);
            using var accepted = new FileStream(UnixSockets.Accept(listener), FileAccess.ReadWrite, 0);
            UnixSockets.SetSendTimeout(accepted.SafeFileHandle, TimeSpan.FromSeconds(2));

            client.Send("ping"u8);
            var buffer = new byte[16];
            Assert.Equal("ping", System.Text.Encoding.ASCII.GetString(buffer, 0, accepted.Read(buffer)));
            accepted.Write("pong"u8);
            Assert.Equal("pong", System.Text.Encoding.ASCII.GetString(buffer, 0, client.Receive(buffer)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Listen_PathTaken_SaysWhich()
    {
        var path = Path.Combine(Path.GetTempPath(), $"vessel-sock-{Guid.NewGuid():N}");
        File.WriteAllText(path, "");
        try
        {
            var error = Assert.Throws<LinuxException>(() => UnixSockets.Listen(path, 1));
            Assert.Contains(path, error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
