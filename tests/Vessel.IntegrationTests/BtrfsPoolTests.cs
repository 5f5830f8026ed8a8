namespace Vessel.IntegrationTests;

/// <summary>
/// Containers on a btrfs pool made on a loop file by a real daemon: roots are snapshots of the image, snapshots are
/// read-only subvolumes, copies are snapshots, quotas are qgroups; deleting the pool leaves no mount, loop device or file.
/// </summary>
public sealed class BtrfsPoolTests : IClassFixture<ContainerTests.BusyboxHost>
{
    private readonly Host _host;

    public BtrfsPoolTests(ContainerTests.BusyboxHost fixture) => _host = fixture.Host;

    private static void Ok(CliResult result) => Assert.True(result.ExitCode == 0, result.ToString());

    private CliResult Exec(string name, string script) => _host.Vessel("exec", name, "--", "sh", "-c", script);

    private string MountPoint(string pool) => Path.Combine(_host.StateDirectory, "pools", pool);

    private string LoopFile(string pool) => Path.Combine(_host.StateDirectory, "disks", pool + ".img");

    private static bool IsMounted(string path) =>
        File.ReadAllLines("/proc/self/mountinfo").Any(l => l.Split(' ')[4] == path);

    private CliResult Btrfs(params string[] args) => _host.Run("btrfs", args);

    [Fact]
    public void ContainerOnABtrfsPool_LivesInSubvolumes_ThroughSnapshotRestoreCopyExportPublishAndRestart_AndThePoolGoesWithoutATrace()
    {
        Ok(_host.Vessel("storage", "create", "bt", "btrfs", "size=1GiB"));
        Assert.True(IsMounted(MountPoint("bt")));
        var show = _host.Vessel("storage", "show", "bt");
        Assert.Contains("Driver: btrfs", show.Stdout);
        Assert.Contains("of 1GiB", show.Stdout);

        Ok(_host.Vessel("launch", "busybox", "b1", "--storage", "bt", "--network", "none"));
        var root = Path.Combine(MountPoint("bt"), "containers", "b1", "rootfs");
        Ok(Btrfs("subvolume", "show", root)); // a subvolume: a snapshot of the image, no overlay
        Assert.Contains(" - btrfs ", Exec("b1", "awk '$5 == \"/\"' /proc/self/mountinfo").Stdout);
        Ok(Exec("b1", "echo before > /root/data && rm /etc/hostname"));

        Ok(_host.Vessel("snapshot", "create", "b1", "s1"));
        var snapshot = Path.Combine(MountPoint("bt"), "containers", "b1", "snapshots", "s1");
        Assert.Contains("ro=true", Btrfs("property", "get", "-ts", snapshot, "ro").Stdout);
        Ok(Exec("b1", "echo after > /root/data && echo back > /etc/hostname && echo extra > /root/extra"));
        Ok(_host.Vessel("snapshot", "restore", "b1", "s1"));
        Assert.Equal("before\n", Exec("b1", "cat /root/data").Stdout);
        Assert.NotEqual(0, Exec("b1", "test -e /etc/hostname").ExitCode);
        Assert.NotEqual(0, Exec("b1", "test -e /root/extra").ExitCode);
        Ok(Exec("b1", "echo second > /root/data"));

        Ok(_host.Vessel("copy", "b1", "b2"));          // of a running container: frozen for the snapshot
        Ok(_host.Vessel("copy", "b1/s1", "b3"));
        Ok(Btrfs("subvolume", "show", Path.Combine(MountPoint("bt"), "containers", "b2", "rootfs")));
        Ok(_host.Vessel("start", "b2"));
        Ok(_host.Vessel("start", "b3"));
        Assert.Equal("second\n", Exec("b2", "cat /root/data").Stdout);
        Assert.Equal("before\n", Exec("b3", "cat /root/data").Stdout);
        Assert.Equal("b2\n", Exec("b2", "hostname").Stdout);
        Ok(_host.Vessel("delete", "--force", "b2", "b3"));

        // A restarted daemon (as after a reboot: the pool unmounted meanwhile) mounts the pool again.
        Ok(_host.Vessel("stop", "b1", "--force"));
        _host.KillDaemon(15);
        Ok(_host.Run("umount", MountPoint("bt")));
        _host.StartDaemon();
        Assert.True(IsMounted(MountPoint("bt")));
        Ok(_host.Vessel("start", "b1"));
        Assert.Equal("second\n", Exec("b1", "cat /root/data").Stdout);

        // Published as an image: the root as the container sees it, launched on the default (dir) pool.
        Ok(_host.Vessel("stop", "b1", "--force"));
        Ok(_host.Vessel("publish", "b1", "--alias", "from-btrfs"));
        Ok(_host.Vessel("launch", "from-btrfs", "p1", "--network", "none"));
        Assert.Equal("second\n", Exec("p1", "cat /root/data").Stdout);
        Ok(_host.Vessel("delete", "--force", "p1"));

        // Exported with its snapshot, deleted, imported into the pool again; into a dir pool it is refused whole.
        var file = Path.Combine(_host.Root, "b1.backup");
        Ok(_host.Vessel("export", "b1", file));
        Ok(_host.Vessel("delete", "b1"));
        Assert.False(Directory.Exists(Path.Combine(MountPoint("bt"), "containers", "b1")));
        var refused = _host.Vessel("import", file, "onto-dir", "--storage", "default");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("import it into a btrfs pool", refused.Stderr);
        Assert.DoesNotContain("onto-dir", _host.Vessel("list").Stdout);
        Ok(_host.Vessel("import", file)); // onto the pool it came from
        Ok(_host.Vessel("start", "b1"));
        Assert.Equal("second\n", Exec("b1", "cat /root/data").Stdout);
        Ok(_host.Vessel("snapshot", "restore", "b1", "s1"));
        Assert.Equal("before\n", Exec("b1", "cat /root/data").Stdout);
        Ok(_host.Vessel("delete", "--force", "b1"));

        Ok(_host.Vessel("image", "delete", "from-btrfs"));
        Ok(_host.Vessel("storage", "delete", "bt"));
        Assert.False(IsMounted(MountPoint("bt")));
        Assert.False(Directory.Exists(MountPoint("bt")));
        Assert.False(File.Exists(LoopFile("bt")));
        Assert.DoesNotContain(LoopFile("bt"), _host.Run("losetup", "-a").Stdout);
        Assert.DoesNotContain("bt", _host.Vessel("storage", "list").Stdout.Split('\n').Select(l => l.Split(' ')[0]));
    }

