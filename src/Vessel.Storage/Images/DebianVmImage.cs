using Vessel.Core;

namespace Vessel.Storage.Images;

/// <summary>
/// The virtual-machine flavour of the Debian image. mmdebstrap's minbase with systemd, udev, dbus (so that logind turns
/// the ACPI power button into a clean poweroff), Debian's cloud kernel with an initramfs of only the virtio disk modules,
/// qemu-guest-agent (its udev rule starts it once the virtio port org.qemu.guest_agent.0 shows up), openssh-server (host
/// keys made on each instance's first boot, never shared), systemd-networkd asking DHCP on every ethernet link (DNS through
/// systemd-resolved), a udev rule that onlines hotplugged vCPUs, and
/// cloud-init reading only the NoCloud seed Vessel attaches (user-data, network-config rendered for networkd). The
/// tree becomes an ext4 file system (mkfs.ext4 -d) in a compressed qcow2, packed with the kernel and initramfs as a
/// <see cref="KernelImageLayout"/> image: the QEMU engine boots the kernel directly with root=/dev/vda, the fastest boot
/// under TCG, and each instance's disk is a copy-on-write overlay on the image's.
/// </summary>
public static class DebianVmImage
{
    public const string CommandLine = "root=/dev/vda rw console=ttyS0 quiet";

    /// <summary>The size of the root file system, and so of every instance's root disk (qcow2 keeps only what is used).</summary>
    public const long DiskBytes = 4L << 30;

    private const string KeygenUnit = """
        [Unit]
        Description=Generate the SSH host keys of this machine
        ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key
        Before=ssh.service

        [Service]
        Type=oneshot
        ExecStart=/usr/bin/ssh-keygen -A

        [Install]
        WantedBy=multi-user.target

        """;

    // Only local seeds: probing for clouds that are not there costs a TCG guest many seconds at every boot. With more than
    // one source listed, ds-identify looks for them and turns cloud-init off for the boot when it finds none (no cloud-init.*
    // keys, no seed); with just one it would run cloud-init at every boot.
    private const string CloudInitConfig = """
        datasource_list: [NoCloud, ConfigDrive, None]
        # The image generates no locales: C.UTF-8 is built into glibc, so update-locale accepts it.
        locale: C.UTF-8
        system_info:
          network:
            renderers: [networkd]

        """;

    // cloud-init waits for network-online.target, and the whole boot waits for cloud-init: a VM without a nic (or whose DHCP
    // is slow) would stall two minutes; any one link online is enough, and ten seconds is the most it waits.
    private const string WaitOnlineDropIn = """
        [Service]
        ExecStart=
        ExecStart=/lib/systemd/systemd-networkd-wait-online --any --timeout=10

        """;

    private const string DhcpNetwork = """
        [Match]
        Type=ether

        [Network]
        DHCP=yes

        """;

    // A vCPU hotplugged into the running guest (limits.cpu) comes offline; Debian's udev has no rule that onlines it.
    private const string CpuOnlineRule = """
        SUBSYSTEM=="cpu", ACTION=="add", TEST=="online", ATTR{online}=="0", ATTR{online}="1"

        """;

    /// <summary>The packages of the VM flavour, which replace <see cref="DebianImage.BasePackages"/>.</summary>
    /// <exception cref="NotSupportedYetException">Debian has no cloud kernel for the architecture.</exception>
    public static IReadOnlyList<string> Packages(string architecture) =>
    [
        .. DebianImage.BasePackages, "dbus", "udev", "initramfs-tools", "qemu-guest-agent", "openssh-server", "cloud-init", "systemd-resolved",
        architecture switch
        {
            "amd64" or "arm64" => $"linux-image-cloud-{architecture}",
            _ => throw new NotSupportedYetException($"architecture: Debian has no cloud kernel for {architecture}; virtual-machine images are built for amd64 and arm64"),
        },
    ];

    /// <summary>Run before the kernel is installed: its initramfs then holds just what finds /dev/vda, on PCI or on a microvm's virtio-mmio (ext4 is built in, or listed).</summary>
    public static readonly IReadOnlyList<string> EssentialHooks =
    [
        WriteFile("/etc/initramfs-tools/conf.d/vessel.conf", "MODULES=list\n"),
        WriteFile("/usr/share/initramfs-tools/modules.d/vessel", "virtio_pci\nvirtio_mmio\nvirtio_blk\next4\n"),
    ];

