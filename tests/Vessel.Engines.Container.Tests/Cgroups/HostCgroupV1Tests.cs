using Vessel.Engines.Container.Cgroups;

namespace Vessel.Engines.Container.Tests.Cgroups;

/// <summary>The v1 backend against this host's real hierarchies, under vessel-test/&lt;guid&gt;.</summary>
public sealed class HostCgroupV1Tests : IDisposable
{
    private const long MiB = 1 << 20;
    private const string Unlimited = "9223372036854771712";

    private readonly List<ICgroup> _cgroups = [];
    private readonly List<HostChild> _children = [];

    private ICgroup NewCgroup()
    {
        var cgroup = Cgroup.Open($"{HostCgroups.TestParent}/{Guid.NewGuid():N}", HostCgroups.Layout);
        _cgroups.Add(cgroup);
        cgroup.Create();
        return cgroup;
    }

    private HostChild Start(string script)
    {
        var child = new HostChild(script);
        _children.Add(child);
        return child;
    }

    private static string Read(ICgroup cgroup, string controller, string name) => HostCgroups.Read(controller, cgroup.Path, name);

    [RootV1Fact]
    public void Lifecycle_RealProcess_LimitedFrozenMeasuredKilledRemoved()
    {
        var cgroup = NewCgroup();
        var child = Start("exec sleep 30");
        cgroup.AddProcess(child.Pid);
        child.Go();

        var applied = cgroup.Apply(CgroupLimits.Unlimited with { MemoryBytes = 64 * MiB, SwapAllowed = false, Pids = 10 });

        Assert.Equal("67108864", Read(cgroup, "memory", "memory.limit_in_bytes"));
        Assert.Equal("10", Read(cgroup, "pids", "pids.max"));
        Assert.Equal(File.Exists(HostCgroups.FileOf("memory", cgroup.Path, "memory.memsw.limit_in_bytes")), applied.SwapLimitApplied);
        Assert.Equal([child.Pid], cgroup.Processes());
        foreach (var controller in HostCgroups.Layout.V1Mounts.Keys.Intersect(["cpu", "cpuset", "memory", "pids", "freezer"]))
            Assert.Equal(child.Pid.ToString(), Read(cgroup, controller, "cgroup.procs"));

        cgroup.Freeze();
        Assert.Equal("FROZEN", Read(cgroup, "freezer", "freezer.state"));
        Assert.True(cgroup.IsFrozen);
        Assert.DoesNotContain(child.State(), "RS");

        cgroup.Thaw();
        Assert.Equal("THAWED", Read(cgroup, "freezer", "freezer.state"));
        Assert.False(cgroup.IsFrozen);

        // The shell charges its pages once it runs on after "go": exec, sleep's stack and heap.
        Assert.True(SpinWait.SpinUntil(() => cgroup.ReadUsage().MemoryBytes > 0, TimeSpan.FromSeconds(5)));
        var usage = cgroup.ReadUsage();
        Assert.InRange(usage.MemoryPeakBytes, usage.MemoryBytes, long.MaxValue);
        Assert.Equal(1, usage.Processes);
        Assert.Equal(0, usage.OomKills);

        Assert.Throws<CgroupException>(cgroup.Delete);

        cgroup.KillAll();
        Assert.True(child.WaitForExit(TimeSpan.FromSeconds(5)));
        Assert.Empty(cgroup.Processes());

        cgroup.Delete();
        foreach (var mount in HostCgroups.Layout.V1Mounts.Values)
            Assert.False(Directory.Exists(Path.Join(mount, cgroup.Path)), mount);
        cgroup.Delete();
    }

    [RootV1Fact]
    public void Freeze_BusyLoop_StopsUsingCpu()
    {
        var cgroup = NewCgroup();
        var child = Start("while :; do :; done");
        cgroup.AddProcess(child.Pid);
        child.Go();
        Assert.True(SpinWait.SpinUntil(() => cgroup.ReadUsage().CpuSeconds > 0.05, TimeSpan.FromSeconds(10)));

        cgroup.Freeze();
        var frozenAt = cgroup.ReadUsage().CpuSeconds;
        Thread.Sleep(300);

        Assert.Equal(frozenAt, cgroup.ReadUsage().CpuSeconds);
        Assert.DoesNotContain(child.State(), "RS");

        cgroup.Thaw();
        Assert.True(SpinWait.SpinUntil(() => cgroup.ReadUsage().CpuSeconds > frozenAt, TimeSpan.FromSeconds(10)));
    }

