using System.Net.Sockets;
using Vessel.Core;
using Vessel.Core.Drivers;

namespace Vessel.Engines.Qemu;

public sealed partial class QemuDriver
{
    /// <summary>The serial console (ttyS0, ttyAMA0 on aarch64) socket. QEMU serves one client at a time: a second one waits until the first leaves.</summary>
    public Task<Stream> AttachConsoleAsync(InstanceContext context, CancellationToken cancellationToken) =>
        ConnectAsync(context, PathsOf(context).Console, "serial console", cancellationToken);

    /// <summary>A serial line has no size to set; the guest learns it only if told (stty), as with any serial console.</summary>
    public Task ResizeConsoleAsync(InstanceContext context, int columns, int rows, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>QEMU's VNC server on its unix socket; the daemon's own authentication guards it, so it has no VNC password.</summary>
    public Task<Stream> AttachDisplayAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        var machine = QemuMachine.For(context.Instance.Architecture, context.Instance.Config);
        if (!machine.Display)
            throw new NotSupportedYetException($"virtual machine \"{context.Instance.Name}\" runs on a {machine.Name} machine, which has no graphical console yet (q35 has one); use its serial console");
        return ConnectAsync(context, PathsOf(context).Vnc, "graphical console", cancellationToken);
    }

    private static async Task<Stream> ConnectAsync(InstanceContext context, string path, string what, CancellationToken cancellationToken)
    {
        var name = context.Instance.Name;
        if (RunningState(PathsOf(context)) is null)
            throw new ConflictException($"virtual machine \"{name}\" is not running, so its {what} is closed");
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new ConflictException($"the {what} of virtual machine \"{name}\" is unavailable ({e.Message})");
        }
    }

    /// <summary>What the serial console printed lately: at most the driver's console log limit, so it may begin inside a line.</summary>
    public Task<string> ReadConsoleLogAsync(InstanceContext context, CancellationToken cancellationToken) =>
        ConsoleLog.ReadAsync(PathsOf(context).ConsoleLog, cancellationToken);
}
