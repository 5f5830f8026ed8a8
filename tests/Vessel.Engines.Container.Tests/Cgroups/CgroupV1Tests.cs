using Vessel.Engines.Container.Cgroups;

namespace Vessel.Engines.Container.Tests.Cgroups;

public sealed class CgroupV1Tests : IDisposable
{
    private const string Web1 = "vessel/web1";
    private const long MiB = 1 << 20;

    private static readonly CgroupLimits Everything = new(
        Cpus: [0, 1, 3], CpuWeight: 50, CpuQuota: (25_000, 100_000), MemoryBytes: 64 * MiB, SwapAllowed: false,
        Pids: 10, IoWeight: 100);

    private readonly FakeCgroupV1Tree _tree = new();

    public void Dispose() => _tree.Dispose();

    private ICgroup Open(FakeCgroupV1Tree? tree = null)
    {
        tree ??= _tree;
        tree.AddCgroup(Web1);
        var cgroup = Cgroup.Open(Web1, tree.Layout);
        cgroup.Create();
        return cgroup;
    }

    [Fact]
    public void Create_NewCpuset_CopiesCpusAndMemsFromParentAtEveryLevel()
    {
        Open();

        Assert.Equal("0-3", _tree.Read("cpuset", "vessel", "cpuset.cpus"));
        Assert.Equal("0", _tree.Read("cpuset", "vessel", "cpuset.mems"));
        Assert.Equal("0-3", _tree.Read("cpuset", Web1, "cpuset.cpus"));
        Assert.Equal("0", _tree.Read("cpuset", Web1, "cpuset.mems"));
    }

    [Fact]
    public void Create_ExistingCpuset_KeepsItsCpus()
    {
        _tree.AddCgroup(Web1);
        _tree.Write("cpuset", "vessel", "cpuset.cpus", "1\n");
        var cgroup = Cgroup.Open(Web1, _tree.Layout);

        cgroup.Create();
        cgroup.Create();

        Assert.Equal("1", _tree.Read("cpuset", "vessel", "cpuset.cpus"));
        Assert.Equal("1", _tree.Read("cpuset", Web1, "cpuset.cpus"));
    }

    [Fact]
    public void Create_EveryMountedHierarchy_HasTheDirectory()
    {
        Open();

        foreach (var mount in _tree.Layout.V1Mounts.Values)
            Assert.True(Directory.Exists(Path.Join(mount, Web1)), mount);
    }

    [Fact]
    public void Apply_EveryLimit_WritesEachFile()
    {
        var result = Open().Apply(Everything);

        Assert.Equal("0,1,3", _tree.Read("cpuset", Web1, "cpuset.cpus"));
        Assert.Equal("512", _tree.Read("cpu", Web1, "cpu.shares"));
        Assert.Equal("100000", _tree.Read("cpu", Web1, "cpu.cfs_period_us"));
        Assert.Equal("25000", _tree.Read("cpu", Web1, "cpu.cfs_quota_us"));
        Assert.Equal("67108864", _tree.Read("memory", Web1, "memory.limit_in_bytes"));
        Assert.Equal("67108864", _tree.Read("memory", Web1, "memory.memsw.limit_in_bytes"));
        Assert.Equal("10", _tree.Read("pids", Web1, "pids.max"));
        Assert.Equal("500", _tree.Read("blkio", Web1, "blkio.weight"));
        Assert.Equal(new CgroupApplyResult(IoWeightApplied: true, SwapLimitApplied: true), result);
    }

    [Fact]
    public void Apply_UnlimitedAfterLimits_ResetsEveryFile()
    {
        var cgroup = Open();
        cgroup.Apply(Everything);

        cgroup.Apply(CgroupLimits.Unlimited);

        Assert.Equal("0-3", _tree.Read("cpuset", Web1, "cpuset.cpus"));
        Assert.Equal("1024", _tree.Read("cpu", Web1, "cpu.shares"));
        Assert.Equal("-1", _tree.Read("cpu", Web1, "cpu.cfs_quota_us"));
        Assert.Equal("100000", _tree.Read("cpu", Web1, "cpu.cfs_period_us"));
        Assert.Equal("-1", _tree.Read("memory", Web1, "memory.limit_in_bytes"));
        Assert.Equal("-1", _tree.Read("memory", Web1, "memory.memsw.limit_in_bytes"));
        Assert.Equal("max", _tree.Read("pids", Web1, "pids.max"));
        Assert.Equal("500", _tree.Read("blkio", Web1, "blkio.weight"));
    }

