namespace Vessel.Linux.Tests;

public sealed class ProgramCheckTests : IDisposable
{
    private readonly FakeHost _host = new();

    public void Dispose() => _host.Dispose();

    [Theory]
    [InlineData("qemu-system-x86_64", CheckStatus.Fail, "apt-get install qemu-system-x86 qemu-utils")]
    [InlineData("qemu-img", CheckStatus.Fail, "apt-get install qemu-system-x86 qemu-utils")]
    [InlineData("qemu-system-aarch64", CheckStatus.Warn, "apt-get install qemu-system-arm")]
    [InlineData("genisoimage", CheckStatus.Warn, "apt-get install genisoimage")]
    [InlineData("btrfs-progs", CheckStatus.Warn, "apt-get install btrfs-progs")]
    [InlineData("nftables", CheckStatus.Warn, "apt-get install nftables")]
    [InlineData("dnsmasq", CheckStatus.Warn, "apt-get install dnsmasq-base")]
    [InlineData("mmdebstrap", CheckStatus.Warn, "apt-get install mmdebstrap")]
    public void MissingProgram_GivesStatusAndPackage(string check, CheckStatus status, string fix)
    {
        var result = _host.Check(check);

        Assert.Equal(status, result.Status);
        Assert.Equal(fix, result.Fix);
        Assert.Contains("not found", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void PresentQemu_IsOk_WithParsedVersion()
    {
        _host.Program("/usr/bin/qemu-system-x86_64", "QEMU emulator version 7.2.13 (Debian 1:7.2+dfsg-7+deb12u7)");

        var result = _host.Check("qemu-system-x86_64");

        Assert.Equal(CheckStatus.Ok, result.Status);
        Assert.Null(result.Fix);
        Assert.Equal($"7.2.13 at {Path.Join(_host.Root, "usr/bin/qemu-system-x86_64")}", result.Detail);
    }

    [Fact]
    public void ProgramsInSbin_AreFound_EvenWhenPathLacksSbin()
    {
        _host.Program("/usr/sbin/nft", "nftables v1.0.6 (Lester Gooch #5)")
            .Program("/sbin/mkfs.btrfs", "mkfs.btrfs, part of btrfs-progs v6.2");

        Assert.StartsWith("1.0.6 at ", _host.Check("nftables").Detail, StringComparison.Ordinal);
        Assert.StartsWith("6.2 at ", _host.Check("btrfs-progs").Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void NonExecutableFile_IsNotAProgram()
    {
        _host.Program("/usr/bin/dnsmasq", "Dnsmasq version 2.89", executable: false);

        Assert.Equal(CheckStatus.Warn, _host.Check("dnsmasq").Status);
    }

    [Fact]
    public void UnparsableVersion_IsStillOk()
    {
        _host.Program("/usr/bin/mmdebstrap");

        var result = _host.Check("mmdebstrap");

        Assert.Equal(CheckStatus.Ok, result.Status);
        Assert.EndsWith("(version unknown)", result.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("echo 'QEMU emulator version 7.2.13 (Debian 1:7.2+dfsg-7)'; echo 'Copyright (c) 2003-2022'")]
    [InlineData("echo 'nftables v1.0.6 (Lester Gooch #5)' >&2; exit 1")]
    public void DefaultVersionRunner_ReturnsTheFirstLineTheProgramPrints(string script)
    {
        _host.Program("/usr/bin/tool", script: script);
        var path = Path.Join(_host.Root, "usr/bin/tool");

        var line = new HostFiles(_host.Root).RunVersion(path);

        Assert.Equal(script.Split('\'')[1], line);
    }
}
