using Vessel.Linux.Seccomp;

namespace Vessel.Engines.Container.Init;

/// <summary>The seccomp filter of every process in a container, its init and what exec runs: Docker's default deny list and more.</summary>
public static class ContainerSeccomp
{
    private const int Ioctl = 16; // x86_64, as DockerDefault is

    // BTRFS_IOC_SNAP_CREATE, SUBVOL_CREATE, SNAP_CREATE_V2, SUBVOL_CREATE_V2 (linux/btrfs.h). Any user may make a
    // subvolume in a directory they can write, and its data is not charged to the qgroup that limits the container's
    // root or volume on a btrfs pool: refused, the quota would be a suggestion.
    private static readonly uint[] BtrfsCreateSubvolume = [0x50009401, 0x5000940E, 0x50009417, 0x50009418];

    public static byte[] Filter() =>
        DenyFilter.Build([.. DockerDefault.Rules(), new DenyFilter.RefuseIfArgIn(Ioctl, 1, BtrfsCreateSubvolume)]);
}
