using System.Diagnostics;
using System.Formats.Tar;
using Vessel.Core;
using Vessel.Storage.Images;
using Xunit.Abstractions;

namespace Vessel.Storage.Tests.Images;

/// <summary>One real bookworm build with mmdebstrap from the host's mirror, shared by the tests that read it (root only).</summary>
public sealed class DebianBuildFixture : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly Lazy<Task<string>> _tarball;

    public DebianBuildFixture() => _tarball = new Lazy<Task<string>>(BuildAsync);

    public string CacheDirectory => _temp.Combine("cache");

    public string WorkDirectory => _temp.Combine("work");

    public TimeSpan BuildTime { get; private set; }

    public DebianImageOptions Options => new() { CacheDirectory = CacheDirectory };

    /// <summary>Built on first use, so that a run without root never starts mmdebstrap.</summary>
    public Task<string> Tarball => _tarball.Value;

    private async Task<string> BuildAsync()
    {
        var started = Stopwatch.GetTimestamp();
        var tarball = await DebianImage.BuildAsync(WorkDirectory, Options, CancellationToken.None);
        BuildTime = Stopwatch.GetElapsedTime(started);
        return tarball;
    }

    public void Dispose() => _temp.Dispose();
}

public sealed class DebianImageTests(DebianBuildFixture build, ITestOutputHelper output) : IClassFixture<DebianBuildFixture>, IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [RootFact]
    public async Task Build_GivesASystemdRootfs_ForASystemContainer()
    {
        var tarball = await build.Tarball;
        output.WriteLine($"mmdebstrap build: {build.BuildTime.TotalSeconds:F1} s, {new FileInfo(tarball).Length / 1_000_000.0:F1} MB");
        var index = await TarIndex.ReadAsync(tarball);

        Assert.StartsWith(Path.Combine(build.CacheDirectory, "bookworm-amd64-"), tarball, StringComparison.Ordinal);
        Assert.Equal("usr/lib/systemd/systemd", index.Resolve("sbin/init").Name);
        Assert.Equal(TarEntryType.RegularFile, index.Resolve("sbin/init").Type);
        Assert.Contains("VERSION_CODENAME=bookworm\n", await index.ReadTextAsync("etc/os-release"), StringComparison.Ordinal);
        Assert.Equal(TarEntryType.RegularFile, index.Items["etc/machine-id"].Type);
        Assert.Equal(0, index.Items["etc/machine-id"].Length);
        Assert.Equal(TarEntryType.RegularFile, index.Resolve("usr/bin/ip").Type);
        Assert.DoesNotContain("etc/hostname", index.Items.Keys);
        Assert.Equal(0, index.Items["etc/resolv.conf"].Length);
        Assert.StartsWith("root:!", (await index.ReadTextAsync("etc/shadow")).Split('\n').Single(l => l.StartsWith("root:", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains("URIs: http", await index.ReadTextAsync("etc/apt/sources.list.d/0000debian.sources"), StringComparison.Ordinal);
        // apt's package lists and downloaded packages are cleaned away.
        Assert.DoesNotContain(index.Items.Keys, n => n.StartsWith("var/cache/apt/archives/", StringComparison.Ordinal) && n.EndsWith(".deb", StringComparison.Ordinal));
        Assert.DoesNotContain(index.Items.Keys, n => n.StartsWith("var/lib/apt/lists/", StringComparison.Ordinal) && n.EndsWith("_Packages", StringComparison.Ordinal));
        // No device nodes anywhere; /dev itself is there, empty, for the runtime to mount on.
        Assert.DoesNotContain(index.Items.Values, i => i.Type is TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo);
        Assert.Equal(TarEntryType.Directory, index.Items["dev"].Type);
        Assert.DoesNotContain(index.Items.Keys, n => n.StartsWith("dev/", StringComparison.Ordinal));
    }

    [RootFact]
    public async Task Build_ExtractsWithVesselsExtractor_AndItsInitIsSystemd()
    {
        var root = _temp.Combine("root");

        var result = await RootfsExtractor.ExtractAsync(await build.Tarball, "tar", root, new ExtractOptions(), CancellationToken.None);

        Assert.Equal(0, result.SkippedDeviceNodes);
        Assert.Equal("/usr/lib/systemd/systemd\n", Run("chroot", root, "readlink", "-f", "/sbin/init"));
        // Not as /sbin/init: run so and not as PID 1, systemd takes itself for telinit.
        Assert.Matches(@"^systemd 2\d\d ", Run("chroot", root, "/usr/lib/systemd/systemd", "--version"));
        Assert.Equal("ok\n", Run("chroot", root, "/bin/sh", "-c", "echo ok"));
    }

    [RootFact]
    public async Task SecondBuild_TakesTheCachedTarball_WithoutRunningMmdebstrap()
    {
        var first = await build.Tarball;
        var sentinel = new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(first, sentinel);
        var inode = Inode(first);

        // /bin/false in mmdebstrap's place: the call fails if it tries to build.
        var started = Stopwatch.GetTimestamp();
        var second = await DebianImage.BuildAsync(_temp.Combine("work"), build.Options with { Mmdebstrap = "/bin/false" }, CancellationToken.None);
        output.WriteLine($"cached build: {Stopwatch.GetElapsedTime(started).TotalMilliseconds:F1} ms");

        Assert.Equal(first, second);
        Assert.Equal(sentinel, File.GetLastWriteTimeUtc(second));
        Assert.Equal(inode, Inode(second));
        Assert.False(Directory.Exists(_temp.Combine("work")) && Directory.EnumerateFileSystemEntries(_temp.Combine("work")).Any());
    }

    [RootFact]
    public async Task SameOptionsSpelledDifferently_ShareTheCache()
    {
        var first = await build.Tarball;

        var second = await DebianImage.BuildAsync(_temp.Combine("work"), build.Options with
        {
            Architecture = "x86_64",
            Include = ["iproute2", "systemd-sysv"],
            Mmdebstrap = "/bin/false",
        }, CancellationToken.None);

        Assert.Equal(first, second);
    }

    [RootFact]
    public async Task NoSuchSuite_FailsWithMmdebstrapsLastLines_AndLeavesNothing()
    {
        var work = _temp.Combine("work");

        var e = await Assert.ThrowsAsync<VesselException>(() =>
            DebianImage.BuildAsync(work, new DebianImageOptions { Suite = "nosuchsuite" }, CancellationToken.None));
        output.WriteLine(e.Message);

        Assert.Equal(500, e.StatusCode);
        Assert.StartsWith("mmdebstrap failed with exit code ", e.Message, StringComparison.Ordinal);
        Assert.Contains("nosuchsuite Release' does not have a Release file", e.Message, StringComparison.Ordinal);
        Assert.InRange(e.Message.Split('\n').Length - 1, 2, MmdebstrapBuild.TailLines);
        Assert.Empty(Directory.EnumerateFileSystemEntries(work));
    }

    [RootFact]
    public async Task Cancel_KillsEveryProcessOfTheBuild_AndRemovesItsFiles()
    {
        var work = _temp.Combine("work");
        using var cancel = new CancellationTokenSource();

        var building = DebianImage.BuildAsync(work, new DebianImageOptions { CacheDirectory = _temp.Combine("cache") }, cancel.Token);
        await WaitForChrootAsync(work);
        var running = ProcessesMentioning(work);
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => building);
        Assert.NotEmpty(running);
        Assert.Empty(ProcessesMentioning(work));
        Assert.Empty(Directory.EnumerateFileSystemEntries(work));
        Assert.DoesNotContain(work, File.ReadAllText("/proc/self/mountinfo"), StringComparison.Ordinal);
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(_temp.Combine("cache"), "*", SearchOption.AllDirectories), File.Exists);
    }

    [Fact]
    public async Task MissingMmdebstrap_IsNotSupportedYet_AndNamesThePackage()
    {
        var options = new DebianImageOptions { Mmdebstrap = _temp.Combine("no", "mmdebstrap") };

        var e = await Assert.ThrowsAsync<NotSupportedYetException>(() => DebianImage.BuildAsync(_temp.Combine("work"), options, CancellationToken.None));

        Assert.Equal(501, e.StatusCode);
        Assert.Contains("apt-get install mmdebstrap", e.Message, StringComparison.Ordinal);
        Assert.Contains(options.Mmdebstrap, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Bookworm", "suite")]
    [InlineData("bookworm\nTypes: deb", "suite")]
    [InlineData("-bookworm", "suite")]
    public async Task BadSuite_IsABadRequest(string suite, string field)
    {
        var e = await Assert.ThrowsAsync<BadRequestException>(() =>
            DebianImage.BuildAsync(_temp.Combine("work"), new DebianImageOptions { Suite = suite }, CancellationToken.None));

        Assert.StartsWith($"{field}: ", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("vim,curl")]
    [InlineData("--allow-downgrades")]
    [InlineData("Vim")]
    [InlineData("x")]
    public async Task BadPackage_IsABadRequest(string package)
    {
        var e = await Assert.ThrowsAsync<BadRequestException>(() =>
            DebianImage.BuildAsync(_temp.Combine("work"), new DebianImageOptions { Include = [package] }, CancellationToken.None));

        Assert.StartsWith("include: ", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Waits until mmdebstrap has unpacked packages into its chroot below WORK, so that the build is well under way.</summary>
    private static async Task WaitForChrootAsync(string work)
    {
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 120;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            // WORK/.debian-ID/tmp is mmdebstrap's TMPDIR, where it makes its chroot.
            var chroots = Directory.Exists(work)
                ? Directory.EnumerateDirectories(work, ".debian-*").SelectMany(d => Directory.Exists(Path.Combine(d, "tmp")) ? Directory.EnumerateDirectories(Path.Combine(d, "tmp"), "mmdebstrap.*") : [])
                : [];
            if (chroots.Any(chroot => File.Exists(Path.Combine(chroot, "usr", "bin", "dpkg"))))
                return;
            await Task.Delay(100);
        }
        Assert.Fail("mmdebstrap did not start unpacking within two minutes");
    }

    /// <summary>Processes whose command line or working directory names PATH (the build's own directory).</summary>
    private static List<int> ProcessesMentioning(string path)
    {
        var found = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid) || pid == Environment.ProcessId)
                continue;
            try
            {
                var commandLine = File.ReadAllText(Path.Combine(entry, "cmdline")).Replace('\0', ' ');
                var directory = new DirectoryInfo(Path.Combine(entry, "cwd")).LinkTarget ?? "";
                var root = new DirectoryInfo(Path.Combine(entry, "root")).LinkTarget ?? "";
                if (commandLine.Contains(path, StringComparison.Ordinal) || directory.StartsWith(path, StringComparison.Ordinal) || root.StartsWith(path, StringComparison.Ordinal))
                    found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile.
            }
        }
        return found;
    }

    private static string Inode(string path) => Run("stat", "-c", "%d:%i", path).Trim();

    private static string Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEnd();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)}: exit {process.ExitCode}: {stderr}");
        return stdout;
    }
}
