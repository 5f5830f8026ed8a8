using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Vessel.Core;

namespace Vessel.Storage.Images;

/// <summary>
/// Builds the small busybox VM image for fast tests: the Debian cloud kernel (the vmlinuz of the package
/// linux-image-cloud-amd64 depends on, fetched with apt-get download and unpacked with dpkg-deb, never installed on
/// the host) and a busybox initramfs whose /init mounts proc, sys and dev, loads the virtio and power-button modules,
/// prints <see cref="Marker"/> on the console and runs a shell there. busybox acpid turns the ACPI power button into
/// poweroff -f, so an ACPI shutdown request is honoured; "vessel.poweroff" on the kernel command line powers off right
/// after the marker. The result is a <see cref="KernelImageLayout"/> tarball, deterministic for a given kernel package
/// and busybox binary.
/// </summary>
public static class BusyboxVmImage
{
    public const string Marker = "vessel-busybox-vm: init reached";
    public const string KernelPackage = "linux-image-cloud-amd64";
    public const string CommandLine = "console=ttyS0 quiet";

    internal static readonly DateTimeOffset Timestamp = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Modules loaded by /init, in dependency order (the package has no modules.dep before depmod runs).</summary>
    private static readonly string[] Modules =
    [
        "virtio/virtio_ring", "virtio/virtio", "virtio/virtio_pci_modern_dev", "virtio/virtio_pci_legacy_dev", "virtio/virtio_pci",
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
        # The ACPI power button (QMP system_powerdown) runs /etc/acpi/PWRF/00000080.
        acpid -c /etc/acpi -l /dev/null
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

    /// <summary>Writes WORK/kernel.tar (replacing one that is there) and returns its path.</summary>
    /// <exception cref="NotSupportedYetException">busybox-static is missing, or apt cannot fetch the kernel package.</exception>
    public static async Task<string> BuildAsync(string workDirectory, CancellationToken cancellationToken)
    {
        if (!File.Exists(BusyboxImage.BusyboxPath) || !ElfFile.IsStatic(BusyboxImage.BusyboxPath))
            throw new NotSupportedYetException($"{BusyboxImage.BusyboxPath} is missing or not static; the busybox VM image needs Debian's busybox-static package");
        Directory.CreateDirectory(workDirectory);
        var scratch = Directory.CreateDirectory(Path.Combine(workDirectory, $".busybox-vm-{Guid.NewGuid():N}")).FullName;
        try
        {
            var (kernel, version, modulesDirectory) = await FetchKernelAsync(scratch, cancellationToken);
            var initrd = Path.Combine(scratch, KernelImageLayout.Initrd);
            await WriteInitrdAsync(initrd, modulesDirectory, (await BusyboxImage.ListAppletsAsync(cancellationToken)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(), cancellationToken);
            var metadata = KernelImageLayout.Metadata(CommandLine, version, $"busybox VM (Debian cloud kernel {version}, busybox initramfs)");
            var path = Path.Combine(workDirectory, KernelImageLayout.Filename);
            await KernelImageLayout.WriteAsync(path, kernel, initrd, metadata, null, cancellationToken);
            return path;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>Downloads the cloud kernel meta package, then the versioned package it depends on, and unpacks that.</summary>
    private static async Task<(string Kernel, string Version, string ModulesDirectory)> FetchKernelAsync(string scratch, CancellationToken cancellationToken)
    {
        var downloads = Directory.CreateDirectory(Path.Combine(scratch, "debs")).FullName;
        // apt drops to its _apt user to download when it can; let it write here.
        File.SetUnixFileMode(downloads, (UnixFileMode)0b111_111_111);
        await HostProgram.RunAsync("apt-get", ["download", KernelPackage], downloads, cancellationToken);
        var meta = Directory.GetFiles(downloads, $"{KernelPackage}_*.deb").Single();
        var depends = (await HostProgram.RunAsync("dpkg-deb", ["-f", meta, "Depends"], downloads, cancellationToken)).Trim();
        var package = depends.Split([',', '|'], StringSplitOptions.TrimEntries)
            .Select(d => d.Split(' ')[0]).FirstOrDefault(d => d.StartsWith("linux-image-", StringComparison.Ordinal))
            ?? throw new IOException($"{KernelPackage} depends on no linux-image package (Depends: {depends})");
        await HostProgram.RunAsync("apt-get", ["download", package], downloads, cancellationToken);
        var deb = Directory.GetFiles(downloads, $"{package}_*.deb").Single();
        var root = Path.Combine(scratch, "kernel");
        await HostProgram.RunAsync("dpkg-deb", ["-x", deb, root], downloads, cancellationToken);
        var version = package["linux-image-".Length..];
        var kernel = Path.Combine(root, "boot", $"vmlinuz-{version}");
        if (!File.Exists(kernel))
            throw new IOException($"{package} has no /boot/vmlinuz-{version}");
        return (kernel, version, Path.Combine(root, "lib", "modules", version, "kernel", "drivers"));
    }

    private static async Task WriteInitrdAsync(string path, string modulesDirectory, IReadOnlyList<string> applets, CancellationToken cancellationToken)
    {
        using var cpio = new CpioNewcWriter();
        foreach (var directory in new[] { "bin", "dev", "etc", "etc/acpi", "etc/acpi/PWRF", "etc/udhcpc", "lib", "lib/modules", "mnt", "proc", "root", "run",
                     "sbin", "sys", "tmp", "usr", "usr/bin", "usr/sbin", "var", "var/log", "var/run" })
            cpio.Directory(directory, directory == "tmp" ? 0b1_111_111_111 : 0b111_101_101);
        cpio.File("bin/busybox", 0b111_101_101, await File.ReadAllBytesAsync(BusyboxImage.BusyboxPath, cancellationToken));
        foreach (var applet in applets)
            cpio.Symlink(applet, "/bin/busybox");
        var names = Modules.Select(m => Path.GetFileName(m)).ToList();
        cpio.File("init", 0b111_101_101, Text(Init.Replace("MODULES", string.Join(' ', names), StringComparison.Ordinal)
            .Replace("MARKER", Marker, StringComparison.Ordinal)));
        cpio.File(BusyboxImage.DhcpScriptPath, 0b111_101_101, Text(BusyboxImage.DhcpScript));
        cpio.File("etc/acpi/PWRF/00000080", 0b111_101_101, Text(PowerButton));
        cpio.File("etc/passwd", 0b110_100_100, Text("root:x:0:0:root:/root:/bin/sh\n"));
        cpio.File("etc/group", 0b110_100_100, Text("root:x:0:\n"));
        cpio.File("etc/hostname", 0b110_100_100, Text("busybox\n"));
        foreach (var module in Modules)
        {
            var file = Path.Combine(modulesDirectory, module + ".ko");
            if (!File.Exists(file))
                throw new IOException($"the kernel package has no module {module}.ko");
            cpio.File($"lib/modules/{Path.GetFileName(module)}.ko", 0b110_100_100, await File.ReadAllBytesAsync(file, cancellationToken));
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
