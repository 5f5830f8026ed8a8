using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Core.Model;
using Vessel.Core.Validation;
using Vessel.Engines.Qemu.Qmp;

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

    /// <summary>
    /// Gives the display on TCP (vm.vnc.address) the instance's password, never on QEMU's command line, and returns where
    /// it listens: with a port range or auto, QEMU took the first free port.
    /// </summary>
    private static async Task<string> OpenTcpDisplayAsync(QmpClient monitor, Instance instance, CancellationToken cancellationToken)
    {
        var password = instance.Config.GetValueOrDefault(VncDisplay.PasswordKey)
            ?? throw new ConflictException($"virtual machine \"{instance.Name}\" has {VncDisplay.AddressKey} but no {VncDisplay.PasswordKey}; set {VncDisplay.AddressKey} again");
        await monitor.ExecuteAsync("set_password", new JsonObject
        {
            ["protocol"] = "vnc", ["display"] = QemuCommandLine.TcpDisplayId, ["password"] = password,
        }, cancellationToken: cancellationToken);
        var servers = await monitor.ExecuteAsync("query-vnc-servers", cancellationToken: cancellationToken);
        var listener = servers.EnumerateArray().Single(s => s.GetProperty("id").GetString() == QemuCommandLine.TcpDisplayId)
            .GetProperty("server").EnumerateArray().First();
        return VncDisplay.Format(IPAddress.Parse(listener.GetProperty("host").GetString()!),
            int.Parse(listener.GetProperty("service").GetString()!, CultureInfo.InvariantCulture));
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