    [Theory]
    [InlineData(64, false, "67108864", "67108864")]
    [InlineData(128, false, "134217728", "134217728")]
    [InlineData(32, false, "33554432", "33554432")]
    [InlineData(32, true, "33554432", "-1")]
    [InlineData(0, false, "-1", "-1")]
    public void Apply_MemoryMovingUpAndDown_KeepsMemswWithMemory(int mib, bool swap, string memory, string memsw)
    {
        var cgroup = Open();
        cgroup.Apply(CgroupLimits.Unlimited with { MemoryBytes = 64 * MiB, SwapAllowed = false });

        cgroup.Apply(CgroupLimits.Unlimited with { MemoryBytes = mib == 0 ? null : mib * MiB, SwapAllowed = swap });

        Assert.Equal(memory, _tree.Read("memory", Web1, "memory.limit_in_bytes"));
        Assert.Equal(memsw, _tree.Read("memory", Web1, "memory.memsw.limit_in_bytes"));
    }

    [Fact]
    public void Apply_NoSwapAccounting_SetsMemoryOnlyAndSaysSo()
    {
        using var tree = new FakeCgroupV1Tree(memsw: false);

        var result = Open(tree).Apply(CgroupLimits.Unlimited with { MemoryBytes = 64 * MiB, SwapAllowed = false });

        Assert.Equal("67108864", tree.Read("memory", Web1, "memory.limit_in_bytes"));
        Assert.False(File.Exists(tree.FileOf("memory", Web1, "memory.memsw.limit_in_bytes")));
        Assert.False(result.SwapLimitApplied);
    }

    [Fact]
    public void Apply_BfqInsteadOfCfq_WritesBfqWeight()
    {
        using var tree = new FakeCgroupV1Tree(ioWeightFile: "blkio.bfq.weight");

        var result = Open(tree).Apply(CgroupLimits.Unlimited with { IoWeight = 200 });

        Assert.Equal("200", tree.Read("blkio", Web1, "blkio.bfq.weight"));
        Assert.True(result.IoWeightApplied);
    }

    [Fact]
    public void Apply_NoIoScheduler_SkipsIoWeightAndSaysSo()
    {
        using var tree = new FakeCgroupV1Tree(ioWeightFile: null);

        var result = Open(tree).Apply(CgroupLimits.Unlimited with { IoWeight = 200 });

        Assert.False(result.IoWeightApplied);
        Assert.Empty(Directory.GetFiles(Path.Join(tree.Layout.V1Mounts["blkio"], Web1), "blkio.*"));
    }

