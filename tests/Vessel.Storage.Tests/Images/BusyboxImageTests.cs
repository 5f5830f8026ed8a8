using System.Diagnostics;
using System.Formats.Tar;
using Vessel.Storage.Images;

namespace Vessel.Storage.Tests.Images;

/// <summary>Builds the busybox rootfs from the host's busybox-static, unpacks it and runs it in a chroot (as root).</summary>
public sealed class BusyboxImageTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Build_GivesARootfsThatRunsBusybox()
    {
        var tar = await BusyboxImage.BuildAsync(_temp.Combine("work"), CancellationToken.None);
        var root = _temp.Combine("root");

        Assert.Equal(_temp.Combine("work", "rootfs.tar"), tar);
        var result = await RootfsExtractor.ExtractAsync(tar, "tar", root, new ExtractOptions(), CancellationToken.None);

        Assert.Equal(0, result.SkippedDeviceNodes);
        Assert.Equal("/bin/busybox", new FileInfo(Path.Combine(root, "bin/sh")).LinkTarget);
        Assert.Equal("/bin/busybox", new FileInfo(Path.Combine(root, "sbin/init")).LinkTarget);
        Assert.Equal("/bin/busybox", new FileInfo(Path.Combine(root, "usr/bin/env")).LinkTarget);
        Assert.Null(new FileInfo(Path.Combine(root, "bin/busybox")).LinkTarget);
        Assert.Equal(File.ReadAllBytes(BusyboxImage.BusyboxPath), File.ReadAllBytes(Path.Combine(root, "bin/busybox")));
        Assert.Equal("755", NativeFile.Stat(Path.Combine(root, "bin/busybox")).Mode);
        Assert.Equal("1777", NativeFile.Stat(Path.Combine(root, "tmp")).Mode);
        Assert.Equal("700", NativeFile.Stat(Path.Combine(root, "root")).Mode);
        Assert.Equal("755", NativeFile.Stat(Path.Combine(root, "etc/init.d/rcS")).Mode);
        foreach (var directory in new[] { "dev", "proc", "sys", "run", "var/log", "mnt", "etc" })
            Assert.True(Directory.Exists(Path.Combine(root, directory)), directory);
        Assert.StartsWith("root:x:0:0:root:/root:/bin/sh\n", File.ReadAllText(Path.Combine(root, "etc/passwd")), StringComparison.Ordinal);
        Assert.StartsWith("root:x:0:\n", File.ReadAllText(Path.Combine(root, "etc/group")), StringComparison.Ordinal);
        var inittab = File.ReadAllText(Path.Combine(root, "etc/inittab"));
        Assert.Contains("::sysinit:/etc/init.d/rcS\n", inittab, StringComparison.Ordinal);
        Assert.Contains("console::respawn:-/bin/sh\n", inittab, StringComparison.Ordinal);
        Assert.Contains("::shutdown:/bin/umount -a -r\n", inittab, StringComparison.Ordinal);

        Assert.Equal("ok\n", Run("chroot", root, "/bin/sh", "-c", "echo ok"));
        Assert.Equal("ok\n", Run("chroot", root, "/bin/busybox", "echo", "ok"));
        Assert.Equal("/bin/busybox\n", Run("chroot", root, "/usr/bin/env", "sh", "-c", "readlink /sbin/init"));
    }

    [Fact]
    public async Task TwoBuilds_GiveTheSameBytes()
    {
        var first = File.ReadAllBytes(await BusyboxImage.BuildAsync(_temp.Combine("one"), CancellationToken.None));
        var second = File.ReadAllBytes(await BusyboxImage.BuildAsync(_temp.Combine("two"), CancellationToken.None));

        Assert.Equal(first, second);
    }

    [Fact]
    public async Task Entries_AreRootOwned_AndEveryDirectoryComesBeforeItsContents()
    {
        var tar = await BusyboxImage.BuildAsync(_temp.Combine("work"), CancellationToken.None);

        var seen = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = new TarReader(File.OpenRead(tar));
        while (await reader.GetNextEntryAsync() is { } entry)
        {
            Assert.Equal((0, 0), (entry.Uid, entry.Gid));
            var name = entry.Name.TrimEnd('/');
            var slash = name.LastIndexOf('/');
            if (slash > 0)
                Assert.Contains(name[..slash], seen);
            Assert.True(seen.Add(name), $"{name} twice");
        }
        Assert.Contains("bin/busybox", seen);
        Assert.DoesNotContain("linuxrc", seen);
    }

    [Fact]
    public async Task Rebuild_ReplacesTheTarball()
    {
        var work = _temp.Combine("work");
        var first = await BusyboxImage.BuildAsync(work, CancellationToken.None);

        var second = await BusyboxImage.BuildAsync(work, CancellationToken.None);

        Assert.Equal(first, second);
        Assert.Equal(["rootfs.tar"], Directory.EnumerateFileSystemEntries(work).Select(Path.GetFileName));
    }

    private static string Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)}: exit {process.ExitCode}: {errors}");
        return output;
    }
}
