using System.Net.Sockets;
using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Engines.Container.Shim;
using Vessel.Linux;

namespace Vessel.Engines.Container;

public sealed partial class ContainerDriver
{
    public async Task<Stream> AttachConsoleAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        var name = context.Instance.Name;
        var state = RunningState(context)
            ?? throw new ConflictException($"container \"{name}\" is not running; vessel console --show-log prints what its console printed");
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(Path.Combine(context.RunDirectory, ContainerShim.ConsoleSocket)), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new ConflictException($"the console of container \"{name}\" is unavailable: its supervisor (vessel-shim pid {state.ShimPid}) " +
                $"does not answer ({e.Message}); restart the container to get it back");
        }
    }

    public Task ResizeConsoleAsync(InstanceContext context, int columns, int rows, CancellationToken cancellationToken)
    {
        if (RunningState(context)?.ConsolePath is { } path)
        {
            using var terminal = Pty.OpenSlave(path);
            Pty.Resize(terminal, columns, rows);
        }
        return Task.CompletedTask;
    }

    public Task<Stream> AttachDisplayAsync(InstanceContext context, CancellationToken cancellationToken) =>
        throw new BadRequestException($"container \"{context.Instance.Name}\" has no graphical console, only a text one (vessel console)");

    public async Task<string> ReadConsoleLogAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        var path = context.ConsoleLog;
        if (!File.Exists(path))
            return "";
        await using var log = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(log);
        return await reader.ReadToEndAsync(cancellationToken);
    }
}
