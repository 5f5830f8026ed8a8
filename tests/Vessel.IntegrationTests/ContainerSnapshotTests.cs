using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Vessel.Core.Api;
using Vessel.Core.Model;

namespace Vessel.IntegrationTests;

/// <summary>Snapshots of real containers: taken frozen, restored with their files, deleted with the container.</summary>
public sealed class ContainerSnapshotTests : IClassFixture<ContainerTests.BusyboxHost>
{
    private readonly Host _host;

    public ContainerSnapshotTests(ContainerTests.BusyboxHost fixture) => _host = fixture.Host;

    private static void Ok(CliResult result) => Assert.True(result.ExitCode == 0, result.ToString());

    private CliResult Exec(string name, string script) => _host.Vessel("exec", name, "--", "sh", "-c", script);

    [Fact]
    public void FileChangedAfterASnapshot_IsBackAfterRestore_AndTheContainerRunsAgain()
    {
        Ok(_host.Vessel("launch", "busybox", "snapc", "--network", "none"));
        Ok(Exec("snapc", "echo before > /root/data && rm /etc/hostname && mkdir -p /srv/new"));
        Ok(_host.Vessel("snapshot", "create", "snapc", "s1"));
        Ok(Exec("snapc", "echo after > /root/data && echo again > /etc/hostname && rm -r /srv/new && echo extra > /root/extra"));

        Ok(_host.Vessel("snapshot", "restore", "snapc", "s1"));

        Assert.Equal("before\n", Exec("snapc", "cat /root/data").Stdout);
        Assert.NotEqual(0, Exec("snapc", "test -e /etc/hostname").ExitCode); // the deletion (an overlay whiteout) came back too
        Ok(Exec("snapc", "test -d /srv/new"));
        Assert.NotEqual(0, Exec("snapc", "test -e /root/extra").ExitCode);
        Assert.Contains("RUNNING", _host.Vessel("list").Stdout.Split('\n').Single(l => l.Contains("snapc", StringComparison.Ordinal)));

        var taken = _host.Vessel("snapshot", "create", "snapc", "s1");
        Assert.Equal(1, taken.ExitCode);
        Assert.Contains("already has a snapshot named \"s1\"", taken.Stderr);
        Assert.Contains("s1", _host.Vessel("snapshot", "list", "snapc").Stdout);
        Ok(_host.Vessel("snapshot", "delete", "snapc", "s1"));
        Assert.DoesNotContain("s1", _host.Vessel("snapshot", "list", "snapc").Stdout);
        Ok(_host.Vessel("delete", "--force", "snapc"));
    }

    /// <summary>A start and a restore at once wait for each other: the root a start mounts is never the one a restore swaps out.</summary>
    [Fact]
    public async Task RestoreAndStartAtOnce_EndRunningOnTheSnapshot_AndLeaveNoHalfRestore()
    {
        Ok(_host.Vessel("launch", "busybox", "racer", "--network", "none"));
        Ok(Exec("racer", "echo before > /root/data && dd if=/dev/zero of=/root/ballast bs=1M count=32 2>/dev/null")); // a restore that takes a while
        Ok(_host.Vessel("snapshot", "create", "racer", "s1"));
        for (var round = 0; round < 10; round++)
        {
            Ok(Exec("racer", "echo after > /root/data"));
            Ok(_host.Vessel("stop", "racer", "--force"));

            var restore = Task.Run(() => _host.Vessel("snapshot", "restore", "racer", "s1"));
            var start = Task.Run(() => _host.Vessel("start", "racer"));
            Ok(await restore);
            var started = await start;
            // The start may come second to a restore that started the container itself: then it is refused, cleanly.
            Assert.True(started.ExitCode == 0 || started.Stderr == "Error: cannot start instance \"racer\": it is Running\n", started.ToString());

            Assert.Contains("RUNNING", _host.Vessel("list").Stdout.Split('\n').Single(l => l.Contains("racer", StringComparison.Ordinal)));
            Assert.Equal("before\n", Exec("racer", "cat /root/data").Stdout);
            Assert.Equal(["rootfs", "snapshots", "upper", "work"], // no upper.restoring or upper.before-restore
                Directory.EnumerateDirectories(Path.Combine(_host.StateDirectory, "pools", "default", "containers", "racer")).Select(Path.GetFileName).Order());
        }
        Ok(_host.Vessel("delete", "--force", "racer"));
    }

