namespace Vessel.Linux.Tests;

public sealed class VersionTextTests
{
    [Theory]
    [InlineData("QEMU emulator version 7.2.13 (Debian 1:7.2+dfsg-7+deb12u7)", "7.2.13")]
    [InlineData("QEMU emulator version 8.2.2 (Debian 1:8.2.2+ds-0ubuntu1)", "8.2.2")]
    [InlineData("qemu-img version 7.2.13 (Debian 1:7.2+dfsg-7+deb12u7)", "7.2.13")]
    [InlineData("nftables v1.0.6 (Lester Gooch #5)", "1.0.6")]
    [InlineData("Dnsmasq version 2.89  Copyright (c) 2000-2022 Simon Kelley", "2.89")]
    [InlineData("mkfs.btrfs, part of btrfs-progs v6.2", "6.2")]
    [InlineData("mmdebstrap 1.3.5", "1.3.5")]
    public void Parse_FindsTheFirstDottedVersion(string line, string expected)
    {
        Assert.Equal(expected, VersionText.Parse(line));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("usage: frobnicate [options]")]
    public void Parse_ReturnsNullWithoutAVersion(string? line)
    {
        Assert.Null(VersionText.Parse(line));
    }
}
