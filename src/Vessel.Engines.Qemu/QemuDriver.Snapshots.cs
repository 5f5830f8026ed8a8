using Vessel.Core;
using Vessel.Core.Drivers;

namespace Vessel.Engines.Qemu;

public sealed partial class QemuDriver
{
    private const string SnapshotsLater = "snapshots of virtual machines are not supported yet (qcow2 internal snapshots come next)";

    public Task CreateSnapshotAsync(InstanceContext context, string snapshot, bool stateful, CancellationToken cancellationToken) =>
        throw new NotSupportedYetException(SnapshotsLater);

    public Task RestoreSnapshotAsync(InstanceContext context, string snapshot, CancellationToken cancellationToken) =>
        throw new NotSupportedYetException(SnapshotsLater);

    public Task DeleteSnapshotAsync(InstanceContext context, string snapshot, CancellationToken cancellationToken) =>
        throw new NotSupportedYetException(SnapshotsLater);
}
