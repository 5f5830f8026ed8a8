using Vessel.Engines.Container.Cgroups;

namespace Vessel.Engines.Container.Tests.Cgroups;

public sealed class CgroupV2Tests : IDisposable
{
    private const string Web1 = "vessel/web1";
    private const long MiB = 1 << 20;

    private static readonly CgroupLimits Everything = new(
        Cpus: [0, 1, 3], CpuWeight: 50, CpuQuota: (25_000, 100_000), MemoryBytes: 64 * MiB, SwapAllowed: false,
        Pids: 10, IoWeight: 300);

    private readonly FakeCgroupV2Tree _tree = new();

    public void Dispose() => _tree.Dispose();

    private ICgroup Open(FakeCgroupV2Tree? tree = null, string controllers = "cpuset cpu io memory pids", bool swap = true,
        string? ioWeightFile = "io.weight", bool kill = true)
    {
        tree ??= _tree;
        tree.AddCgroup(Web1, controllers, swap, ioWeightFile, kill);
        return Cgroup.Open(Web1, tree.Layout, new CgroupTimings(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100), TimeSpan.Zero));
    }

    [Fact]
    public void Create_EveryAncestor_EnablesTheWantedControllers()
    {
        var cgroup = Open();

        cgroup.Create();

        Assert.Equal("+cpu +cpuset +memory +pids +io", _tree.Read("", "cgroup.subtree_control"));
        Assert.Equal("+cpu +cpuset +memory +pids +io", _tree.Read("vessel", "cgroup.subtree_control"));
        Assert.Equal("", _tree.Read(Web1, "cgroup.subtree_control"));
    }

    [Fact]
    public void Create_SomeEnabledSomeUnavailable_WritesOnlyTheMissing()
    {
        using var tree = new FakeCgroupV2Tree(rootControllers: "cpu memory pids hugetlb", rootSubtreeControl: "cpu memory");
        var cgroup = Cgroup.Open("web1", tree.Layout);

        cgroup.Create();

        Assert.Equal("+pids", tree.Read("", "cgroup.subtree_control"));
        Assert.True(Directory.Exists(Path.Join(tree.Root, "web1")));
    }

    [Fact]
    public void Create_AllEnabled_WritesNothing()
    {
        using var tree = new FakeCgroupV2Tree(rootControllers: "cpu memory", rootSubtreeControl: "memory cpu");

        Cgroup.Open("web1", tree.Layout).Create();

        Assert.Equal("memory cpu", tree.Read("", "cgroup.subtree_control"));
    }

    [Fact]
    public void Apply_EveryLimit_WritesEachFile()
    {
        var result = Open().Apply(Everything);

        Assert.Equal("0,1,3", _tree.Read(Web1, "cpuset.cpus"));
        Assert.Equal("50", _tree.Read(Web1, "cpu.weight"));
        Assert.Equal("25000 100000", _tree.Read(Web1, "cpu.max"));
        Assert.Equal("67108864", _tree.Read(Web1, "memory.max"));
        Assert.Equal("0", _tree.Read(Web1, "memory.swap.max"));
        Assert.Equal("10", _tree.Read(Web1, "pids.max"));
        Assert.Equal("default 300", _tree.Read(Web1, "io.weight"));
        Assert.Equal(new CgroupApplyResult(IoWeightApplied: true, SwapLimitApplied: true), result);
    }

    [Fact]
    public void Apply_UnlimitedAfterLimits_ResetsEveryFile()
    {
        var cgroup = Open();
        cgroup.Apply(Everything);

        cgroup.Apply(CgroupLimits.Unlimited);

        Assert.Equal("", _tree.Read(Web1, "cpuset.cpus"));
        Assert.Equal("100", _tree.Read(Web1, "cpu.weight"));
        Assert.Equal("max 100000", _tree.Read(Web1, "cpu.max"));
        Assert.Equal("max", _tree.Read(Web1, "memory.max"));
        Assert.Equal("max", _tree.Read(Web1, "memory.swap.max"));
        Assert.Equal("max", _tree.Read(Web1, "pids.max"));
        Assert.Equal("default 100", _tree.Read(Web1, "io.weight"));
    }

    [Fact]
    public void Apply_MemoryDownThenUp_SetsMemoryAndSwapApart()
    {
        var cgroup = Open();

        cgroup.Apply(CgroupLimits.Unlimited with { MemoryBytes = 128 * MiB, SwapAllowed = false });
        cgroup.Apply(CgroupLimits.Unlimited with { MemoryBytes = 32 * MiB, SwapAllowed = true });

        Assert.Equal("33554432", _tree.Read(Web1, "memory.max"));
        Assert.Equal("max", _tree.Read(Web1, "memory.swap.max"));
    }

    [Fact]
    public void Apply_NoSwapFile_SetsMemoryOnlyAndSaysSo()
    {
        var result = Open(swap: false).Apply(CgroupLimits.Unlimited with { MemoryBytes = 64 * MiB, SwapAllowed = false });

        Assert.Equal("67108864", _tree.Read(Web1, "memory.max"));
        Assert.False(File.Exists(_tree.FileOf(Web1, "memory.swap.max")));
        Assert.False(result.SwapLimitApplied);
    }

    [Fact]
    public void Apply_BfqOnly_WritesBfqWeightOnItsScale()
    {
        var result = Open(ioWeightFile: "io.bfq.weight").Apply(CgroupLimits.Unlimited with { IoWeight = 5000 });

        Assert.Equal("default 1000", _tree.Read(Web1, "io.bfq.weight"));
        Assert.True(result.IoWeightApplied);
    }

    [Fact]
    public void Apply_NoIoWeightFile_SkipsAndSaysSo()
    {
        var result = Open(ioWeightFile: null).Apply(CgroupLimits.Unlimited with { IoWeight = 300 });

        Assert.False(result.IoWeightApplied);
        Assert.False(File.Exists(_tree.FileOf(Web1, "io.weight")));
    }

    [Fact]
    public void Apply_PidsNotEnabled_NamesControllerAndFile()
    {
        var cgroup = Open(controllers: "cpu memory");

        var error = Assert.Throws<CgroupException>(() => cgroup.Apply(CgroupLimits.Unlimited with { Pids = 10 }));

        Assert.Contains("cgroup v2 controller 'pids' is not enabled", error.Message, StringComparison.Ordinal);
        Assert.Contains("pids.max", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_UnlimitedWithFewControllers_ResetsWhatExists()
    {
        var cgroup = Open(controllers: "memory");
        _tree.Write(Web1, "memory.max", "1000\n");

        cgroup.Apply(CgroupLimits.Unlimited);

        Assert.Equal("max", _tree.Read(Web1, "memory.max"));
    }

    [Fact]
    public void Apply_CgroupNotCreated_SaysItDoesNotExist()
    {
        var cgroup = Cgroup.Open("vessel/ghost", _tree.Layout);

        var error = Assert.Throws<CgroupException>(() => cgroup.Apply(CgroupLimits.Unlimited with { Pids = 1 }));

        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Freeze_EventsSayFrozen_WritesFreezeAndReturns()
    {
        var cgroup = Open();
        _tree.Write(Web1, "cgroup.events", "populated 1\nfrozen 1\n");

        cgroup.Freeze();

        Assert.Equal("1", _tree.Read(Web1, "cgroup.freeze"));
        Assert.True(cgroup.IsFrozen);
    }

    [Fact]
    public void Freeze_NeverFrozen_TimesOutAndThawsAgain()
    {
        var cgroup = Open();

        var error = Assert.Throws<CgroupException>(cgroup.Freeze);

        Assert.Contains("did not freeze", error.Message, StringComparison.Ordinal);
        Assert.Equal("0", _tree.Read(Web1, "cgroup.freeze"));
        Assert.False(cgroup.IsFrozen);
    }

    [Fact]
    public void Thaw_WritesZero()
    {
        var cgroup = Open();
        _tree.Write(Web1, "cgroup.freeze", "1\n");

        cgroup.Thaw();

        Assert.Equal("0", _tree.Read(Web1, "cgroup.freeze"));
    }

    [Fact]
    public void ReadUsage_KernelCounters_AreConverted()
    {
        var cgroup = Open();
        _tree.Write(Web1, "cpu.stat", "usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n");
        _tree.Write(Web1, "memory.current", "1000\n");
        _tree.Write(Web1, "memory.peak", "2000\n");
        _tree.Write(Web1, "memory.events", "low 0\nhigh 0\nmax 4\noom 2\noom_kill 2\noom_group_kill 0\n");
        _tree.Write(Web1, "pids.current", "6\n");

        Assert.Equal(new CgroupUsage(1.5, 1000, 2000, 6, 2), cgroup.ReadUsage());
    }

    [Fact]
    public void ReadUsage_NoPeakFile_ReportsCurrentAsPeak()
    {
        var cgroup = Open();
        _tree.Write(Web1, "memory.current", "1000\n");
        _tree.Delete(Web1, "memory.peak");

        Assert.Equal(1000, cgroup.ReadUsage().MemoryPeakBytes);
    }

    [Fact]
    public void AddProcess_WritesCgroupProcs()
    {
        Open().AddProcess(4242);

        Assert.Equal("4242", _tree.Read(Web1, "cgroup.procs"));
    }

    [Fact]
    public void OpenEntry_ClonesIntoTheDirectory()
    {
        using var entry = Open().OpenEntry();
        var options = entry.AddTo(new Vessel.Linux.Spawn.SpawnOptions { Path = "/bin/true", Arguments = ["true"] });

        Assert.Equal(Path.Join(_tree.Root, Web1), File.ResolveLinkTarget($"/proc/self/fd/{options.CgroupFd}", false)!.ToString());
        Assert.Empty(options.CgroupTaskFds);
    }

    [Fact]
    public void KillAll_WithCgroupKill_WritesIt()
    {
        Open().KillAll();

        Assert.Equal("1", _tree.Read(Web1, "cgroup.kill"));
    }

    [Fact]
    public void KillAll_ProcessesStay_TimesOutNamingThem()
    {
        var cgroup = Open();
        _tree.Write(Web1, "cgroup.procs", "999999999\n");

        var error = Assert.Throws<CgroupException>(cgroup.KillAll);

        Assert.Contains("999999999", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Delete_WithProcesses_RefusesAndNamesThem()
    {
        var cgroup = Open();
        _tree.Write(Web1, "cgroup.procs", "77\n");

        var error = Assert.Throws<CgroupException>(cgroup.Delete);

        Assert.Contains("77", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Delete_NeverCreated_IsFine()
    {
        var cgroup = Cgroup.Open("vessel/never", _tree.Layout);

        cgroup.Delete();

        Assert.Empty(cgroup.Processes());
    }

    [Theory]
    [InlineData("io.weight", true, "[none] bfq", true, true)]
    [InlineData("io.bfq.weight", false, "none [bfq]", true, false)]
    [InlineData("io.bfq.weight", true, "[none] bfq", false, true)] // the file is there, BFQ schedules no disk
    [InlineData(null, true, "none [bfq]", false, true)]
    public void CanApply_SaysWhichWeightAndSwapTakeEffect(string? ioWeightFile, bool swapFile, string scheduler, bool io, bool swap)
    {
        using var block = new FakeSysBlock(scheduler);

        Assert.Equal(new CgroupApplyResult(IoWeightApplied: io, SwapLimitApplied: swap), Open(swap: swapFile, ioWeightFile: ioWeightFile).CanApply(block.Path));
    }
}
