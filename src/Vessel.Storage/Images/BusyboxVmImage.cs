using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Vessel.Core;

namespace Vessel.Storage.Images;

/// <summary>
/// Builds the small busybox VM image for fast tests, for x86_64 or aarch64: Debian's cloud kernel (the vmlinuz of the
/// package linux-image-cloud-amd64 or -arm64 depends on, fetched with apt-get download and unpacked with dpkg-deb, never
/// installed on the host; see <see cref="AptDownload"/> for a foreign architecture) and a busybox initramfs whose /init
/// mounts proc, sys and dev, loads the virtio and power-button modules, prints <see cref="Marker"/> on the console and
/// runs a shell there. The host's busybox-static goes in; for a foreign architecture Debian's busybox-static of that
/// architecture, with the host's applet list (the same Debian source and configuration). busybox acpid turns the ACPI
/// power button into poweroff -f, so an ACPI shutdown request is honoured; "vessel.poweroff" on the kernel command line
/// powers off right after the marker; a vCPU hotplugged into it is put online. The result is a <see cref="KernelImageLayout"/> tarball, deterministic for a given
/// kernel package and busybox binary.
/// </summary>
public static class BusyboxVmImage
{
    public const string Marker = "vessel-busybox-vm: init reached";

    internal static readonly DateTimeOffset Timestamp = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Modules loaded by /init, in dependency order (the package has no modules.dep before depmod runs), below the kernel
    /// package's drivers/; those its modules.builtin names are built in and left out (acpi/button on arm64).
    /// virtio_mmio finds the devices of a microvm machine.
    /// </summary>
    private static readonly string[] Modules =
    [
        "virtio/virtio_ring", "virtio/virtio", "virtio/virtio_pci_modern_dev", "virtio/virtio_pci_legacy_dev", "virtio/virtio_pci", "virtio/virtio_mmio",
        "block/virtio_blk", "../net/core/failover", "net/net_failover", "net/virtio_net", "virtio/virtio_balloon", "char/virtio_console", "char/hw_random/virtio-rng", "acpi/button", "input/evdev",
    ];

    private const string Init = """
        #!/bin/sh
        # PID 1 of Vessel's busybox VM image. The kernel gives it no PATH.
        export PATH=/sbin:/usr/sbin:/bin:/usr/bin
        mount -t proc proc /proc
        mount -t sysfs sysfs /sys
        mount -t devtmpfs devtmpfs /dev
        mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
        for m in MODULES; do insmod /lib/modules/$m.ko 2>/dev/null; done
        hostname busybox
        # The ACPI power button (QMP system_powerdown) runs /etc/acpi/PWRF/00000080. acpid looks for input devices only
        # when it starts: wait (2 s at most) until the button's has appeared, which takes a moment on microvm.
        for i in 1 2 3 4 5 6 7 8 9 10; do [ -e /dev/input/event0 ] && break; sleep 0.2; done
        acpid -c /etc/acpi -l /dev/null
        # vCPUs added while the VM runs come offline: /etc/uevent puts them online.
        uevent /etc/uevent >/dev/null 2>&1 &
        echo "MARKER"
        ip link set lo up
        for nic in /sys/class/net/*; do
            [ "${nic##*/}" = lo ] || udhcpc -f -i "${nic##*/}" >/dev/null 2>&1 &
        done
        case " $(cat /proc/cmdline) " in *" vessel.poweroff "*) poweroff -f ;; esac
        while true; do setsid cttyhack sh -l; done

        """;

    private const string PowerButton = """
        #!/bin/sh
        echo "vessel-busybox-vm: power button pressed, powering off" > /dev/console
        sync
        poweroff -f

        """;

    /// <summary>Run by busybox uevent for every kernel event.</summary>
    private const string Uevent = """
        #!/bin/sh
        if [ "$ACTION" = add ] && [ "$SUBSYSTEM" = cpu ] && [ -e "/sys$DEVPATH/online" ]; then echo 1 > "/sys$DEVPATH/online"; fi

        """;

