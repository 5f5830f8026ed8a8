using Vessel.Storage.Images;

namespace Vessel.Storage.Tests.Images;

/// <summary>The command line a Debian build runs.</summary>
public sealed class MmdebstrapBuildTests
{
    [Fact]
    public void Arguments_RunMmdebstrapInRootMode_InsideItsOwnMountAndPidNamespaces()
    {
        var request = DebianBuildRequest.From(new DebianImageOptions { Architecture = "arm64", Include = ["curl", "iproute2"] });
        var build = new MmdebstrapBuild("/w/.debian-1", "/w/rootfs.tar.1.partial", request, new DebianImageOptions());

        Assert.Equal(
        [
            "--mount", "--propagation", "private", "--pid", "--fork", "--kill-child", "--mount-proc", "--",
            "/usr/bin/mmdebstrap",
            "--mode=root",
            "--variant=minbase",
            "--format=tar",
            "--architectures=arm64",
            "--include=curl,iproute2,systemd-sysv",
            "--skip=output/dev",
            "--customize-hook=rm -f \"$1/etc/hostname\"",
            "--customize-hook=rm -f \"$1/etc/resolv.conf\" && : > \"$1/etc/resolv.conf\"",
            "--customize-hook=chroot \"$1\" passwd --lock root",
            "--",
            "bookworm",
            "/w/rootfs.tar.1.partial",
            "/w/.debian-1/debian.sources",
        ], build.Arguments());
        Assert.Equal("/w/.debian-1/tmp", build.TemporaryDirectory);
    }

    [Fact]
    public void Request_DefaultsToTheHostsArchitecture_AndBookworm()
    {
        var request = DebianBuildRequest.From(new DebianImageOptions());

        Assert.Equal("bookworm", request.Suite);
        Assert.Equal(DebianBuildRequest.HostArchitecture(), request.Architecture);
        Assert.Equal(["iproute2", "systemd-sysv"], request.Packages);
    }
}
