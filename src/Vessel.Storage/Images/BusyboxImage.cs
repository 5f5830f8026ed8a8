using Vessel.Linux;
using System.Formats.Tar;
using System.Text;
using Vessel.Core;

namespace Vessel.Storage.Images;

/// <summary>
/// Builds a tiny system-container root filesystem from the host's static busybox (Debian's busybox-static):
/// /bin/busybox, a symbolic link per applet, busybox init with an inittab, and the few files and directories a
/// system needs. The tarball is deterministic — root-owned entries in a fixed order with one fixed mtime — so
/// two builds on the same host give the same bytes, hence the same image fingerprint.
/// </summary>
public static class BusyboxImage
{
    public const string BusyboxPath = "/bin/busybox";

    /// <summary>Where Debian's busybox udhcpc looks for the script that applies a lease.</summary>
    internal const string DhcpScriptPath = "etc/udhcpc/default.script";

    /// <summary>Applies what udhcpc learned: address, default route, DNS, and the host name DHCP gives (the instance's name).</summary>
    internal const string DhcpScript = """
        #!/bin/sh
        # Called by udhcpc: $1 is deconfig, bound, renew, leasefail or nak; the lease is in the environment.
        case "$1" in
            deconfig)
                ip -4 addr flush dev "$interface"
                ip link set "$interface" up
                ;;
            bound|renew)
                ip addr replace "$ip/$mask" ${broadcast:+broadcast "$broadcast"} dev "$interface"
                [ -n "$router" ] && ip route replace default via "${router%% *}" dev "$interface"
                { [ -n "$domain" ] && echo "search $domain"; for server in $dns; do echo "nameserver $server"; done; } > /etc/resolv.conf
                [ -n "$hostname" ] && [ "$(hostname)" = busybox ] && hostname "$hostname"
                ;;
        esac
        exit 0

        """;

    private static readonly DateTimeOffset Timestamp = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly string[] AppletDirectories = ["bin/", "sbin/", "usr/bin/", "usr/sbin/"];

    private const UnixFileMode Mode0777 = (UnixFileMode)0b111_111_111;
    private const UnixFileMode Mode0755 = (UnixFileMode)0b111_101_101;
    private const UnixFileMode Mode0644 = (UnixFileMode)0b110_100_100;

    private sealed record Entry(TarEntryType Type, UnixFileMode Mode, string? LinkName = null, byte[]? Content = null, string? SourceFile = null);