    /// <summary>
    /// A VM on a btrfs pool: its directory is nodatacow (QEMU rewrites its qcow2 in place), a linked copy reflinks the disk
    /// (shared extents, none of its own), snapshots restore, an export imports into the pool, and QEMU runs the disk there.
    /// </summary>
    [Fact]
    public void VmOnABtrfsPool_IsNodatacow_CopiesByReflink_SnapshotsAndImports()
    {
        var blank = Path.Combine(_host.Root, "blank-vm.qcow2");
        Ok(_host.Run("qemu-img", "create", "-q", "-f", "qcow2", blank, "64M"));
        Ok(_host.Vessel("image", "import", blank, "--vm", "--alias", "blank-bt"));
        Ok(_host.Vessel("storage", "create", "bv", "btrfs", "size=1GiB"));
        Ok(_host.Vessel("launch", "blank-bt", "v1", "--vm", "--storage", "bv", "--network", "none", "-c", "limits.memory=128MiB"));
        Ok(_host.Vessel("stop", "v1", "--force"));
        string Disk(string name) => Path.Combine(MountPoint("bv"), "virtual-machines", name, "root.qcow2");
        Assert.Contains("C", _host.Run("lsattr", "-d", Path.GetDirectoryName(Disk("v1"))!).Stdout.Split(' ')[0], StringComparison.Ordinal);
        Ok(_host.Run("qemu-io", "-c", "write -q -P 0x11 0 32M", Disk("v1")));

        Ok(_host.Vessel("copy", "v1", "v2"));
        var usage = Btrfs("filesystem", "du", "-s", "--raw", Disk("v2")).Stdout.Split('\n')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(long.Parse(usage[0], System.Globalization.CultureInfo.InvariantCulture) >= 32L << 20, string.Join(' ', usage));
        Assert.True(long.Parse(usage[1], System.Globalization.CultureInfo.InvariantCulture) < 1L << 20, $"the copy's disk has its own extents: {string.Join(' ', usage)}");
        Ok(_host.Run("qemu-io", "-r", "-c", "read -q -P 0x11 0 32M", Disk("v2")));

        Ok(_host.Vessel("snapshot", "create", "v1", "s1"));
        Ok(_host.Run("qemu-io", "-c", "write -q -P 0x22 0 32M", Disk("v1")));
        Ok(_host.Vessel("snapshot", "restore", "v1", "s1"));
        Ok(_host.Run("qemu-io", "-r", "-c", "read -q -P 0x11 0 32M", Disk("v1")));

        var backup = Path.Combine(_host.Root, "v1-bt.tar.zst");
        Ok(_host.Vessel("export", "v1", backup));
        Ok(_host.Vessel("import", backup, "v3", "--storage", "bv"));
        Ok(_host.Run("qemu-io", "-r", "-c", "read -q -P 0x11 0 32M", Disk("v3")));
        Assert.Contains("s1", _host.Vessel("snapshot", "list", "v3").Stdout, StringComparison.Ordinal);
        Ok(_host.Vessel("start", "v3"));
        Ok(_host.Vessel("stop", "v3", "--force"));

        // The pool grows while a VM in it runs; it does not shrink, and a dir pool has no size.
        Ok(_host.Vessel("start", "v1"));
        Ok(_host.Vessel("storage", "set", "bv", "size=2GiB"));
        Assert.Equal(2L << 30, new FileInfo(LoopFile("bv")).Length);
        Assert.Contains("of 2GiB", _host.Vessel("storage", "show", "bv").Stdout, StringComparison.Ordinal);
        var shrink = _host.Vessel("storage", "set", "bv", "size=1GiB");
        Assert.Equal("Error: size: a btrfs pool does not shrink yet; \"bv\" has 2GiB", shrink.Stderr.Trim());
        Assert.Equal("Error: size: a dir pool has no settings; it uses the filesystem that holds its directory",
            _host.Vessel("storage", "set", "default", "size=1GiB").Stderr.Trim());
        Ok(_host.Vessel("stop", "v1", "--force"));

        Ok(_host.Vessel("delete", "v1", "v2", "v3"));
        Ok(_host.Vessel("storage", "delete", "bv"));
        Ok(_host.Vessel("image", "delete", "blank-bt", "--vm"));
    }

