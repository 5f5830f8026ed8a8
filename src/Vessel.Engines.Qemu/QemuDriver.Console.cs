using System.Net.Sockets;
using Vessel.Core;
using Vessel.Core.Drivers;

namespace Vessel.Engines.Qemu;

public sealed partial class QemuDriver
{
    /// <summary>The serial console (ttyS0) socket. QEMU serves one client at a time: a second one waits until the first leaves.</summary>
    public async Task<Stream> AttachConsoleAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        var name = context.Instance.Name;
        var paths = PathsOf(context);
        if (RunningState(paths) is null)
            throw new ConflictException($"virtual machine \"{name}\" is not running; vessel console --show-log prints what its console printed");
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(paths.Console), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new ConflictException($"the serial console of virtual machine \"{name}\" is unavailable ({e.Message})");
        }
    }

    public async Task<string> ReadConsoleLogAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        var path = PathsOf(context).ConsoleLog;
        if (!File.Exists(path))
            return "";
        await using var log = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(log);
        return await reader.ReadToEndAsync(cancellationToken);
    }
}