    [Fact]
    public void Apply_PidsNotMounted_NamesControllerAndFile()
    {
        using var tree = new FakeCgroupV1Tree(FakeCgroupV1Tree.AllControllers.Where(c => c != "pids"));
        var cgroup = Open(tree);

        var error = Assert.Throws<CgroupException>(() => cgroup.Apply(CgroupLimits.Unlimited with { Pids = 10 }));

        Assert.Contains("cgroup v1 controller 'pids' is not mounted", error.Message, StringComparison.Ordinal);
        Assert.Contains("pids.max", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_UnlimitedWithPidsNotMounted_HasNothingToReset()
    {
        using var tree = new FakeCgroupV1Tree(FakeCgroupV1Tree.AllControllers.Where(c => c != "pids"));

        Open(tree).Apply(CgroupLimits.Unlimited);
    }

    [Fact]
    public void Apply_UnwritableFile_NamesFileAndValue()
    {
        var cgroup = Open();
        var pidsMax = _tree.FileOf("pids", Web1, "pids.max");
        File.Delete(pidsMax);
        Directory.CreateDirectory(pidsMax);

        var error = Assert.Throws<CgroupException>(() => cgroup.Apply(CgroupLimits.Unlimited with { Pids = 10 }));

        Assert.Contains($"\"10\" to {pidsMax}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_WeightOutOfRange_Throws()
    {
        var cgroup = Open();

        Assert.Throws<ArgumentOutOfRangeException>(() => cgroup.Apply(CgroupLimits.Unlimited with { CpuWeight = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => cgroup.Apply(CgroupLimits.Unlimited with { IoWeight = 10_001 }));
        Assert.Throws<ArgumentException>(() => cgroup.Apply(CgroupLimits.Unlimited with { Cpus = [] }));
    }

    [Fact]
    public void FreezeThaw_WritesFreezerState()
    {
        var cgroup = Open();

        cgroup.Freeze();
        Assert.Equal("FROZEN", _tree.Read("freezer", Web1, "freezer.state"));
        Assert.True(cgroup.IsFrozen);

        cgroup.Thaw();
        Assert.Equal("THAWED", _tree.Read("freezer", Web1, "freezer.state"));
        Assert.False(cgroup.IsFrozen);
    }

    [Fact]
    public void ReadUsage_KernelCounters_AreConverted()
    {
        var cgroup = Open();
        _tree.Write("cpuacct", Web1, "cpuacct.usage", "2500000000\n");
        _tree.Write("memory", Web1, "memory.usage_in_bytes", "1000\n");
        _tree.Write("memory", Web1, "memory.max_usage_in_bytes", "2000\n");
        _tree.Write("memory", Web1, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
        _tree.Write("pids", Web1, "pids.current", "4\n");

        Assert.Equal(new CgroupUsage(2.5, 1000, 2000, 4, 3), cgroup.ReadUsage());
    }

    [Fact]
    public void AddProcess_EveryHierarchy_GetsThePid()
    {
        Open().AddProcess(4242);

        foreach (var controller in _tree.Layout.V1Mounts.Keys)
            Assert.Equal("4242", _tree.Read(controller, Web1, "cgroup.procs"));
    }

    [Fact]
    public void OpenEntry_Hybrid_TasksOfEveryV1HierarchyAndTheUnifiedDirectory()
    {
        var unified = Path.Join(Path.GetDirectoryName(_tree.Layout.V1Mounts["cpu"]), "unified");
        Directory.CreateDirectory(Path.Join(unified, Web1));
        var hybrid = _tree.Layout with { Version = Vessel.Linux.CgroupVersion.Hybrid, UnifiedMount = unified };
        _tree.AddCgroup(Web1);

        using var entry = Cgroup.Open(Web1, hybrid).OpenEntry();
        var options = entry.AddTo(new Vessel.Linux.Spawn.SpawnOptions { Path = "/bin/true", Arguments = ["true"] });

        Assert.Equal(Path.Join(unified, Web1), Target(options.CgroupFd));
        Assert.Equal(_tree.Layout.V1Mounts.Values.Select(mount => Path.Join(mount, Web1, "tasks")).Order(),
            options.CgroupTaskFds.Select(Target).Order());
    }

    private static string Target(int fd) => File.ResolveLinkTarget($"/proc/self/fd/{fd}", false)!.ToString();

    [Fact]
    public void Processes_SpreadOverHierarchies_AreMergedInOrder()
    {
        var cgroup = Open();
        _tree.Write("memory", Web1, "cgroup.procs", "5\n3\n");
        _tree.Write("freezer", Web1, "cgroup.procs", "3\n7\n");

        Assert.Equal([3, 5, 7], cgroup.Processes());
    }

    [Fact]
    public void Delete_WithProcesses_RefusesAndNamesThem()
    {
        var cgroup = Open();
        _tree.Write("pids", Web1, "cgroup.procs", "77\n");

        var error = Assert.Throws<CgroupException>(cgroup.Delete);

        Assert.Contains("77", error.Message, StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Join(_tree.Layout.V1Mounts["pids"], Web1)));
    }

    [Fact]
    public void Delete_NeverCreated_IsFine()
    {
        var cgroup = Cgroup.Open("vessel/never", _tree.Layout);

        cgroup.Delete();
        cgroup.KillAll();

        Assert.Empty(cgroup.Processes());
    }

    [Theory]
    [InlineData("blkio.weight", true, "[mq-deadline] bfq", true, true)]
    [InlineData("blkio.bfq.weight", false, "mq-deadline [bfq]", true, false)]
    [InlineData("blkio.bfq.weight", true, "[none] mq-deadline bfq", false, true)] // the file is there, BFQ schedules no disk
    [InlineData(null, true, "mq-deadline [bfq]", false, true)]
    public void CanApply_SaysWhichWeightAndSwapTakeEffect_WritingNothing(string? ioWeightFile, bool memsw, string scheduler, bool io, bool swap)
    {
        using var tree = new FakeCgroupV1Tree(memsw: memsw, ioWeightFile: ioWeightFile);
        var cgroup = Open(tree);
        using var block = new FakeSysBlock(scheduler);
        var before = tree.Read("memory", Web1, "memory.limit_in_bytes");

        Assert.Equal(new CgroupApplyResult(IoWeightApplied: io, SwapLimitApplied: swap), cgroup.CanApply(block.Path));
        Assert.Equal(before, tree.Read("memory", Web1, "memory.limit_in_bytes"));
    }
}