    [Fact]
    public void RootSize_IsAQgroupLimitOnTheContainersRoot()
    {
        Ok(_host.Vessel("storage", "create", "bq", "btrfs", "size=1GiB"));
        Ok(_host.Vessel("launch", "busybox", "q1", "--storage", "bq", "--network", "none"));
        Assert.Null(_host.DiskBytes("q1")); // no quotas on the pool yet: nothing cheap tells what the root holds alone
        Ok(_host.Vessel("stop", "q1", "--force"));
        Ok(_host.Vessel("config", "device", "add", "q1", "root", "disk", "path=/", "pool=bq", "size=20MiB"));
        Ok(_host.Vessel("start", "q1"));

        var full = Exec("q1", "dd if=/dev/zero of=/root/big bs=1M count=40 && sync");
        Assert.NotEqual(0, full.ExitCode);
        Assert.Contains("quota", full.Stderr + full.Stdout, StringComparison.OrdinalIgnoreCase);
        Ok(Exec("q1", "rm /root/big && sync && echo small > /root/small"));
        var before = _host.DiskBytes("q1")!.Value;
        Ok(Exec("q1", "dd if=/dev/urandom of=/root/mid bs=1M count=16 && sync"));
        Assert.InRange(_host.DiskBytes("q1")!.Value - before, 16L << 20, 17L << 20); // the qgroup's exclusive bytes
        Ok(Exec("q1", "rm /root/mid && sync"));

        // A filesystem volume's size is a qgroup limit on its subvolume too, changed while a container uses it.
        Ok(_host.Vessel("storage", "volume", "create", "bq", "vq", "size=10MiB"));
        Ok(_host.Vessel("storage", "volume", "attach", "bq", "vq", "q1", "/data"));
        var over = Exec("q1", "dd if=/dev/zero of=/data/big bs=1M count=20 && sync");
        Assert.NotEqual(0, over.ExitCode);
        Assert.Contains("quota", over.Stderr + over.Stdout, StringComparison.OrdinalIgnoreCase);
        Ok(Exec("q1", "rm /data/big && sync"));
        Ok(_host.Vessel("storage", "volume", "set", "bq", "vq", "size=40MiB"));
        Ok(Exec("q1", "dd if=/dev/zero of=/data/big bs=1M count=20 && sync"));
        Ok(_host.Vessel("storage", "volume", "detach", "bq", "vq", "q1"));
        Ok(_host.Vessel("storage", "volume", "delete", "bq", "vq"));

        // A restore puts a new subvolume in the root's place: the limit is on it at once, not only from the next start.
        Ok(_host.Vessel("stop", "q1", "--force"));
        Ok(_host.Vessel("snapshot", "create", "q1", "s1"));
        Ok(_host.Vessel("config", "device", "set", "q1", "root", "size=30MiB"));
        Ok(_host.Vessel("snapshot", "restore", "q1", "s1"));
        var limits = Btrfs("qgroup", "show", "-ef", "--raw", Path.Combine(MountPoint("bq"), "containers", "q1", "rootfs"));
        Assert.Contains((30L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture), limits.Stdout, StringComparison.Ordinal);

        Ok(_host.Vessel("delete", "--force", "q1"));
        Ok(_host.Vessel("storage", "delete", "bq"));
        Assert.False(File.Exists(LoopFile("bq")));
    }

