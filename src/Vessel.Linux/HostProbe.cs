namespace Vessel.Linux;

/// <summary>What <c>vessel doctor</c> prints: one check per host capability Vessel relies on.</summary>
public static partial class HostProbe
{
    public static IReadOnlyList<HostCheck> Run() => Run(new HostFiles());

    public static IReadOnlyList<HostCheck> Run(HostFiles files)
    {
        ArgumentNullException.ThrowIfNull(files);
        return
        [
            Virtualization(files),
            Program(files, "qemu-system-x86_64", CheckStatus.Fail, "apt-get install qemu-system-x86 qemu-utils"),
            Program(files, "qemu-system-aarch64", CheckStatus.Warn, "apt-get install qemu-system-arm"),
            Program(files, "qemu-img", CheckStatus.Fail, "apt-get install qemu-system-x86 qemu-utils"),
            Program(files, "genisoimage", CheckStatus.Warn, "apt-get install genisoimage"),
            Cgroups(files),
            UserNamespaces(files),
            Filesystem(files, "overlayfs", "overlay", "overlayfs", "modprobe overlay (kernel needs CONFIG_OVERLAY_FS)"),
            Filesystem(files, "btrfs", "btrfs", "btrfs", "apt-get install btrfs-progs && modprobe btrfs"),
            Program(files, "mkfs.btrfs", CheckStatus.Warn, "apt-get install btrfs-progs", name: "btrfs-progs"),
            Program(files, "nft", CheckStatus.Warn, "apt-get install nftables", name: "nftables"),
            Bridge(files),
            Tun(files),
            Program(files, "dnsmasq", CheckStatus.Warn, "apt-get install dnsmasq-base"),
            Program(files, "mmdebstrap", CheckStatus.Warn, "apt-get install mmdebstrap"),
            Systemd(files),
        ];
    }
}