    /// <summary>On a dir pool, what the overlay's upper directory and the snapshots hold (du); the image is not in the pool.</summary>
    [Fact]
    public void DiskUsage_GrowsByWhatIsWritten_AndByASnapshotOfIt_RunningOrStopped()
    {
        Ok(_host.Vessel("launch", "busybox", "duc", "--network", "none"));
        var fresh = _host.DiskBytes("duc")!.Value;
        Assert.InRange(fresh, 1, 1 << 20);

        Ok(Exec("duc", "dd if=/dev/urandom of=/root/big bs=1M count=64 2>/dev/null && sync"));
        var written = _host.DiskBytes("duc")!.Value;
        Assert.InRange(written - fresh, 64L << 20, 65L << 20);

        Ok(_host.Vessel("snapshot", "create", "duc", "s1")); // a copy of the upper directory on ext4
        Ok(_host.Vessel("stop", "duc", "--force"));
        Assert.InRange(_host.DiskBytes("duc")!.Value - written, 64L << 20, 65L << 20);
        Assert.Matches(@"Usage:\n  Disk: 12[89]\.\d+MiB\n", _host.Vessel("info", "duc").Stdout);
        Assert.Matches("vessel_instance_disk_bytes\\{name=\"duc\",type=\"container\"\\} [0-9]+\n", _host.Api("/1.0/metrics"));
        Ok(_host.Vessel("delete", "duc"));
    }

    [Fact]
    public void CopyOfARunningContainer_AndOfASnapshot_HaveTheFiles_AndTheirOwnIdentity()
    {
        Ok(_host.Vessel("launch", "busybox", "origin", "--network", "none"));
        Ok(Exec("origin", "echo first > /root/data && echo 0123456789abcdef0123456789abcdef > /etc/machine-id"));
        Ok(_host.Vessel("snapshot", "create", "origin", "s1"));
        Ok(Exec("origin", "echo second > /root/data"));

        Ok(_host.Vessel("copy", "origin", "twin"));
        Ok(_host.Vessel("copy", "origin/s1", "older"));
        Ok(_host.Vessel("start", "twin"));
        Ok(_host.Vessel("start", "older"));

        Assert.Equal("second\n", Exec("twin", "cat /root/data").Stdout);
        Assert.Equal("first\n", Exec("older", "cat /root/data").Stdout);
        Assert.Equal("twin\n", Exec("twin", "hostname").Stdout);
        Assert.Equal("", Exec("twin", "cat /etc/machine-id").Stdout); // systemd would make a new one
        Assert.Equal("second\n", Exec("origin", "cat /root/data").Stdout);
        Ok(_host.Vessel("delete", "--force", "origin", "twin", "older"));
    }

    [Fact]
    public void ExportDeleteImport_GivesTheContainerBackWithItsDataAndSnapshots()
    {
        Ok(_host.Vessel("launch", "busybox", "saved", "--network", "none"));
        Ok(Exec("saved", "echo precious > /root/data && rm /etc/hostname"));
        Ok(_host.Vessel("snapshot", "create", "saved", "s1"));
        Ok(Exec("saved", "echo newer > /root/data"));
        Ok(_host.Vessel("stop", "saved"));
        var file = Path.Combine(_host.Root, "saved.backup");
        Ok(_host.Vessel("export", "saved", file));
        Ok(_host.Vessel("delete", "saved"));

        Ok(_host.Vessel("import", file));
        Ok(_host.Vessel("start", "saved"));
        Assert.Equal("newer\n", Exec("saved", "cat /root/data").Stdout);
        Assert.NotEqual(0, Exec("saved", "test -e /etc/hostname").ExitCode);
        Ok(_host.Vessel("snapshot", "restore", "saved", "s1"));
        Assert.Equal("precious\n", Exec("saved", "cat /root/data").Stdout);
        Ok(_host.Vessel("delete", "--force", "saved"));
    }

    [Fact]
    public void PublishOfASnapshot_IsAnImageOfTheRootAsTheSnapshotHadIt()
    {
        Ok(_host.Vessel("launch", "busybox", "pubsrc", "--network", "none"));
        Ok(Exec("pubsrc", "echo before > /root/data && rm /bin/vi"));
        Ok(_host.Vessel("snapshot", "create", "pubsrc", "snap1"));
        Ok(Exec("pubsrc", "echo after > /root/data && echo new > /root/extra"));

        Ok(_host.Vessel("publish", "pubsrc/snap1", "--alias", "from-snap1")); // running: its snapshot is published as it is
        Ok(_host.Vessel("launch", "from-snap1", "pubcopy", "--network", "none"));

        Assert.Equal("before\n", Exec("pubcopy", "cat /root/data").Stdout);
        Assert.Equal("gone\n", Exec("pubcopy", "test -e /bin/vi || test -e /root/extra || echo gone").Stdout);
        Assert.Equal("after\n", Exec("pubsrc", "cat /root/data").Stdout);
        Ok(_host.Vessel("delete", "--force", "pubsrc", "pubcopy"));
        Ok(_host.Vessel("image", "delete", "from-snap1"));
    }

