using Vessel.Core.Drivers;

namespace Vessel.Daemon.Instances;

public sealed partial class InstanceService
{
    public async Task<Stream> OpenFileAsync(string name, string? path, CancellationToken cancellationToken)
    {
        var file = InstanceFile.ValidatePath(path);
        var (driver, context) = await RunningAsync(name, "read a file of", cancellationToken);
        return await driver.OpenFileAsync(context, file, cancellationToken);
    }

    public async Task WriteFileAsync(string name, string? path, Stream content, InstanceFile file, CancellationToken cancellationToken)
    {
        var target = InstanceFile.ValidatePath(path);
        await using var instanceLock = await _locks.LockAsync(name, cancellationToken); // not into a root a restore is swapping
        var (driver, context) = await RunningAsync(name, "write a file in", cancellationToken);
        await driver.WriteFileAsync(context, target, content, file, cancellationToken);
        events.Lifecycle("instance-file-pushed", $"{Path(name)}/files?path={Uri.EscapeDataString(target)}");
    }
}
