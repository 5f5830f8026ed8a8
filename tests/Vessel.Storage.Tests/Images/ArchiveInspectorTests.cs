using Vessel.Core;
using Vessel.Storage.Images;

namespace Vessel.Storage.Tests.Images;

public sealed class ArchiveInspectorTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private Task<ArchiveKind> InspectAsync(byte[] tar, string format = "tar")
    {
        var path = _temp.Combine("upload");
        File.WriteAllBytes(path, RootfsExtractorFormatTests.Compress(tar, format));
        return ArchiveInspector.InspectAsync(path, format, CancellationToken.None);
    }

    [Theory]
    [InlineData("etc/")]
    [InlineData("./usr/")]
    [InlineData("/sbin/")]
    public async Task TopDirectory_MakesARootfs(string name) =>
        Assert.Equal(ArchiveKind.Rootfs, await InspectAsync(new TarBuilder().File("README", "x").Directory(name).ToArray()));

    [Theory]
    [InlineData("tar")]
    [InlineData("tar.gz")]
    [InlineData("tar.zst")]
    [InlineData("tar.xz")]
    public async Task FileUnderBin_MakesARootfs_InEveryFormat(string format) =>
        Assert.Equal(ArchiveKind.Rootfs, await InspectAsync(new TarBuilder().File("./bin/sh", "elf").ToArray(), format));

    [Fact]
    public async Task MergedUsrSymlink_MakesARootfs() =>
        Assert.Equal(ArchiveKind.Rootfs, await InspectAsync(new TarBuilder().Symlink("bin", "usr/bin").ToArray()));

    [Fact]
    public async Task AFileNamedEtc_IsNoRootfs()
    {
        var e = await Assert.ThrowsAsync<BadRequestException>(() => InspectAsync(new TarBuilder().File("etc", "x").File("home/x", "y").ToArray()));

        Assert.Equal("the tarball is neither a root filesystem (none of bin/, sbin/, usr/, etc/ at its top) nor an OCI image layout (no oci-layout and index.json at its top)", e.Message);
    }

    [Fact]
    public async Task OciLayout_IsKnown()
    {
        var layout = new OciLayoutBuilder(_temp.Combine("layout"));
        layout.Index(layout.Manifest(layout.Layer(new TarBuilder().File("etc/hostname", "x").ToArray())));

        Assert.Equal(ArchiveKind.OciLayout, await InspectAsync(layout.ToTar()));
    }

    [Fact]
    public async Task CompressedOciLayout_IsRefused()
    {
        var layout = new OciLayoutBuilder(_temp.Combine("layout"));
        layout.Index(layout.Manifest());

        var e = await Assert.ThrowsAsync<BadRequestException>(() => InspectAsync(layout.ToTar(), "tar.gz"));

        Assert.Equal("the file is an OCI image layout compressed as tar.gz; import it as a plain tar (its layers are compressed already)", e.Message);
    }

    [Fact]
    public async Task OciLayoutFilesInASubdirectory_AreNoLayout() =>
        await Assert.ThrowsAsync<BadRequestException>(() => InspectAsync(new TarBuilder().File("x/oci-layout", "{}").File("x/index.json", "{}").ToArray()));

    [Theory]
    [InlineData("tar")]
    [InlineData("tar.gz")]
    [InlineData("tar.zst")]
    public async Task Garbage_IsABadRequest(string format)
    {
        var path = _temp.Combine("upload");
        File.WriteAllBytes(path, [0x1f, 0x8b, 8, 0, 0x28, 0xb5, 0x2f, 0xfd, .. Enumerable.Range(0, 2000).Select(i => (byte)(i * 7))]);

        var e = await Assert.ThrowsAsync<BadRequestException>(() => ArchiveInspector.InspectAsync(path, format, CancellationToken.None));

        Assert.StartsWith($"the file is not a readable {format} archive: ", e.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, byte[], string> Tricks => new()
    {
        { "tar", new TarBuilder().Directory("etc/").File("../etc/passwd", "x").ToArray(), "entry \"../etc/passwd\" leaves the target directory" },
        { "tar.gz", new TarBuilder().Directory("etc/").Symlink("etc/x", "/etc").File("etc/x/passwd", "x").ToArray(),
            "entry \"etc/x/passwd\" would be written through the symbolic link \"etc/x\"" },
        { "tar.zst", new TarBuilder().Directory("etc/").HardLink("etc/shadow", "/etc/shadow").ToArray(),
            "entry \"etc/shadow\" is a hard link to \"/etc/shadow\", which is not a file extracted before it" },
        { "tar", new TarBuilder().Directory("etc/").HardLink("etc/x", "../x").ToArray(),
            "entry \"etc/x\" is a hard link to \"../x\", which is outside the target directory" },
        { "tar", new TarBuilder().Directory("usr/").Symlink("usr/lib", "..").Directory("usr/lib/x").ToArray(),
            "entry \"usr/lib/x\" would be written through the symbolic link \"usr/lib\"" },
    };

    /// <summary>What extraction would refuse is refused at import already, with the entry named, nothing extracted.</summary>
    [Theory]
    [MemberData(nameof(Tricks))]
    public async Task TraversalAndLinkTricks_AreRefusedAtInspection(string format, byte[] tar, string problem)
    {
        var e = await Assert.ThrowsAsync<BadRequestException>(() => InspectAsync(tar, format));

        Assert.Equal($"the tarball: {problem}", e.Message);
        Assert.Equal(["upload"], Directory.EnumerateFileSystemEntries(_temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task LinksThatExtractionReplaces_AreNoTrick() =>
        Assert.Equal(ArchiveKind.Rootfs, await InspectAsync(new TarBuilder()
            .Symlink("bin", "usr/bin").Directory("bin/").File("bin/sh", "elf") // a directory entry replaces the link
            .Symlink("etc", "/etc").File("etc", "x") // so does a file
            .File("usr/a", "a").HardLink("usr/b", "usr/a").HardLink("usr/c", "/usr/b").ToArray()));
}