    [RootV1Fact]
    public void OpenEntry_SpawnedProcess_StartsInEveryHierarchy()
    {
        var cgroup = NewCgroup();
        var (read, write) = Vessel.Linux.Fds.Pipe();
        int pid;
        using (write)
        using (var entry = cgroup.OpenEntry())
        {
            using var child = Vessel.Linux.Spawn.RawSpawn.Start(entry.AddTo(new Vessel.Linux.Spawn.SpawnOptions
            {
                Path = "/bin/cat", Arguments = ["cat", "/proc/self/cgroup"], Fds = [(Vessel.Linux.Fds.Number(write), 1)],
            }));
            pid = child.Pid;
        }
        string output;
        using (var reader = new StreamReader(new FileStream(read, FileAccess.Read)))
            output = reader.ReadToEnd();
        Assert.Equal(0, Vessel.Linux.Processes.WaitForExit(pid));

        // Lines are ID:CONTROLLERS:PATH; "0::" is the cgroup2 hierarchy of a hybrid host.
        var paths = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(':', 3))
            .ToDictionary(fields => fields[1], fields => fields[2]);
        foreach (var controller in HostCgroups.Layout.V1Mounts.Keys.Intersect(["cpu", "cpuacct", "cpuset", "memory", "pids", "blkio", "devices", "freezer"]))
            Assert.Equal("/" + cgroup.Path, paths.First(p => p.Key.Split(',').Contains(controller)).Value);
        if (HostCgroups.Layout.UnifiedMount is not null)
            Assert.Equal("/" + cgroup.Path, paths[""]);
    }

    [RootV1Fact]
    public void PidsLimit_ForkingShell_CannotPassIt()
    {
        var cgroup = NewCgroup();
        cgroup.Apply(CgroupLimits.Unlimited with { Pids = 10 });
        var shell = Start("for i in $(seq 20); do sleep 30 & done; wait");
        cgroup.AddProcess(shell.Pid);

        shell.Go();

        Assert.True(SpinWait.SpinUntil(() => shell.Stderr.Length > 0, TimeSpan.FromSeconds(10)), "the shell never reported a failed fork");
        Assert.Contains("fork", shell.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.InRange(long.Parse(Read(cgroup, "pids", "pids.current")), 1, 10);
        Assert.InRange(cgroup.Processes().Count, 1, 10);
        Assert.InRange(long.Parse(Read(cgroup, "pids", "pids.events").Split(' ')[1]), 1, long.MaxValue);

        cgroup.KillAll();
        Assert.Empty(cgroup.Processes());
        cgroup.Delete();
    }

    [RootV1Fact]
    public void Apply_MemoryUpAndDownWithSwapAccounting_KernelAcceptsEveryStep()
    {
        var cgroup = NewCgroup();
        var memsw = File.Exists(HostCgroups.FileOf("memory", cgroup.Path, "memory.memsw.limit_in_bytes"));
        (long? Mib, bool Swap, string Memory, string Memsw)[] steps =
        [
            (64, false, "67108864", "67108864"),
            (128, false, "134217728", "134217728"),
            (32, false, "33554432", "33554432"),
            (32, true, "33554432", Unlimited),
            (16, false, "16777216", "16777216"),
            (null, false, Unlimited, Unlimited),
        ];

        foreach (var (mib, swap, memory, swapLimit) in steps)
        {
            cgroup.Apply(CgroupLimits.Unlimited with { MemoryBytes = mib * MiB, SwapAllowed = swap });

            Assert.Equal(memory, Read(cgroup, "memory", "memory.limit_in_bytes"));
            if (memsw)
                Assert.Equal(swapLimit, Read(cgroup, "memory", "memory.memsw.limit_in_bytes"));
        }
    }

    [RootV1Fact]
    public void Apply_EveryLimitThenUnlimited_RealFilesFollow()
    {
        var cgroup = NewCgroup();
        var parentCpus = HostCgroups.Read("cpuset", HostCgroups.TestParent, "cpuset.cpus");
        Assert.Equal(parentCpus, Read(cgroup, "cpuset", "cpuset.cpus"));
        Assert.NotEqual("", Read(cgroup, "cpuset", "cpuset.mems"));

        var applied = cgroup.Apply(new CgroupLimits([0], 50, (50_000, 100_000), 64 * MiB, false, 10, 100));

        Assert.Equal("0", Read(cgroup, "cpuset", "cpuset.cpus"));
        Assert.Equal("512", Read(cgroup, "cpu", "cpu.shares"));
        Assert.Equal("50000", Read(cgroup, "cpu", "cpu.cfs_quota_us"));
        Assert.Equal("100000", Read(cgroup, "cpu", "cpu.cfs_period_us"));
        Assert.Equal("10", Read(cgroup, "pids", "pids.max"));
        var blkio = Path.Join(HostCgroups.Layout.V1Mounts["blkio"], cgroup.Path);
        if (File.Exists(Path.Join(blkio, "blkio.weight")))
            Assert.Equal("500", Read(cgroup, "blkio", "blkio.weight"));
        else if (File.Exists(Path.Join(blkio, "blkio.bfq.weight")))
            Assert.Equal("100", Read(cgroup, "blkio", "blkio.bfq.weight"));
        else
            Assert.False(applied.IoWeightApplied);

        cgroup.Apply(CgroupLimits.Unlimited);

        Assert.Equal(parentCpus, Read(cgroup, "cpuset", "cpuset.cpus"));
        Assert.Equal("1024", Read(cgroup, "cpu", "cpu.shares"));
        Assert.Equal("-1", Read(cgroup, "cpu", "cpu.cfs_quota_us"));
        Assert.Equal(Unlimited, Read(cgroup, "memory", "memory.limit_in_bytes"));
        Assert.Equal("max", Read(cgroup, "pids", "pids.max"));
    }

    [RootV1Fact]
    public void Apply_QuotaBelowKernelMinimum_NamesFileAndValue()
    {
        var cgroup = NewCgroup();

        var error = Assert.Throws<CgroupException>(() => cgroup.Apply(CgroupLimits.Unlimited with { CpuQuota = (500, 100_000) }));

        Assert.Contains("\"500\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("cpu.cfs_quota_us: Invalid argument", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        foreach (var cgroup in _cgroups)
        {
            BestEffort(cgroup.Thaw);
            BestEffort(cgroup.KillAll);
            BestEffort(cgroup.Delete);
        }
        foreach (var child in _children)
            child.Dispose();
        foreach (var mount in HostCgroups.Layout.V1Mounts.Values.Distinct())
        {
            try
            {
                Directory.Delete(Path.Join(mount, HostCgroups.TestParent));
            }
            catch (IOException)
            {
                // Another test of this run still has its cgroup there.
            }
        }
    }

    private static void BestEffort(Action cleanup)
    {
        try
        {
            cleanup();
        }
        catch (CgroupException)
        {
            // Gone already, or the test has reported what went wrong.
        }
    }
}
