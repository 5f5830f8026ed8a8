using System.Formats.Tar;
using System.Text;
using System.Text.Json;
using Vessel.Core.Api;
using Vessel.Core.Model;

namespace Vessel.IntegrationTests;

/// <summary>The real vessel binary against a real vesseld: output, exit codes (0 ok, 1 error, 2 usage), one-line errors.</summary>
public sealed class CliTests : IDisposable
{
    private readonly Host _host = new();

    public CliTests() => _host.StartDaemon();

    public void Dispose() => _host.Dispose();

    private string MakeTar(string content)
    {
        var path = Path.Combine(_host.Root, $"rootfs-{Guid.NewGuid():N}.tar");
        using var file = File.Create(path);
        using var writer = new TarWriter(file);
        writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "etc/motd") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });
        return path;
    }

    private static void Ok(CliResult result) => Assert.True(result.ExitCode == 0, result.ToString());

    [Fact]
    public void FreshDaemon_ListsNothing_AndHasTheDefaultPool()
    {
        var list = _host.Vessel("list");
        Ok(list);
        Assert.Contains("| NAME | STATE | IPV4 | TYPE | IMAGE | POOL | CREATED |", list.Stdout);
        Assert.Equal("[]", _host.Vessel("list", "--format", "json").Stdout.Trim());
        Assert.Equal("", _host.Vessel("list", "--format", "csv").Stdout);

        var pools = _host.Vessel("storage", "list");
        Ok(pools);
        Assert.Contains($"| default | dir    | {Path.Combine(_host.StateDirectory, "pools", "default")}", pools.Stdout);

        var version = _host.Vessel("version");
        Assert.Contains("Server version: 1.0.0 (API 1.0)", version.Stdout);
    }

    [Fact]
    public void ImageImportAliasShowDelete_RoundTrip()
    {
        var tar = MakeTar("hello");
        var import = _host.Vessel("image", "import", tar, "--alias", "base/1", "--description", "a test image");
        Ok(import);
        var fingerprint = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(tar)));
        Assert.Equal($"Image imported with fingerprint: {fingerprint}\n", import.Stdout);
        Assert.True(File.Exists(Path.Combine(_host.StateDirectory, "images", fingerprint, "rootfs.tar")));

        var again = _host.Vessel("image", "import", tar);
        Assert.Equal(1, again.ExitCode);
        Assert.Equal($"Error: image {fingerprint[..12]} already exists (aliases: base/1)\n", again.Stderr);

        Ok(_host.Vessel("image", "alias", "create", "base/latest", fingerprint[..12]));
        var taken = _host.Vessel("image", "alias", "create", "base/latest", fingerprint[..12]);
        Assert.Equal("Error: image alias \"base/latest\" already exists; delete it first or choose another\n", taken.Stderr);
        var show = _host.Vessel("image", "show", "base/latest");
        Ok(show);
        Assert.Contains($"Fingerprint: {fingerprint}", show.Stdout);
        Assert.Contains("Aliases: base/1, base/latest", show.Stdout);
        Assert.Contains("Description: a test image", show.Stdout);

        var images = JsonSerializer.Deserialize(_host.Vessel("image", "list", "--format", "json").Stdout, VesselJson.Wire.ListImage)!;
        Assert.Equal("container", Assert.Single(images).Type.Name());

        Ok(_host.Vessel("image", "delete", "base/1"));
        Assert.Equal("[]", _host.Vessel("image", "list", "--format", "json").Stdout.Trim());
        Assert.False(Directory.Exists(Path.Combine(_host.StateDirectory, "images", fingerprint)));
    }

    [Fact]
    public void ImageImport_OfATarballWithALinkTrick_IsRefused_AndLeavesNoImage()
    {
        var path = Path.Combine(_host.Root, "evil.tar.gz");
        using (var file = File.Create(path))
        using (var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionLevel.Fastest))
        using (var writer = new TarWriter(gzip))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "etc/"));
            writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "etc/cron.d") { LinkName = "/etc/cron.d" });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "etc/cron.d/evil") { DataStream = new MemoryStream("* * * * * root id\n"u8.ToArray()) });
        }

        var import = _host.Vessel("image", "import", path, "--alias", "evil");

        Assert.Equal(1, import.ExitCode);
        Assert.Equal("Error: the tarball: entry \"etc/cron.d/evil\" would be written through the symbolic link \"etc/cron.d\"\n", import.Stderr);
        Assert.Equal("[]", _host.Vessel("image", "list", "--format", "json").Stdout.Trim());
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(Path.Combine(_host.StateDirectory, "images")), e => !e.EndsWith(".staging", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(new string[0], "")]
    [InlineData(new[] { "frobnicate" }, "Error: unknown command \"frobnicate\" (see vessel help)\n")]
    [InlineData(new[] { "list", "--bogus" }, "Error: unknown option \"--bogus\"\n")]
    [InlineData(new[] { "list", "--format", "xml" }, "Error: --format: \"xml\" is not table, json or csv\n")]
    [InlineData(new[] { "launch", "busybox" }, "Error: usage: vessel launch IMAGE NAME [--vm] [-c key=value]... [--network NET|none] [--storage POOL] [--ephemeral]\n")]
    [InlineData(new[] { "launch", "busybox", "web1", "-c", "limits.memory" }, "Error: \"limits.memory\" is not key=value\n")]
    public void UsageErrors_ExitWith2(string[] args, string stderr)
    {
        var result = _host.Vessel(args);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(stderr, result.Stderr);
    }

    [Fact]
    public void ApiErrors_ExitWith1_InOneReadableLine()
    {
        Ok(_host.Vessel("image", "import", MakeTar("base"), "--alias", "busybox"));

        var cases = new (string[] Args, string Stderr)[]
        {
            (["launch", "busybox", "9bad"], "Error: name: \"9bad\" must start with a letter\n"),
            (["launch", "busybox", "web1", "-c", "limits.memory=12XB"],
                "Error: limits.memory: \"12XB\" is not a size; use a whole number with a unit such as 512MiB, 1GiB or 2GB\n"),
            (["launch", "busybox", "web1", "-c", "limits.cpu.allowance=50ms/0ms"], "Error: limits.cpu.allowance: the period 0ms is out of range; allowed is 1ms to 1000ms\n"),
            (["launch", "busybox", "web1", "--vm"], "Error: image \"busybox\" not found for virtual-machine instances (see vessel image list)\n"),
            (["info", "ghost"], "Error: instance \"ghost\" not found\n"),
            (["start", "ghost", "phantom"], "Error: instance \"ghost\" not found; instance \"phantom\" not found\n"),
            (["storage", "delete", "nope"], "Error: storage pool \"nope\" not found\n"),
        };
        foreach (var (args, stderr) in cases)
        {
            var result = _host.Vessel(args);
            Assert.True(result.ExitCode == 1, $"vessel {string.Join(' ', args)}: {result}");
            Assert.Equal(stderr, result.Stderr);
        }
        Assert.Equal("[]", _host.Vessel("list", "--format", "json").Stdout.Trim());
    }

    [Fact]
    public void StoragePool_CreateListDelete()
    {
        var source = Path.Combine(_host.Root, "fast");
        Ok(_host.Vessel("storage", "create", "fast", "dir", $"source={source}"));
        Assert.True(Directory.Exists(Path.Combine(source, "containers")));
        Assert.Contains("Source: " + source, _host.Vessel("storage", "show", "fast").Stdout);

        Ok(_host.Vessel("storage", "delete", "fast"));
        Assert.False(Directory.Exists(source));
        Assert.DoesNotContain("fast", _host.Vessel("storage", "list").Stdout);
    }

    [Fact]
    public void Doctor_ReportsTheDaemonAndEveryCheckWithAStatus()
    {
        var result = _host.Vessel("doctor");

        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("ok    daemon: vesseld answers at", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.Contains("hardware virtualization", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("cgroups", StringComparison.Ordinal));
        Assert.All(lines.Where(l => !l.StartsWith(' ')), l => Assert.Matches("^(ok|warn|fail) ", l));
        Assert.Equal(result.Stdout.Contains("\nfail ", StringComparison.Ordinal) ? 1 : 0, result.ExitCode);
    }

    [Fact]
    public async Task Monitor_PrintsEventsAsJsonLines()
    {
        var start = new System.Diagnostics.ProcessStartInfo(Binaries.Vessel, "monitor --type lifecycle") { RedirectStandardOutput = true };
        start.Environment["VESSEL_RUN_DIR"] = _host.RunDirectory;
        using var monitor = System.Diagnostics.Process.Start(start)!;
        try
        {
            var firstLine = monitor.StandardOutput.ReadLineAsync();
            await Task.Delay(300); // let the subscription reach the daemon before the event
            Ok(_host.Vessel("storage", "create", "events", "dir"));
            var line = await firstLine.WaitAsync(TimeSpan.FromSeconds(10));
            var e = JsonSerializer.Deserialize(line!, VesselJson.Wire.Event)!;
            Assert.Equal("storage-pool-created", e.Action);
            Assert.Equal("/1.0/storage-pools/events", e.Source);
        }
        finally
        {
            monitor.Kill();
        }
    }
}
