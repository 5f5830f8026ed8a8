namespace Vessel.Linux.Tests;

public sealed class AccelerationTests : IDisposable
{
    private readonly FakeHost _host = new();

    public void Dispose() => _host.Dispose();

    [Theory]
    [InlineData(CpuInfoSamples.IntelWithVmx, "vmx")]
    [InlineData(CpuInfoSamples.AmdWithSvm, "svm")]
    public void FlagAndWorkingDevice_UseKvm(string cpuinfo, string flag)
    {
        _host.File("/proc/cpuinfo", cpuinfo).ProbeKvm = _ => null;

        var info = Acceleration.Detect(_host.Files());

        Assert.Equal(new AccelerationInfo(true, true, true, info.Reason), info);
        Assert.Contains(flag, info.Reason, StringComparison.Ordinal);
        var check = _host.Check("hardware virtualization");
        Assert.Equal(CheckStatus.Ok, check.Status);
        Assert.Null(check.Fix);
    }

    [Fact]
    public void DeviceWithoutFlag_IsEmulatedKvm_UsesTcg()
    {
        _host.File("/proc/cpuinfo", CpuInfoSamples.NestedAmdGuest).ProbeKvm = _ => null;

        var info = Acceleration.Detect(_host.Files());

        Assert.Equal(new AccelerationInfo(false, true, false, "KVM is emulated (no vmx/svm CPU flag): VMs run under QEMU TCG"), info);
        var check = _host.Check("hardware virtualization");
        Assert.Equal(CheckStatus.Warn, check.Status);
        Assert.Equal(info.Reason, check.Detail);
        Assert.NotNull(check.Fix);
    }

    [Fact]
    public void FlagWithoutDevice_UsesTcg()
    {
        _host.File("/proc/cpuinfo", CpuInfoSamples.IntelWithVmx).ProbeKvm = _ => "/dev/kvm does not exist";

        var info = Acceleration.Detect(_host.Files());

        Assert.True(info.HardwareVirtualization);
        Assert.False(info.KvmDevice);
        Assert.False(info.UseKvm);
        Assert.Contains("/dev/kvm does not exist", info.Reason, StringComparison.Ordinal);
        Assert.Contains("modprobe kvm_intel", _host.Check("hardware virtualization").Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void NeitherFlagNorDevice_UsesTcg_WithTheRealDeviceProbe()
    {
        _host.File("/proc/cpuinfo", CpuInfoSamples.NestedAmdGuest);
        var files = new HostFiles(_host.Root);

        var info = Acceleration.Detect(files);

        Assert.Equal(new AccelerationInfo(false, false, false, info.Reason), info);
        Assert.Contains("no vmx/svm CPU flag", info.Reason, StringComparison.Ordinal);
        Assert.Contains("does not exist", info.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void DeviceProbe_RejectsAFileThatIsNotKvm()
    {
        _host.File("/dev/kvm", "");

        var problem = new HostFiles(_host.Root).ProbeKvm(Path.Join(_host.Root, "dev/kvm"));

        Assert.NotNull(problem);
        Assert.Contains("does not answer KVM_GET_API_VERSION", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingCpuInfo_MeansNoFlag()
    {
        _host.ProbeKvm = _ => null;

        Assert.False(Acceleration.Detect(_host.Files()).UseKvm);
    }
}
