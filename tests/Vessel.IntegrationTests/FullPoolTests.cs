using System.Globalization;
using System.Text.Json;
using Vessel.Core.Api;

namespace Vessel.IntegrationTests;

/// <summary>A dir pool on a small ext4 filesystem of its own (a loop device) that a snapshot and an import fill up.</summary>
public sealed class FullPoolTests : IDisposable
{
    private readonly Host _host = new();
    private readonly string _mount = Path.Combine(Path.GetTempPath(), $"vessel-full-{Guid.NewGuid():N}");

    public FullPoolTests()
    {
        _host.StartDaemon();
        var image = Path.Combine(_host.Root, "small.img");
        Ok(_host.Run("truncate", "-s", "40M", image));
        Ok(_host.Run("mkfs.ext4", "-q", image));
        Directory.CreateDirectory(_mount);
        Ok(_host.Run("mount", "-o", "loop", image, _mount));
    }

    public void Dispose()
    {
        _host.Dispose(); // deletes the instances first
        _host.Run("umount", "--detach-loop", _mount);
        Directory.Delete(_mount);
    }

    private static void Ok(CliResult result) => Assert.True(result.ExitCode == 0, result.ToString());

    private long Free() => new DriveInfo(_mount).AvailableFreeSpace;

    /// <summary>The space a failed write took is given back (give or take a directory block or two).</summary>
    private void AssertFreeAgain(long before) => Assert.InRange(Free(), before - (64 << 10), before + (64 << 10));

    /// <summary>A restore of a running container copies its snapshot back: a full pool refuses it, and the container runs on as it was.</summary>
    [Fact]
    public void RestoreOfARunningContainer_InAFullPool_IsRefusedNamingThePool_AndItRunsOnAsItWas()
    {
        var pool = Path.Combine(_mount, "pool");
        Ok(_host.Vessel("storage", "create", "small", "dir", $"source={pool}"));
        Ok(_host.Vessel("image", "build", "busybox"));
        Ok(_host.Vessel("launch", "busybox", "r1", "--storage", "small", "--network", "none"));
        Ok(_host.Vessel("exec", "r1", "--", "dd", "if=/dev/urandom", "of=/then", "bs=1M", "count=10"));
        Ok(_host.Vessel("snapshot", "create", "r1", "s1"));
        Ok(_host.Vessel("exec", "r1", "--", "sh", "-c", "rm /then && echo now > /now"));
        var filler = Path.Combine(_mount, "filler");
        Ok(_host.Run("fallocate", "-l", (Free() - (4 << 20)).ToString(CultureInfo.InvariantCulture), filler));

        RefusedAsFull(_host.Vessel("snapshot", "restore", "r1", "s1"));

        Assert.Contains("RUNNING", _host.Vessel("list").Stdout.Split('\n').Single(l => l.Contains("r1", StringComparison.Ordinal)));
        Assert.Equal("now\n", _host.Vessel("exec", "r1", "--", "cat", "/now").Stdout);
        File.Delete(filler);
        Ok(_host.Vessel("snapshot", "restore", "r1", "s1"));
        Assert.Equal(0, _host.Vessel("exec", "r1", "--", "test", "-f", "/then").ExitCode);
    }

    [Fact]
    public void SnapshotAndImport_IntoAFullPool_AreRefusedNamingThePool_AndLeaveWhatWasThere()
    {
        var pool = Path.Combine(_mount, "pool");
        Ok(_host.Vessel("storage", "create", "small", "dir", $"source={pool}"));
        Ok(_host.Vessel("image", "build", "busybox"));
        Ok(_host.Vessel("launch", "busybox", "c1", "--storage", "small", "--network", "none"));
        Ok(_host.Vessel("exec", "c1", "--", "dd", "if=/dev/urandom", "of=/big", "bs=1M", "count=20"));
        var free = Free();

        var snapshot = _host.Vessel("snapshot", "create", "c1", "s1");
        Assert.Equal(1, snapshot.ExitCode);
        Assert.Contains("storage pool \"small\" is full (", snapshot.Stderr, StringComparison.Ordinal);
        Assert.Contains("No space left on device", snapshot.Stderr, StringComparison.Ordinal);
        Assert.Equal("[]", _host.Vessel("snapshot", "list", "c1", "--format", "json").Stdout.Trim());
        var snapshots = Path.Combine(pool, "containers", "c1", "snapshots");
        Assert.False(Directory.Exists(snapshots) && Directory.EnumerateFileSystemEntries(snapshots).Any());
        AssertFreeAgain(free);
        Assert.Equal("alive\n", _host.Vessel("exec", "c1", "--", "echo", "alive").Stdout); // not left frozen

        Ok(_host.Vessel("stop", "c1", "--force"));
        var backup = Path.Combine(_host.Root, "c1.tar.zst");
        Ok(_host.Vessel("export", "c1", backup));
        Ok(_host.Vessel("delete", "c1"));
        Ok(_host.Vessel("launch", "busybox", "filler", "--storage", "small", "--network", "none"));
        Ok(_host.Vessel("exec", "filler", "--", "dd", "if=/dev/zero", "of=/big", "bs=1M", "count=12"));
        free = Free();

        var import = _host.Vessel("import", backup, "--storage", "small");
        Assert.Equal(1, import.ExitCode);
        Assert.StartsWith("Error: storage pool \"small\" is full (", import.Stderr, StringComparison.Ordinal);
        Assert.Equal(["filler"], JsonSerializer.Deserialize(_host.Vessel("list", "--format", "json").Stdout, VesselJson.Wire.ListInstance)!.Select(i => i.Name));
        Assert.False(Directory.Exists(Path.Combine(pool, "containers", "c1")));
        AssertFreeAgain(free);
        Assert.Equal("filler\n", _host.Vessel("exec", "filler", "--", "hostname").Stdout);
    }

