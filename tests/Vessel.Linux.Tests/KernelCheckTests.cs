namespace Vessel.Linux.Tests;

public sealed class KernelCheckTests : IDisposable
{
    private const string Release = "6.1.0-28-amd64";
    private readonly FakeHost _host = new();

    public KernelCheckTests() => _host.File("/proc/sys/kernel/osrelease", Release + "\n");

    public void Dispose() => _host.Dispose();

    [Fact]
    public void FilesystemsListedInProcFilesystems_AreOk()
    {
        _host.File("/proc/filesystems", "nodev\tsysfs\nnodev\toverlay\n\text4\n\tbtrfs\n");

        Assert.Equal(CheckStatus.Ok, _host.Check("overlayfs").Status);
        Assert.Equal(CheckStatus.Ok, _host.Check("btrfs").Status);
    }

    [Fact]
    public void FilesystemAsModule_IsOk()
    {
        _host.File("/proc/filesystems", "nodev\tsysfs\n\text4\n")
            .File($"/lib/modules/{Release}/kernel/fs/overlayfs/overlay.ko.xz", "");

        var overlay = _host.Check("overlayfs");

        Assert.Equal(new HostCheck("overlayfs", CheckStatus.Ok, "available as module", null), overlay);
    }

    [Fact]
    public void MissingBtrfs_WarnsWithPackage()
    {
        _host.File("/proc/filesystems", "nodev\toverlay\n\text4\n")
            .Dir($"/lib/modules/{Release}/kernel/fs/btrfs");

        var btrfs = _host.Check("btrfs");

        Assert.Equal(CheckStatus.Warn, btrfs.Status);
        Assert.Contains("btrfs-progs", btrfs.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Bridge_LoadedOrAsModuleOrMissing()
    {
        Assert.Equal("modprobe bridge", _host.Check("bridge").Fix);

        _host.File($"/lib/modules/{Release}/kernel/net/bridge/bridge.ko", "");
        Assert.Equal("available as module", _host.Check("bridge").Detail);

        _host.Dir("/sys/module/bridge");
        Assert.Equal("bridge module loaded", _host.Check("bridge").Detail);
    }

    [Fact]
    public void Tun_NeedsTheDeviceNode()
    {
        Assert.Equal(CheckStatus.Warn, _host.Check("tun").Status);

        _host.File("/dev/net/tun", "");
        Assert.Equal(CheckStatus.Ok, _host.Check("tun").Status);
    }

    [Theory]
    [InlineData("96365\n", null, CheckStatus.Ok, "max_user_namespaces=96365")]
    [InlineData("15000\n", "1\n", CheckStatus.Ok, "max_user_namespaces=15000, unprivileged_userns_clone=1")]
    [InlineData("0\n", null, CheckStatus.Warn, "max_user_namespaces=0")]
    public void UserNamespaces(string max, string? clone, CheckStatus status, string detail)
    {
        _host.File("/proc/sys/user/max_user_namespaces", max);
        if (clone is not null)
        {
            _host.File("/proc/sys/kernel/unprivileged_userns_clone", clone);
        }

        var check = _host.Check("user namespaces");

        Assert.Equal(status, check.Status);
        Assert.Equal(detail, check.Detail);
    }

    [Theory]
    [InlineData("systemd\n", "running as PID 1")]
    [InlineData("process_api\n", "not running (PID 1 is process_api): vesseld runs as a background daemon with a pid file")]
    public void Systemd_IsInformationOnly(string comm, string detail)
    {
        _host.File("/proc/1/comm", comm);

        Assert.Equal(new HostCheck("systemd", CheckStatus.Ok, detail, null), _host.Check("systemd"));
    }
}