    /// <summary>Run after the container hooks (no /etc/hostname, an empty resolv.conf, root locked).</summary>
    public static readonly IReadOnlyList<string> CustomizeHooks =
    [
        WriteFile("/etc/fstab", "/dev/vda / ext4 rw,discard,errors=remount-ro 0 1\n"),
        // The DNS servers DHCP hands systemd-networkd reach programs through systemd-resolved's stub (the container
        // hooks left an empty file, which is the container runtime's to write).
        "ln -sf ../run/systemd/resolve/stub-resolv.conf \"$1/etc/resolv.conf\"",
        WriteFile("/etc/systemd/network/80-vessel-dhcp.network", DhcpNetwork),
        WriteFile("/etc/udev/rules.d/80-vessel-cpu-online.rules", CpuOnlineRule),
        WriteFile("/etc/cloud/cloud.cfg.d/90-vessel.cfg", CloudInitConfig),
        WriteFile("/etc/systemd/system/systemd-networkd-wait-online.service.d/vessel.conf", WaitOnlineDropIn),
        "chroot \"$1\" systemctl enable systemd-networkd",
        "rm -f \"$1\"/etc/ssh/ssh_host_*",
        WriteFile("/etc/systemd/system/vessel-ssh-keygen.service", KeygenUnit),
        "chroot \"$1\" systemctl enable vessel-ssh-keygen.service",
        // Periodic jobs that only cost a test VM time: apt without a network, scrubs of a disk that is minutes old.
        "chroot \"$1\" systemctl mask apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer e2scrub_reap.service",
    ];

    /// <summary>A hook that writes TEXT to PATH in the chroot (TEXT has no single quote).</summary>
    private static string WriteFile(string path, string text) => text.Contains('\'', StringComparison.Ordinal)
        ? throw new ArgumentException($"the text for {path} has a single quote, which the hook cannot carry", nameof(text))
        : $"mkdir -p \"$1{Path.GetDirectoryName(path)}\" && printf '%s' '{text.ReplaceLineEndings("\n")}' > \"$1{path}\"";

    /// <summary>
    /// Returns WORK/kernel.tar, built from the (cached) mmdebstrap tarball of the VM flavour: the tree is unpacked, its
    /// kernel and initramfs taken from /boot, and mkfs.ext4 -d plus qemu-img convert -c make the root disk.
    /// </summary>
    /// <exception cref="NotSupportedYetException">mmdebstrap, mkfs.ext4 or qemu-img is missing, or this process is not root.</exception>
    public static async Task<string> BuildAsync(string workDirectory, DebianImageOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var tarball = await DebianImage.BuildAsync(workDirectory, options with { VirtualMachine = true }, cancellationToken);
        var scratch = Directory.CreateDirectory(Path.Combine(workDirectory, $".debian-vm-{Guid.NewGuid():N}")).FullName;
        try
        {
            var tree = Path.Combine(scratch, "root");
            await RootfsExtractor.ExtractAsync(tarball, "tar", tree, new ExtractOptions(), cancellationToken);
            var (kernel, initrd, version) = BootFiles(tree);
            var raw = Path.Combine(scratch, "disk.raw");
            await using (var file = new FileStream(raw, FileMode.CreateNew, FileAccess.Write))
                file.SetLength(DiskBytes);
            // Inode tables and journal written now (zeros qemu-img leaves out), not by the guest on its first boot.
            await HostProgram.RunAsync("/sbin/mkfs.ext4", ["-q", "-F", "-L", "root", "-d", tree, "-E", "lazy_itable_init=0,lazy_journal_init=0", raw],
                scratch, cancellationToken);
            var disk = Path.Combine(scratch, KernelImageLayout.Disk);
            await HostProgram.RunAsync("qemu-img", ["convert", "-c", "-f", "raw", "-O", "qcow2", raw, disk], scratch, cancellationToken);
            File.Delete(raw);
            var path = Path.Combine(workDirectory, KernelImageLayout.Filename);
            var metadata = KernelImageLayout.Metadata(CommandLine, version,
                $"Debian {options.Suite} virtual machine (cloud kernel {version}, systemd, qemu-guest-agent, openssh-server, cloud-init)", withDisk: true);
            await KernelImageLayout.WriteAsync(path, kernel, initrd, metadata, disk, cancellationToken);
            return path;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>The kernel the tree installed in /boot, its initramfs and its version.</summary>
    private static (string Kernel, string Initrd, string Version) BootFiles(string tree)
    {
        var kernels = Directory.GetFiles(Path.Combine(tree, "boot"), "vmlinuz-*");
        if (kernels.Length != 1)
            throw new VesselException(500, $"the built tree has {kernels.Length} kernels in /boot, not one");
        var version = Path.GetFileName(kernels[0])["vmlinuz-".Length..];
        var initrd = Path.Combine(tree, "boot", $"initrd.img-{version}");
        if (!File.Exists(initrd))
            throw new VesselException(500, $"the built tree has no /boot/initrd.img-{version}; did initramfs-tools run?");
        return (kernels[0], initrd, version);
    }
}
