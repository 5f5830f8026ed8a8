using System.Formats.Tar;
using Vessel.Core;
using Vessel.Core.Model;

namespace Vessel.Storage.Tests;

public sealed class ImageFormatTests
{
    private static byte[] Header(params byte[] magic)
    {
        var header = new byte[ImageFormat.HeaderLength];
        magic.CopyTo(header, 0);
        return header;
    }

    internal static byte[] Tar(TarEntryFormat format = TarEntryFormat.Ustar)
    {
        using var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, format, leaveOpen: true))
        {
            TarEntry directory = format switch
            {
                TarEntryFormat.V7 => new V7TarEntry(TarEntryType.Directory, "etc/"),
                TarEntryFormat.Ustar => new UstarTarEntry(TarEntryType.Directory, "etc/"),
                TarEntryFormat.Pax => new PaxTarEntry(TarEntryType.Directory, "etc/"),
                _ => new GnuTarEntry(TarEntryType.Directory, "etc/"),
            };
            writer.WriteEntry(directory);
        }
        return stream.ToArray();
    }

    [Theory]
    [InlineData(TarEntryFormat.Ustar)]
    [InlineData(TarEntryFormat.Pax)]
    [InlineData(TarEntryFormat.Gnu)]
    public void Tar_IsKnownByUstarAtOffset257(TarEntryFormat format) =>
        Assert.Equal(("tar", InstanceType.Container), ImageFormat.Detect(Tar(format)));

    [Fact]
    public void UstarMagicAnywhereElse_IsNotATar()
    {
        var header = new byte[ImageFormat.HeaderLength];
        "ustar"u8.CopyTo(header.AsSpan(256));

        Assert.Null(ImageFormat.Detect(header));
    }

    [Fact]
    public void HeaderCutBeforeTheUstarMagic_IsNotATar() => Assert.Null(ImageFormat.Detect(Tar().AsSpan(0, 261)));

    [Fact]
    public void V7Tar_HasNoMagic_AndIsNotDetected() => Assert.Null(ImageFormat.Detect(Tar(TarEntryFormat.V7)));

    [Fact]
    public void Gzip_IsAContainerTarball() => Assert.Equal(("tar.gz", InstanceType.Container), ImageFormat.Detect(Header(0x1f, 0x8b, 0x08)));

    [Fact]
    public void Zstd_IsAContainerTarball() =>
        Assert.Equal(("tar.zst", InstanceType.Container), ImageFormat.Detect(Header(0x28, 0xb5, 0x2f, 0xfd)));

    [Fact]
    public void Xz_IsAContainerTarball() =>
        Assert.Equal(("tar.xz", InstanceType.Container), ImageFormat.Detect(Header(0xfd, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00)));

    [Fact]
    public void Qcow2_IsAVirtualMachineDisk() =>
        Assert.Equal(("qcow2", InstanceType.VirtualMachine), ImageFormat.Detect(Header((byte)'Q', (byte)'F', (byte)'I', 0xfb, 0, 0, 0, 3)));

    [Theory]
    [InlineData(new byte[] { 0x1f })]
    [InlineData(new byte[] { 0x28, 0xb5, 0x2f })]
    [InlineData(new byte[] { 0xfd, (byte)'7', (byte)'z', (byte)'X', (byte)'Z' })]
    [InlineData(new byte[] { (byte)'Q', (byte)'F', (byte)'I' })]
    [InlineData(new byte[] { (byte)'Q', (byte)'F', (byte)'I', 0xfa })]
    [InlineData(new byte[0])]
    public void PartialMagic_IsUnknown(byte[] header) => Assert.Null(ImageFormat.Detect(header));

    [Theory]
    [InlineData(null)]
    [InlineData(InstanceType.Container)]
    public void Resolve_ContainerFormats_NameTheRootfsFile(InstanceType? requested)
    {
        Assert.Equal(("tar", InstanceType.Container, "rootfs.tar"), ImageFormat.Resolve(Tar(), 10240, requested));
        Assert.Equal(("tar.zst", InstanceType.Container, "rootfs.tar.zst"), ImageFormat.Resolve(Header(0x28, 0xb5, 0x2f, 0xfd), 100, requested));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(InstanceType.VirtualMachine)]
    public void Resolve_Qcow2_NamesTheDiskFile(InstanceType? requested) =>
        Assert.Equal(("qcow2", InstanceType.VirtualMachine, "disk.qcow2"),
            ImageFormat.Resolve(Header((byte)'Q', (byte)'F', (byte)'I', 0xfb), 100, requested));

    [Theory]
    [InlineData(512L)]
    [InlineData(10L << 30)]
    public void Resolve_NoMagic_IsRawWhenAVmIsAskedAndTheSizeIsWholeSectors(long size) =>
        Assert.Equal(("raw", InstanceType.VirtualMachine, "disk.raw"), ImageFormat.Resolve(new byte[512], size, InstanceType.VirtualMachine));

    [Theory]
    [InlineData(0L)]
    [InlineData(511L)]
    [InlineData(513L)]
    [InlineData(1000L)]
    public void Resolve_NoMagic_VmOfPartialSectors_IsRefused(long size)
    {
        var e = Assert.Throws<BadRequestException>(() => ImageFormat.Resolve(new byte[512], size, InstanceType.VirtualMachine));

        Assert.Equal("the file is neither a qcow2 disk nor a raw disk (a raw disk is a non-empty multiple of 512 bytes)", e.Message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(InstanceType.Container)]
    public void Resolve_NoMagic_WithoutAVmRequest_IsNotAnImage(InstanceType? requested)
    {
        var e = Assert.Throws<BadRequestException>(() => ImageFormat.Resolve(new byte[512], 1024, requested));

        Assert.Equal("the file is not an image: expected a rootfs tarball (tar, tar.gz, tar.zst, tar.xz), an OCI image layout tarball or a qcow2 disk", e.Message);
    }

    [Fact]
    public void Resolve_TarForAVm_IsAKernelAndInitrdImage() =>
        Assert.Equal(("kernel+initrd", InstanceType.VirtualMachine, "kernel.tar"), ImageFormat.Resolve(Tar(), 10240, InstanceType.VirtualMachine));

    [Fact]
    public void Resolve_Qcow2ForAContainer_NamesBothTypes()
    {
        var e = Assert.Throws<BadRequestException>(() =>
            ImageFormat.Resolve(Header((byte)'Q', (byte)'F', (byte)'I', 0xfb), 4096, InstanceType.Container));

        Assert.Equal("the file is a qcow2 file, which makes a virtual-machine image, not a container image", e.Message);
    }
}
