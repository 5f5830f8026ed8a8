using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Linux;

namespace Vessel.Engines.Container;

/// <summary>A container published as an image: its root filesystem as it sees it (its image under what it changed), one tarball.</summary>
public sealed partial class ContainerDriver
{
    public async Task<string> PublishAsync(InstanceContext context, string? snapshot, string workDirectory, CancellationToken cancellationToken)
    {
        var instance = context.Instance;
        if (snapshot is null && RunningState(context) is not null)
            throw new ConflictException($"container {instance.Name} is running; stop it to publish it, or publish one of its snapshots");
        var upper = snapshot is null ? Path.Combine(context.RootVolumePath, Upper) : Path.Combine(SnapshotDirectory(context, snapshot), Upper);
        if (!Directory.Exists(upper))
            throw new NotFoundException($"container {instance.Name} has no {(snapshot is null ? "root" : $"snapshot {snapshot}")} to publish");
        var privileged = Privileged(instance);
        var image = context.ImagePath ?? throw new BadRequestException("a container needs an image");
        var lower = await ImageCache.EnsureAsync(image, FormatOf(image), UidOffset(instance), privileged, cancellationToken);
        var mountPoint = Directory.CreateDirectory(Path.Combine(workDirectory, "rootfs")).FullName;
        var archive = Path.Combine(workDirectory, "rootfs.tar");
        await VolumeArchive.WriteMergedAsync([upper, lower], userXattrs: !privileged, privileged ? null : (Idmap.Default.Base, Idmap.Default.Size),
            mountPoint, archive, cancellationToken);
        return archive;
    }
}