    /// <summary>
    /// The scheduler makes one pass a minute, at its start (no faster without a fake clock): at the next one a snapshot
    /// taken with a one-second expiry is deleted and the snapshot snapshots.schedule asks for every minute is taken. That a
    /// scheduled snapshot's own expiry deletes it would take a pass more; it is only checked to be set from snapshots.expiry.
    /// </summary>
    [Fact]
    public void AtTheNextMinute_AnExpiredSnapshotIsDeleted_AndTheScheduleTakesOne()
    {
        // Begun early in a minute, so that the snapshot that expires is on disk before the pass that deletes it.
        if (DateTimeOffset.UtcNow.Second > 40)
            Thread.Sleep(TimeSpan.FromSeconds(62 - DateTimeOffset.UtcNow.Second));
        Ok(_host.Vessel("launch", "busybox", "sched", "--network", "none"));
        Ok(Exec("sched", "echo scheduled > /root/data"));
        Ok(_host.Vessel("snapshot", "create", "sched", "brief", "--expiry", "1S"));
        var snapshots = Path.Combine(_host.StateDirectory, "pools", "default", "containers", "sched", "snapshots");
        Assert.True(File.Exists(Path.Combine(snapshots, "brief", "upper", "root", "data")));
        Ok(_host.Vessel("config", "set", "sched", "snapshots.schedule=* * * * *", "snapshots.expiry=1d"));

        var clock = Stopwatch.StartNew();
        List<Snapshot> taken;
        while (true)
        {
            taken = JsonSerializer.Deserialize(_host.Vessel("snapshot", "list", "sched", "--format", "json").Stdout,
                VesselJson.Wire.ListSnapshot)!;
            // A snapshot's record comes before its data, which is copied beside and then renamed into place.
            if (taken.Select(s => s.Name).SequenceEqual(["snap0"]) && File.Exists(Path.Combine(snapshots, "snap0", "upper", "root", "data"))
                && !Directory.Exists(Path.Combine(snapshots, "brief")))
                break;
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(75), $"after {clock.Elapsed.TotalSeconds:F0} s: {string.Join(", ", taken.Select(s => s.Name))}");
            Thread.Sleep(500);
        }
        Assert.Equal("scheduled\n", File.ReadAllText(Path.Combine(snapshots, "snap0", "upper", "root", "data")));
        Assert.Equal(taken[0].CreatedAt.AddDays(1), taken[0].ExpiresAt);
        Ok(_host.Vessel("delete", "--force", "sched"));
    }

    [Fact]
    public void SnapshotUnderWriteLoad_IsOneMoment()
    {
        Ok(_host.Vessel("launch", "busybox", "snapw", "--network", "none"));
        // The writer appends i to a log, then puts i alone in another file (whole, by rename): at any one moment
        // "last" is the log's last line or the one before it.
        Ok(Exec("snapw", "setsid sh -c 'i=0; while true; do i=$((i+1)); echo $i >> /root/log; echo $i > /root/next; mv /root/next /root/last; done' " +
            "</dev/null >/dev/null 2>&1 &"));
        Thread.Sleep(500);
        Ok(_host.Vessel("snapshot", "create", "snapw", "busy"));
        Ok(_host.Vessel("stop", "snapw", "--force"));
        Ok(_host.Vessel("snapshot", "restore", "snapw", "busy"));
        Ok(_host.Vessel("start", "snapw"));

        var lastLine = long.Parse(Exec("snapw", "tail -n 1 /root/log").Stdout.Trim(), CultureInfo.InvariantCulture);
        var last = long.Parse(Exec("snapw", "cat /root/last").Stdout.Trim(), CultureInfo.InvariantCulture);
        Assert.True(lastLine > 0);
        Assert.True(last == lastLine || last == lastLine - 1, $"last {last}, log ends at {lastLine}");
        Ok(_host.Vessel("delete", "--force", "snapw"));
    }
}
