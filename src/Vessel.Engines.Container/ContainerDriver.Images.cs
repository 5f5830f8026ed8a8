using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Engines.Container.Roots;
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
        var tree = ContainerRoot.Of(context).Tree(context, snapshot)
            ?? throw new NotFoundException($"container {instance.Name} has no {(snapshot is null ? "root" : $"snapshot {snapshot}")} to publish");
        var privileged = Privileged(instance);
        (uint, uint)? idmap = privileged ? null : (Idmap.Default.Base, Idmap.Default.Size);
        var archive = Path.Combine(workDirectory, "rootfs.tar");
        if (!tree.OnlyChanges)
        {
            await VolumeArchive.WriteTreeAsync(tree.Path, idmap, archive, cancellationToken);
            return archive;
        }
        var lower = await ImageCache.EnsureAsync(ImageOf(context), cancellationToken);
        var mountPoint = Directory.CreateDirectory(Path.Combine(workDirectory, "rootfs")).FullName;
        await VolumeArchive.WriteMergedAsync([tree.Path, lower], userXattrs: !privileged, idmap, mountPoint, archive, cancellationToken);
        return archive;
    }
}