    /// <param name="cause">What the tool that met the full filesystem said (GNU tar says how much of a record it wrote).</param>
    private static void RefusedAsFull(CliResult result, string cause = "No space left on device")
    {
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("Error: storage pool \"small\" is full (", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(cause, result.Stderr, StringComparison.Ordinal);
    }

    private string[] SnapshotNames(string name) =>
        [.. JsonSerializer.Deserialize(_host.Vessel("snapshot", "list", name, "--format", "json").Stdout, VesselJson.Wire.ListSnapshot)!.Select(s => s.Name)];

    [Fact]
    public void VmSnapshotAndVmImport_IntoAFullPool_AreRefusedNamingThePool_AndTheVmWithItsSnapshotsStaysUsable()
    {
        var pool = Path.Combine(_mount, "pool");
        Ok(_host.Vessel("storage", "create", "small", "dir", $"source={pool}"));
        var raw = Path.Combine(_host.Root, "disk.raw");
        File.WriteAllBytes(raw, new byte[8 << 20]);
        Ok(_host.Vessel("image", "import", raw, "--vm", "--alias", "blank"));
        Ok(_host.Vessel("launch", "blank", "v1", "--vm", "--storage", "small", "--network", "none"));
        Ok(_host.Vessel("stop", "v1", "--force"));
        Ok(_host.Vessel("config", "device", "add", "v1", "root", "disk", "path=/", "pool=small", "size=64MiB"));
        var disk = Path.Combine(pool, "virtual-machines", "v1", "root.qcow2");
        Ok(_host.Run("qemu-io", "-c", "write -P 0x5a 1M 64k", disk));
        Ok(_host.Vessel("snapshot", "create", "v1", "s1"));
        Ok(_host.Run("qemu-io", "-c", "write -P 0x6b 1M 64k", disk));
        var filler = Path.Combine(_mount, "filler");
        // Every free block, those ext4 keeps for root too (the daemon is root), one 1 KiB block at a time until ENOSPC: a
        // snapshot of a sparse qcow2 needs only a few blocks.
        Assert.Contains("No space left on device", _host.Run("dd", "if=/dev/zero", $"of={filler}", "bs=1k").Stderr, StringComparison.Ordinal);

        void Intact()
        {
            Assert.Equal(["s1"], SnapshotNames("v1"));
            var check = _host.Run("qemu-img", "check", "-U", disk);
            Assert.True(check.ExitCode is 0 or 3, check.ToString()); // 3: leaked clusters, which waste room but lose nothing
            Ok(_host.Run("qemu-io", "-r", "-U", "-c", "read -P 0x6b 1M 64k", disk));
        }
        RefusedAsFull(_host.Vessel("snapshot", "create", "v1", "s2")); // stopped: qemu-img
        Intact();
        RefusedAsFull(_host.Vessel("copy", "v1", "v3")); // a disk that holds snapshots is copied whole
        Assert.False(Directory.Exists(Path.Combine(pool, "virtual-machines", "v3")));
        Assert.DoesNotContain("v3", _host.Vessel("list").Stdout, StringComparison.Ordinal);
        RefusedAsFull(_host.Vessel("storage", "volume", "create", "small", "vol1")); // its directory needs a block
        Assert.DoesNotContain("vol1", _host.Vessel("storage", "volume", "list", "small").Stdout, StringComparison.Ordinal);
        Intact();
        Ok(_host.Vessel("start", "v1"));
        RefusedAsFull(_host.Vessel("snapshot", "create", "v1", "s2")); // running: QMP
        var stateful = _host.Vessel("snapshot", "create", "v1", "s2", "--stateful");
        RefusedAsFull(stateful);
        Assert.Contains("Error while writing VM state", stateful.Stderr, StringComparison.Ordinal); // which QEMU reports as EIO
        Intact();
        Assert.Contains("RUNNING", _host.Vessel("list").Stdout.Split('\n').Single(l => l.Contains("v1", StringComparison.Ordinal)));

        File.Delete(filler);
        Ok(_host.Vessel("snapshot", "create", "v1", "s2", "--stateful"));
        Ok(_host.Vessel("stop", "v1", "--force"));
        Ok(_host.Vessel("snapshot", "restore", "v1", "s1"));
        Ok(_host.Run("qemu-io", "-r", "-c", "read -P 0x5a 1M 64k", disk));
        Ok(_host.Vessel("snapshot", "restore", "v1", "s2"));
        Assert.Contains("RUNNING", _host.Vessel("list").Stdout.Split('\n').Single(l => l.Contains("v1", StringComparison.Ordinal)));

        // A whole VM export that does not fit: no instance, no files, the room it took given back.
        Ok(_host.Vessel("stop", "v1", "--force"));
        Ok(_host.Run("qemu-io", "-c", "write -P 0x77 4M 16M", disk));
        var backup = Path.Combine(_host.Root, "v1.tar.zst");
        Ok(_host.Vessel("export", "v1", backup));
        Ok(_host.Run("fallocate", "-l", (new DriveInfo(_mount).TotalFreeSpace - (8 << 20)).ToString(CultureInfo.InvariantCulture), filler));
        var free = Free();

        RefusedAsFull(_host.Vessel("import", backup, "v2", "--storage", "small"), "tar: ./root.qcow2: Wrote only");
        Assert.Equal(["v1"], JsonSerializer.Deserialize(_host.Vessel("list", "--format", "json").Stdout, VesselJson.Wire.ListInstance)!.Select(i => i.Name));
        Assert.False(Directory.Exists(Path.Combine(pool, "virtual-machines", "v2")));
        AssertFreeAgain(free);
        Assert.Equal(["s1", "s2"], SnapshotNames("v1"));
        Ok(_host.Vessel("start", "v1"));
        File.Delete(filler);
        Ok(_host.Vessel("delete", "--force", "v1"));
    }

    [Fact]
    public void AnIncrementThatDoesNotFit_IsRefused_AndTheDiskStaysAtTheExportItFollows()
    {
        var raw = Path.Combine(_host.Root, "disk.raw");
        File.WriteAllBytes(raw, new byte[8 << 20]);
        Ok(_host.Vessel("image", "import", raw, "--vm", "--alias", "blank"));
        Ok(_host.Vessel("launch", "blank", "v1", "--vm", "--network", "none"));
        Ok(_host.Vessel("stop", "v1", "--force"));
        var source = Path.Combine(_host.StateDirectory, "pools", "default", "virtual-machines", "v1", "root.qcow2");
        Ok(_host.Run("qemu-img", "resize", source, "64M"));
        var whole = Path.Combine(_host.Root, "whole");
        Ok(_host.Vessel("export", "v1", whole));
        Ok(_host.Run("qemu-io", "-c", "write -P 0x77 0 30M", source));
        var increment = Path.Combine(_host.Root, "increment");
        Ok(_host.Vessel("export", "v1", increment, "--incremental"));

        Ok(_host.Vessel("storage", "create", "small", "dir", $"source={Path.Combine(_mount, "pool")}"));
        Ok(_host.Vessel("import", whole, "v2", "--storage", "small"));
        var disk = Path.Combine(_mount, "pool", "virtual-machines", "v2", "root.qcow2");
        var filler = Path.Combine(_mount, "filler");
        Ok(_host.Run("fallocate", "-l", (Free() - (16 << 20)).ToString(System.Globalization.CultureInfo.InvariantCulture), filler));

        var apply = _host.Vessel("import", increment, "v2");
        Assert.Equal(1, apply.ExitCode);
        Assert.StartsWith("Error: storage pool \"small\" is full (", apply.Stderr, StringComparison.Ordinal);
        Ok(_host.Run("qemu-io", "-r", "-c", "read -P 0 0 30M", disk));
        Assert.Empty(_host.Run("qemu-img", "snapshot", "-l", disk).Stdout.Trim());

        File.Delete(filler);
        // An increment cut off by a crash (its marker and snapshot left): v2 does not start on the torn disk, and applying
        // the increment again goes back first.
        Ok(_host.Run("qemu-img", "snapshot", "-c", "vessel-before-increment", disk));
        File.WriteAllBytes(Path.Combine(Path.GetDirectoryName(disk)!, ".increment-applying"), []);
        Ok(_host.Run("qemu-io", "-c", "write -P 0x13 40M 64k", disk));
        var start = _host.Vessel("start", "v2");
        Assert.Equal(1, start.ExitCode);
        Assert.Contains("holds an increment cut off midway", start.Stderr, StringComparison.Ordinal);
        Ok(_host.Vessel("import", increment, "v2"));
        Ok(_host.Run("qemu-io", "-r", "-c", "read -P 0x77 0 30M", disk));
        Ok(_host.Run("qemu-io", "-r", "-c", "read -P 0 40M 64k", disk));
        Ok(_host.Vessel("delete", "v1"));
        Ok(_host.Vessel("delete", "v2"));
    }
}
