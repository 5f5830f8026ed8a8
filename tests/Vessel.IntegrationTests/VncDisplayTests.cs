using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Vessel.Core.Api;
using Vessel.Core.Model;

namespace Vessel.IntegrationTests;

/// <summary>A VM's display on a loopback TCP port (vm.vnc.address), reached as a VNC client does: RFB 3.8 with VNC authentication.</summary>
public sealed partial class VncDisplayTests : IDisposable
{
    private readonly Host _host = new();

    public VncDisplayTests() => _host.StartDaemon();

    public void Dispose() => _host.Dispose();

    private static void Ok(CliResult result) => Assert.True(result.ExitCode == 0, result.ToString());

    [GeneratedRegex(@"^VNC: (?<address>\S+), password (?<password>\S{8})$", RegexOptions.Multiline)]
    private static partial Regex VncLine();

    /// <summary>Where the display listens and its password, as vessel info tells root.</summary>
    private (IPEndPoint Address, string Password) Display(string name)
    {
        var info = _host.Vessel("info", name);
        var match = VncLine().Match(info.Stdout);
        Assert.True(match.Success, info.ToString());
        return (IPEndPoint.Parse(match.Groups["address"].Value), match.Groups["password"].Value);
    }

    [Fact]
    public void LoopbackPort_TakesTheRightPasswordOnly_SurvivesADaemonRestart_AndABusyPortFailsTheStartCleanly_ACopyGetsItsOwn()
    {
        Ok(_host.Vessel("image", "build", "busybox", "--vm"));
        Ok(_host.Vessel("launch", "busybox", "vm1", "--vm", "--network", "none", "-c", "limits.memory=256MiB", "-c", "vm.vnc.address=127.0.0.1:auto"));

        var (address, password) = Display("vm1");
        Assert.Equal(IPAddress.Loopback, address.Address);
        Assert.InRange(address.Port, 5900, 5999);
        Assert.Equal(password, _host.Vessel("config", "get", "vm1", "volatile.vnc.password").Stdout.Trim());
        Assert.Equal(0u, Authenticate(address, password));
        Assert.NotEqual(0u, Authenticate(address, password == "wrongpw1" ? "wrongpw2" : "wrongpw1"));

        // The daemon dies and comes back: the VM, its display and its password are as they were.
        _host.KillDaemon(9);
        _host.StartDaemon();
        Assert.Equal((address, password), Display("vm1"));
        Assert.Equal(0u, Authenticate(address, password));

        var live = _host.Vessel("config", "set", "vm1", "vm.vnc.address=127.0.0.1:5950");
        Assert.Equal(1, live.ExitCode);
        Assert.Equal("Error: vm.vnc.address cannot change while the virtual machine runs; stop it first\n", live.Stderr);
        var wide = _host.Vessel("config", "set", "vm1", "vm.vnc.address=0.0.0.0:5950");
        Assert.Equal(1, wide.ExitCode);
        Assert.StartsWith("Error: vm.vnc.address: 0.0.0.0 is not a loopback address", wide.Stderr, StringComparison.Ordinal);

        // A port someone else holds: QEMU cannot listen, the start fails and leaves no QEMU behind.
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var busy = ((IPEndPoint)holder.LocalEndpoint).Port;
        var failed = _host.Vessel("launch", "busybox", "vm2", "--vm", "--network", "none", "-c", "limits.memory=256MiB", "-c", $"vm.vnc.address=127.0.0.1:{busy}");
        Assert.Equal(1, failed.ExitCode);
        Assert.StartsWith($"Error: vm.vnc.address: no port of 127.0.0.1:{busy} is free", failed.Stderr, StringComparison.Ordinal);
        Assert.Equal(InstanceStatus.Stopped, JsonSerializer.Deserialize(_host.Vessel("list", "--format", "json").Stdout, VesselJson.Wire.ListInstance)!
            .Single(i => i.Name == "vm2").Status);
        Assert.DoesNotContain(Host.CommandLines("qemu-system-x86_64"), c => c.Contains(Path.Combine(_host.RunDirectory, "instances", "vm2"), StringComparison.Ordinal));

        Ok(_host.Vessel("stop", "vm1", "--force"));
        using var gone = new TcpClient();
        Assert.Throws<SocketException>(() => gone.Connect(address));
        Ok(_host.Vessel("copy", "vm1", "vm3"));
        var copied = _host.Vessel("config", "get", "vm3", "volatile.vnc.password").Stdout.Trim();
        Assert.Equal(8, copied.Length);
        Assert.NotEqual(password, copied);
        Ok(_host.Vessel("config", "unset", "vm3", "vm.vnc.address"));
        Assert.DoesNotContain("volatile.vnc.password", _host.Vessel("config", "show", "vm3").Stdout, StringComparison.Ordinal);
        Ok(_host.Vessel("delete", "vm1"));
        Ok(_host.Vessel("delete", "vm2"));
        Ok(_host.Vessel("delete", "vm3"));
    }

    /// <summary>Speaks RFB 3.8 up to the security result: 0 is OK, anything else a failure.</summary>
    private static uint Authenticate(IPEndPoint address, string password)
    {
        using var client = new TcpClient();
        client.Connect(address);
        using var stream = client.GetStream();
        stream.ReadTimeout = 10_000;
        Assert.Equal("RFB 003.008\n", Encoding.ASCII.GetString(Read(stream, 12)));
        stream.Write("RFB 003.008\n"u8);
        var types = Read(stream, Read(stream, 1)[0]);
        Assert.Equal([2], types); // VNC authentication, and no way around it
        stream.WriteByte(2);
        stream.Write(ChallengeResponse(Read(stream, 16), password));
        return BinaryPrimitives.ReadUInt32BigEndian(Read(stream, 4));
    }

    /// <summary>
    /// VNC authentication: the 16-byte challenge encrypted with DES (ECB), the key being the password's first 8 bytes,
    /// zero-padded, each byte with its bits in reverse order.
    /// </summary>
    private static byte[] ChallengeResponse(byte[] challenge, string password)
    {
        var key = new byte[8];
        Encoding.ASCII.GetBytes(password).AsSpan(0, Math.Min(8, password.Length)).CopyTo(key);
        for (var i = 0; i < key.Length; i++)
            key[i] = (byte)((key[i] * 0x0202020202UL & 0x010884422010UL) % 1023); // reverses the bits of a byte
#pragma warning disable CA5351 // the protocol is DES; the test has to speak it
        using var des = DES.Create();
#pragma warning restore CA5351
        des.Key = key;
        return des.EncryptEcb(challenge, PaddingMode.None);
    }

    private static byte[] Read(NetworkStream stream, int count)
    {
        var buffer = new byte[count];
        stream.ReadExactly(buffer);
        return buffer;
    }
}