    /// <summary>Writes WORK/rootfs.tar (replacing one that is there) and returns its path.</summary>
    /// <exception cref="NotSupportedYetException">/bin/busybox is missing or is not a static executable.</exception>
    public static async Task<string> BuildAsync(string workDirectory, CancellationToken cancellationToken)
    {
        if (!File.Exists(BusyboxPath))
            throw new NotSupportedYetException($"{BusyboxPath} is missing; the busybox image is built from Debian's busybox-static package");
        if (!ElfFile.IsStatic(BusyboxPath))
            throw new NotSupportedYetException($"{BusyboxPath} is not a static executable; install busybox-static instead of busybox");

        var entries = Layout(await ListAppletsAsync(cancellationToken));
        Directory.CreateDirectory(workDirectory);
        var path = Path.Combine(workDirectory, "rootfs.tar");
        var partial = $"{path}.{Guid.NewGuid():N}.partial";
        try
        {
            await using (var file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await using var writer = new TarWriter(file, TarEntryFormat.Ustar, leaveOpen: true);
                foreach (var (name, entry) in entries)
                    await WriteAsync(writer, name, entry, cancellationToken);
            }
            File.Move(partial, path, overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }
        return path;
    }

    /// <summary>Every entry by path, ordered so that a directory comes right before what it holds.</summary>
    private static SortedDictionary<string, Entry> Layout(IEnumerable<string> applets)
    {
        var entries = new SortedDictionary<string, Entry>(Comparer<string>.Create(
            (a, b) => string.CompareOrdinal(a.Replace('/', '\0'), b.Replace('/', '\0'))));
        foreach (var directory in new[] { "bin", "dev", "etc", "etc/init.d", "etc/udhcpc", "mnt", "root", "run", "sbin", "usr", "usr/bin", "usr/sbin", "var", "var/log" })
            entries[directory] = new Entry(TarEntryType.Directory, directory == "root" ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute : Mode0755);
        foreach (var directory in new[] { "proc", "sys" })
            entries[directory] = new Entry(TarEntryType.Directory, (UnixFileMode)0b101_101_101); // 0555
        entries["tmp"] = new Entry(TarEntryType.Directory, (UnixFileMode)0b1_111_111_111); // 1777

        foreach (var applet in applets)
            entries[applet] = new Entry(TarEntryType.SymbolicLink, Mode0777, LinkName: BusyboxPath);
        entries["bin/busybox"] = new Entry(TarEntryType.RegularFile, Mode0755, SourceFile: BusyboxPath);
        entries["sbin/init"] = new Entry(TarEntryType.SymbolicLink, Mode0777, LinkName: BusyboxPath);

        entries["etc/inittab"] = Text(Mode0644, """
            # busybox init: id:runlevels:action:process (runlevels are ignored; id is the terminal to run on).
            ::sysinit:/etc/init.d/rcS
            console::respawn:-/bin/sh
            ::ctrlaltdel:/sbin/reboot
            # Run on SIGTERM (reboot), SIGUSR1 (halt) and SIGUSR2 (poweroff), before init stops.
            ::shutdown:/bin/sync
            ::shutdown:/bin/umount -a -r

            """);
        entries["etc/init.d/rcS"] = Text(Mode0755, """
            #!/bin/sh
            # Run once by init at boot (::sysinit in /etc/inittab).
            # A container runtime has mounted /proc and named the host already; a bare kernel has not.
            [ -e /proc/self ] || mount -t proc proc /proc
            case "$(hostname)" in "(none)"|localhost|"") [ -s /etc/hostname ] && hostname -F /etc/hostname ;; esac
            # A container's nics come configured by its runtime; a machine of its own asks DHCP and keeps renewing.
            if [ "$container" = "" ]; then
                for nic in /sys/class/net/*; do
                    [ "${nic##*/}" = lo ] || udhcpc -f -i "${nic##*/}" >/dev/null 2>&1 &
                done
            fi
            exit 0

            """);
        entries[DhcpScriptPath] = Text(Mode0755, DhcpScript);
        entries["etc/passwd"] = Text(Mode0644, "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
        entries["etc/group"] = Text(Mode0644, "root:x:0:\ntty:x:5:\nnogroup:x:65534:\n");
        entries["etc/hostname"] = Text(Mode0644, "busybox\n");
        return entries;
    }

    private static Entry Text(UnixFileMode mode, string content) =>
        new(TarEntryType.RegularFile, mode, Content: Encoding.UTF8.GetBytes(content.ReplaceLineEndings("\n")));

    /// <summary>The applets' paths from <c>busybox --list-full</c> (bin/sh, usr/bin/env, …) under the usual directories.</summary>
    internal static async Task<IReadOnlyList<string>> ListAppletsAsync(CancellationToken cancellationToken)
    {
        var applets = (await HostCommand.RunCheckedAsync(BusyboxPath, ["--list-full"], cancellationToken: cancellationToken))
            .Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Where(a => AppletDirectories.Any(d => a.StartsWith(d, StringComparison.Ordinal)) && EntryPath.Normalize(a) == a && a != "bin/busybox")
            .ToList();
        if (!applets.Contains("bin/sh"))
            throw new IOException($"{BusyboxPath} --list-full does not list bin/sh");
        return applets;
    }

    private static async Task WriteAsync(TarWriter writer, string name, Entry entry, CancellationToken cancellationToken)
    {
        var tarEntry = new UstarTarEntry(entry.Type, entry.Type == TarEntryType.Directory ? name + "/" : name)
        {
            Mode = entry.Mode,
            Uid = 0,
            Gid = 0,
            UserName = "root",
            GroupName = "root",
            ModificationTime = Timestamp,
        };
        if (entry.LinkName is not null)
            tarEntry.LinkName = entry.LinkName;
        await using Stream? data = entry.SourceFile is not null ? File.OpenRead(entry.SourceFile)
            : entry.Content is not null ? new MemoryStream(entry.Content) : null;
        if (data is not null)
            tarEntry.DataStream = data;
        await writer.WriteEntryAsync(tarEntry, cancellationToken);
    }
}