    [Fact]
    public void ProcessesInAContainer_CannotMakeASubvolume_WhichTheQgroupWouldNotCharge()
    {
        Ok(_host.Vessel("storage", "create", "bs", "btrfs", "size=1GiB"));
        Ok(_host.Vessel("launch", "busybox", "s1", "--storage", "bs", "--network", "none"));
        PushWithLibraries("s1", "/usr/bin/btrfs");

        var made = Exec("s1", "btrfs subvolume create /root/escape");
        var snapshot = Exec("s1", "mkdir /root/d && btrfs subvolume snapshot / /root/d/copy");

        Assert.True(made.ExitCode != 0, made.ToString());
        Assert.Contains("Operation not permitted", made.Stderr + made.Stdout);
        Assert.True(snapshot.ExitCode != 0, snapshot.ToString());
        Assert.Contains("Operation not permitted", snapshot.Stderr + snapshot.Stdout);
        Ok(Exec("s1", "btrfs --version")); // the tool itself runs: the filter refused the ioctls
        Ok(_host.Vessel("delete", "--force", "s1"));
        Ok(_host.Vessel("storage", "delete", "bs"));
    }

    /// <summary>A host program and the libraries ldd names for it, pushed into a container at the same paths.</summary>
    private void PushWithLibraries(string name, string program)
    {
        var libraries = _host.Run("ldd", program).Stdout.Split('\n')
            .Select(l => l.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(w => w.StartsWith('/')))
            .OfType<string>();
        foreach (var file in libraries.Append(program))
        {
            Ok(Exec(name, $"mkdir -p {Path.GetDirectoryName(file)}"));
            Ok(_host.Vessel("file", "push", file, name + file));
        }
    }

    [Theory]
    [InlineData("size=1MiB", "size: 1MiB is out of range; a btrfs pool is 256MiB to 16TiB")]
    [InlineData("source=/dev/vessel-no-such-disk", "source: \"/dev/vessel-no-such-disk\" does not exist")]
    [InlineData("compression=zstd", "compression: unknown btrfs pool setting")]
    public void BadPoolInput_IsA400_AndNothingIsMade(string setting, string message)
    {
        var result = _host.Vessel("storage", "create", "bad", "btrfs", setting);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.False(File.Exists(LoopFile("bad")));
        Assert.False(Directory.Exists(MountPoint("bad")));
        Assert.DoesNotContain("bad", _host.Vessel("storage", "list").Stdout);
    }

    [Fact]
    public void ADirectoryNotOnBtrfs_IsRefused_AndARootSizeOnADirPoolToo()
    {
        var plain = Path.Combine(_host.Root, "plain");
        Directory.CreateDirectory(plain);

        var result = _host.Vessel("storage", "create", "bad2", "btrfs", $"source={plain}");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("filesystem, not btrfs", result.Stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(plain));
        Ok(_host.Vessel("launch", "busybox", "d1", "--network", "none"));
        Ok(_host.Vessel("stop", "d1", "--force"));
        var refused = _host.Vessel("config", "device", "add", "d1", "root", "disk", "path=/", "pool=default", "size=1GiB");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("has no quotas; a btrfs pool has", refused.Stderr);
        Ok(_host.Vessel("delete", "d1"));
    }
}