    /// <summary>Writes WORK/kernel.tar (replacing one that is there) for ARCHITECTURE (x86_64, aarch64) and returns its path.</summary>
    /// <exception cref="NotSupportedYetException">busybox-static is missing, or apt cannot fetch the kernel package.</exception>
    public static async Task<string> BuildAsync(string workDirectory, string architecture, CancellationToken cancellationToken)
    {
        var debian = DebianBuildRequest.DebianName(architecture)
            ?? throw new BadRequestException($"architecture: Vessel builds the busybox VM image for x86_64 and aarch64, not for {architecture}");
        if (!File.Exists(BusyboxImage.BusyboxPath) || !ElfFile.IsStatic(BusyboxImage.BusyboxPath))
            throw new NotSupportedYetException($"{BusyboxImage.BusyboxPath} is missing or not static; the busybox VM image needs Debian's busybox-static package");
        Directory.CreateDirectory(workDirectory);
        var scratch = Directory.CreateDirectory(Path.Combine(workDirectory, $".busybox-vm-{Guid.NewGuid():N}")).FullName;
        try
        {
            var apt = await AptDownload.CreateAsync(debian, scratch, cancellationToken);
            var (kernel, version, modules) = await FetchKernelAsync(apt, $"linux-image-cloud-{debian}", scratch, cancellationToken);
            var busybox = debian == DebianBuildRequest.HostArchitecture() ? BusyboxImage.BusyboxPath : await FetchBusyboxAsync(apt, scratch, cancellationToken);
            var initrd = Path.Combine(scratch, KernelImageLayout.Initrd);
            var applets = (await BusyboxImage.ListAppletsAsync(cancellationToken)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            await WriteInitrdAsync(initrd, busybox, modules, applets, cancellationToken);
            // The serial console: an ISA UART on x86_64, the PL011 of QEMU's virt machine on aarch64.
            var commandLine = $"console={(architecture == "aarch64" ? "ttyAMA0" : "ttyS0")} quiet";
            var metadata = KernelImageLayout.Metadata(commandLine, version, $"busybox VM (Debian cloud kernel {version}, busybox initramfs)");
            var path = Path.Combine(workDirectory, KernelImageLayout.Filename);
            await KernelImageLayout.WriteAsync(path, kernel, initrd, metadata, null, cancellationToken);
            return path;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>The kernel package's drivers/ directory, and the paths the .ko files of modules built into the kernel would have.</summary>
    private sealed record KernelModules(string Drivers, IReadOnlySet<string> BuiltIn);

    /// <summary>Downloads the cloud kernel meta package, then the versioned package it depends on, and unpacks that.</summary>
    private static async Task<(string Kernel, string Version, KernelModules Modules)> FetchKernelAsync(AptDownload apt, string metaPackage, string scratch,
        CancellationToken cancellationToken)
    {
        var meta = await apt.DownloadAsync(metaPackage, cancellationToken);
        var depends = (await HostProgram.RunAsync("dpkg-deb", ["-f", meta, "Depends"], scratch, cancellationToken)).Trim();
        var package = depends.Split([',', '|'], StringSplitOptions.TrimEntries)
            .Select(d => d.Split(' ')[0]).FirstOrDefault(d => d.StartsWith("linux-image-", StringComparison.Ordinal))
            ?? throw new IOException($"{metaPackage} depends on no linux-image package (Depends: {depends})");
        var root = await UnpackAsync(await apt.DownloadAsync(package, cancellationToken), Path.Combine(scratch, "kernel"), scratch, cancellationToken);
        var version = package["linux-image-".Length..];
        var kernel = Path.Combine(root, "boot", $"vmlinuz-{version}");
        if (!File.Exists(kernel))
            throw new IOException($"{package} has no /boot/vmlinuz-{version}");
        var modules = Path.Combine(root, "lib", "modules", version);
        var builtIn = File.ReadLines(Path.Combine(modules, "modules.builtin")).Select(line => Path.GetFullPath(Path.Combine(modules, line))).ToHashSet(StringComparer.Ordinal);
        return (kernel, version, new KernelModules(Path.Combine(modules, "kernel", "drivers"), builtIn));
    }

    /// <summary>The static busybox of Debian's busybox-static package for the foreign architecture.</summary>
    private static async Task<string> FetchBusyboxAsync(AptDownload apt, string scratch, CancellationToken cancellationToken)
    {
        var root = await UnpackAsync(await apt.DownloadAsync("busybox-static", cancellationToken), Path.Combine(scratch, "busybox"), scratch, cancellationToken);
        var busybox = Path.Combine(root, "bin", "busybox");
        return File.Exists(busybox) && ElfFile.IsStatic(busybox) ? busybox : throw new IOException("busybox-static has no static /bin/busybox");
    }

    private static async Task<string> UnpackAsync(string deb, string root, string scratch, CancellationToken cancellationToken)
    {
        await HostProgram.RunAsync("dpkg-deb", ["-x", deb, root], scratch, cancellationToken);
        return root;
    }

    private static async Task WriteInitrdAsync(string path, string busybox, KernelModules modules, IReadOnlyList<string> applets, CancellationToken cancellationToken)
    {
        using var cpio = new CpioNewcWriter();
        foreach (var directory in new[] { "bin", "dev", "etc", "etc/acpi", "etc/acpi/PWRF", "etc/udhcpc", "lib", "lib/modules", "mnt", "proc", "root", "run",
                     "sbin", "sys", "tmp", "usr", "usr/bin", "usr/sbin", "var", "var/log", "var/run" })
            cpio.Directory(directory, directory == "tmp" ? 0b1_111_111_111 : 0b111_101_101);
        cpio.File("bin/busybox", 0b111_101_101, await File.ReadAllBytesAsync(busybox, cancellationToken));
        foreach (var applet in applets)
            cpio.Symlink(applet, "/bin/busybox");
        var loaded = Modules.Select(m => Path.GetFullPath(Path.Combine(modules.Drivers, m + ".ko"))).Where(f => !modules.BuiltIn.Contains(f)).ToList();
        var names = loaded.Select(Path.GetFileNameWithoutExtension).ToList();
        cpio.File("init", 0b111_101_101, Text(Init.Replace("MODULES", string.Join(' ', names), StringComparison.Ordinal)
            .Replace("MARKER", Marker, StringComparison.Ordinal)));
        cpio.File(BusyboxImage.DhcpScriptPath, 0b111_101_101, Text(BusyboxImage.DhcpScript));
        cpio.File("etc/acpi/PWRF/00000080", 0b111_101_101, Text(PowerButton));
        cpio.File("etc/uevent", 0b111_101_101, Text(Uevent));
        cpio.File("etc/passwd", 0b110_100_100, Text("root:x:0:0:root:/root:/bin/sh\n"));
        cpio.File("etc/group", 0b110_100_100, Text("root:x:0:\n"));
        cpio.File("etc/hostname", 0b110_100_100, Text("busybox\n"));
        foreach (var file in loaded)
        {
            if (!File.Exists(file))
                throw new IOException($"the kernel package has no module {Path.GetRelativePath(modules.Drivers, file)}");
            cpio.File($"lib/modules/{Path.GetFileName(file)}", 0b110_100_100, await File.ReadAllBytesAsync(file, cancellationToken));
        }
        await using var output = new FileStream(path, FileMode.Create, FileAccess.Write);
        await using var gzip = new GZipStream(output, CompressionLevel.Optimal);
        await gzip.WriteAsync(cpio.Finish(), cancellationToken);
    }

    private static byte[] Text(string text) => Encoding.UTF8.GetBytes(text.ReplaceLineEndings("\n"));

    /// <summary>An initramfs archive: cpio "newc" (SVR4 without checksums), the format the kernel unpacks.</summary>
    private sealed class CpioNewcWriter : IDisposable
    {
        private readonly MemoryStream _buffer = new();
        private readonly long _mtime = Timestamp.ToUnixTimeSeconds();
        private int _inode = 1;

        public void Directory(string name, int mode) => Entry(name, 0x4000 | mode, 2, []);

        public void File(string name, int mode, byte[] content) => Entry(name, 0x8000 | mode, 1, content);

        public void Symlink(string name, string target) => Entry(name, 0xA000 | 0b111_111_111, 1, Encoding.UTF8.GetBytes(target));

        public byte[] Finish()
        {
            _inode = 0;
            Entry("TRAILER!!!", 0, 1, []);
            return _buffer.ToArray();
        }

        private void Entry(string name, int mode, int links, byte[] data)
        {
            var nameBytes = Encoding.UTF8.GetBytes(name + "\0");
            var header = string.Concat("070701",
                Hex(_inode == 0 ? 0 : _inode++), Hex(mode), Hex(0), Hex(0), Hex(links), Hex(_mtime), Hex(data.Length),
                Hex(0), Hex(0), Hex(0), Hex(0), Hex(nameBytes.Length), Hex(0));
            _buffer.Write(Encoding.ASCII.GetBytes(header));
            _buffer.Write(nameBytes);
            Pad();
            _buffer.Write(data);
            Pad();
        }

        public void Dispose() => _buffer.Dispose();

        private static string Hex(long value) => value.ToString("x8", System.Globalization.CultureInfo.InvariantCulture);

        private void Pad()
        {
            while (_buffer.Length % 4 != 0)
                _buffer.WriteByte(0);
        }
    }
}
