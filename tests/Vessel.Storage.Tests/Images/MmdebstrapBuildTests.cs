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

    [Fact]
    public void Arguments_VirtualMachine_AddTheKernelAgentAndSsh_AndTheirHooks()
    {
        var request = DebianBuildRequest.From(new DebianImageOptions { Architecture = "amd64", VirtualMachine = true });
        var arguments = new MmdebstrapBuild("/w/.debian-1", "/w/rootfs.tar.1.partial", request, new DebianImageOptions()).Arguments();

        Assert.Equal(["cloud-init", "dbus", "initramfs-tools", "iproute2", "linux-image-cloud-amd64", "openssh-server", "qemu-guest-agent", "systemd-resolved", "systemd-sysv", "udev"],
            request.Packages);
        Assert.Contains("--include=cloud-init,dbus,initramfs-tools,iproute2,linux-image-cloud-amd64,openssh-server,qemu-guest-agent,systemd-resolved,systemd-sysv,udev", arguments);
        Assert.Contains("--essential-hook=mkdir -p \"$1/etc/initramfs-tools/conf.d\" && printf '%s' 'MODULES=list\n' > \"$1/etc/initramfs-tools/conf.d/vessel.conf\"",
            arguments);
        Assert.Contains("--customize-hook=mkdir -p \"$1/etc\" && printf '%s' '/dev/vda / ext4 rw,discard,errors=remount-ro 0 1\n' > \"$1/etc/fstab\"", arguments);
        Assert.Contains("--customize-hook=chroot \"$1\" systemctl enable vessel-ssh-keygen.service", arguments);
        // The container hooks come first: the VM's are additions.
        Assert.True(arguments.ToList().IndexOf("--customize-hook=chroot \"$1\" passwd --lock root") <
            arguments.ToList().IndexOf("--customize-hook=chroot \"$1\" systemctl enable systemd-networkd"));
    }

    [Fact]
    public void Request_VirtualMachineForAnArchitectureWithoutACloudKernel_IsNotSupported()
    {
        var error = Assert.Throws<Vessel.Core.NotSupportedYetException>(() =>
            DebianBuildRequest.From(new DebianImageOptions { Architecture = "riscv64", VirtualMachine = true }));

        Assert.Equal("architecture: Debian has no cloud kernel for riscv64; virtual-machine images are built for amd64 and arm64", error.Message);
    }
}
