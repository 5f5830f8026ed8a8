using System.Formats.Tar;
using Vessel.Core;
using Vessel.Storage.Images;

namespace Vessel.Storage.Tests.Images;

public sealed class OciLayoutTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly OciLayoutBuilder _layout;

    public OciLayoutTests()
    {
        _layout = new OciLayoutBuilder(_temp.Combine("layout"));
        Directory.CreateDirectory(Outside);
        File.WriteAllText(Path.Combine(Outside, "secret"), "host data");
    }

    public void Dispose() => _temp.Dispose();

    private string Root => _temp.Combine("root");

    private string Outside => _temp.Combine("outside");

    private string In(string relative) => Path.Combine(Root, relative);

    private Task<ExtractResult> ExtractAsync(string? layout = null, string architecture = "amd64") =>
        OciLayout.ExtractAsync(layout ?? _layout.Directory, Root, new ExtractOptions(), architecture, CancellationToken.None);

    private static byte[] LowerLayer() => new TarBuilder()
        .Directory("etc/")
        .File("etc/keep", "kept")
        .File("etc/gone", "whited out")
        .Directory("opq/")
        .File("opq/lower", "hidden by the opaque marker")
        .Directory("opq/sub/")
        .File("opq/sub/deep", "hidden too")
        .Directory("var/").Directory("var/lib/").Directory("var/lib/x/")
        .File("var/lib/x/old", "replaced with its directory")
        .ToArray();

    private static byte[] UpperLayer() => new TarBuilder()
        .File("etc/.wh.gone")
        .File("etc/added", "new")
        .Directory("opq/")
        .File("opq/.wh..wh..opq")
        .File("opq/new", "visible")
        .File("var/lib/x", "a file where a directory was")
        .ToArray();

    /// <summary>Three layers, gzip, zstd and plain: the standard case.</summary>
    private void ThreeLayers()
    {
        var top = new TarBuilder().HardLink("etc/keep-link", "etc/keep").ToArray();
        _layout.Index(_layout.Manifest(
            _layout.Layer(LowerLayer(), OciLayoutBuilder.LayerGzip),
            _layout.Layer(UpperLayer(), OciLayoutBuilder.LayerZstd),
            _layout.Layer(top, OciLayoutBuilder.LayerTar)));
    }

    private void AssertThreeLayersApplied()
    {
        Assert.Equal("kept", File.ReadAllText(In("etc/keep")));
        Assert.False(Path.Exists(In("etc/gone")));
        Assert.Equal("new", File.ReadAllText(In("etc/added")));
        Assert.Equal(["new"], Directory.EnumerateFileSystemEntries(In("opq")).Select(Path.GetFileName));
        Assert.Equal("a file where a directory was", File.ReadAllText(In("var/lib/x")));
        File.AppendAllText(In("etc/keep"), "!");
        Assert.Equal("kept!", File.ReadAllText(In("etc/keep-link")));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(Root, "*", SearchOption.AllDirectories), p => Path.GetFileName(p).StartsWith(".wh.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Layers_AreAppliedInOrder_WithWhiteoutsAndOpaqueDirectories()
    {
        ThreeLayers();

        var result = await ExtractAsync();

        AssertThreeLayersApplied();
        Assert.Equal(new ExtractResult(11 + 4 + 1, 0), result);
    }

    [Fact]
    public async Task LayoutAsATarball_GivesTheSameTree_AndLeavesNoScratch()
    {
        ThreeLayers();
        var tarball = _temp.Combine("oci.tar");
        File.WriteAllBytes(tarball, _layout.ToTar());

        await OciLayout.ExtractAsync(tarball, Root, new ExtractOptions(), CancellationToken.None);

        AssertThreeLayersApplied();
        Assert.Equal(["layout", "oci.tar", "outside", "root"], Directory.EnumerateFileSystemEntries(_temp.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task OpaqueMarker_SparesWhatItsOwnLayerWrote_InAnyOrder()
    {
        var upper = new TarBuilder().Directory("opq/").File("opq/first", "before the marker").Directory("opq/sub/").File("opq/sub/mine", "x")
            .File("opq/.wh..wh..opq").ToArray();
        _layout.Index(_layout.Manifest(_layout.Layer(LowerLayer()), _layout.Layer(upper)));

        await ExtractAsync();

        Assert.Equal(["first", "sub"], Directory.EnumerateFileSystemEntries(In("opq")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(["mine"], Directory.EnumerateFileSystemEntries(In("opq/sub")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Whiteouts_ForWhatNoLowerLayerHas_AreHarmless()
    {
        var upper = new TarBuilder().File("new/.wh..wh..opq").File("none/.wh.x").File(".wh.nothing").File("etc/.wh.absent").ToArray();
        _layout.Index(_layout.Manifest(_layout.Layer(new TarBuilder().Directory("etc/").ToArray()), _layout.Layer(upper)));

        var result = await ExtractAsync();

        Assert.Equal(new ExtractResult(1, 0), result);
        Assert.Equal(["etc"], Directory.EnumerateFileSystemEntries(Root).Select(Path.GetFileName));
    }

    [Fact]
    public async Task WhiteoutOfADirectory_UnlinksTheLinksInside_AndLeavesTheirTargets()
    {
        var lower = new TarBuilder().Directory("data/").Symlink("data/host", Outside).Symlink("data/secret", Outside + "/secret").ToArray();
        var upper = new TarBuilder().File(".wh.data").ToArray();
        _layout.Index(_layout.Manifest(_layout.Layer(lower), _layout.Layer(upper)));

        await ExtractAsync();

        Assert.False(Path.Exists(In("data")));
        Assert.Equal("host data", File.ReadAllText(Path.Combine(Outside, "secret")));
    }

    [Fact]
    public async Task OpaqueDirectory_UnlinksTheLinksInside_AndLeavesTheirTargets()
    {
        var lower = new TarBuilder().Directory("data/").Symlink("data/host", Outside).ToArray();
        var upper = new TarBuilder().Directory("data/").File("data/.wh..wh..opq").ToArray();
        _layout.Index(_layout.Manifest(_layout.Layer(lower), _layout.Layer(upper)));

        await ExtractAsync();

        Assert.Empty(Directory.EnumerateFileSystemEntries(In("data")));
        Assert.Equal(["secret"], Directory.EnumerateFileSystemEntries(Outside).Select(Path.GetFileName));
    }

    [Fact]
    public async Task WhiteoutThroughASymlink_IsRefused()
    {
        var lower = new TarBuilder().Symlink("host", Outside).ToArray();
        var upper = new TarBuilder().File("host/.wh.secret").ToArray();
        var layers = new[] { _layout.Layer(lower), _layout.Layer(upper) };
        _layout.Index(_layout.Manifest(layers));

        var e = await Assert.ThrowsAsync<BadRequestException>(() => ExtractAsync());

        Assert.Equal($"layout: layer 2 ({((string)layers[1]["digest"]!)[..19]}): entry \"host/.wh.secret\" refers to a path through the symbolic link \"host\"", e.Message);
        Assert.True(File.Exists(Path.Combine(Outside, "secret")));
    }

    [Fact]
    public async Task LayerTurningALowerDirectoryIntoALink_CannotBeUsedToHardLinkTheHost()
    {
        var lower = new TarBuilder().Directory("a/").File("a/f", "mine").ToArray();
        var upper = new TarBuilder().Symlink("a", Outside).HardLink("stolen", "a/f").ToArray();
        _layout.Index(_layout.Manifest(_layout.Layer(lower), _layout.Layer(upper)));

        var e = await Assert.ThrowsAsync<BadRequestException>(() => ExtractAsync());

        Assert.EndsWith("entry \"stolen\" refers to a path through the symbolic link \"a\"", e.Message, StringComparison.Ordinal);
        Assert.Equal(["secret"], Directory.EnumerateFileSystemEntries(Outside).Select(Path.GetFileName));
    }

    [Fact]
    public async Task DirectoryAndFileOfTheSameNameInOneLayer_IsStillRefused()
    {
        var layer = new TarBuilder().Directory("etc/").File("etc/x", "x").File("etc", "flat").ToArray();
        _layout.Index(_layout.Manifest(_layout.Layer(layer)));

        var e = await Assert.ThrowsAsync<BadRequestException>(() => ExtractAsync());

        Assert.EndsWith("entry \"etc\" would replace the directory \"etc\" with a file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DigestMismatch_IsRefusedBeforeAnythingIsWritten()
    {
        var good = _layout.Layer(LowerLayer());
        var bad = _layout.Layer(UpperLayer());
        var path = _layout.BlobPath(bad);
        var bytes = File.ReadAllBytes(path);
        bytes[^10] ^= 1;
        File.WriteAllBytes(path, bytes);
        _layout.Index(_layout.Manifest(good, bad));

        var e = await Assert.ThrowsAsync<BadRequestException>(() => ExtractAsync());

        Assert.StartsWith($"layout: blob {bad["digest"]} does not match its digest (its content hashes to sha256:", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Root));
    }

    [Fact]
    public async Task SizeMismatch_IsRefused()
    {
        var layer = _layout.Layer(LowerLayer());
        layer["size"] = (int)layer["size"]! + 1;
        _layout.Index(_layout.Manifest(layer));

        var e = await Assert.ThrowsAsync<BadRequestException>(() => ExtractAsync());

        Assert.Contains("its descriptor says", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ManifestWithAWrongDigest_IsRefused()
    {
        var manifest = _layout.Manifest(_layout.Layer(LowerLayer()));
        File.AppendAllText(_layout.BlobPath(manifest), " ");
        manifest["size"] = (int)manifest["size"]! + 1;
        _layout.Index(manifest);

        var e = await Assert.ThrowsAsync<BadRequestException>(() => ExtractAsync());

        Assert.Contains("does not match its digest", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DescriptorWithoutADigest_IsRefused()
    {
        var layer = _layout.Layer(LowerLayer());
        layer.Remove("digest");
        _layout.Index(_layout.Manifest(layer));

        var e = await Assert.ThrowsAsync<BadRequestException>(() => ExtractAsync());

        Assert.Equal("layout: digest \"\" is not a sha256 digest (sha256: and 64 lower-case hex digits)", e.Message);
    }

    [Fact]
    public async Task MissingBlob_IsRefused()
    {
        var layer = _layout.Layer(LowerLayer());
        File.Delete(_layout.BlobPath(layer));
        _layout.Index(_layout.Manifest(layer));

        var e = await Assert.ThrowsAsync<BadRequestException>(() => ExtractAsync());

        Assert.Equal($"layout: blob {layer["digest"]} is missing", e.Message);
    }

    [Fact]
    public async Task BlobThatIsASymlink_IsRefused()
    {
        var layer = _layout.Layer(LowerLayer());
        var path = _layout.BlobPath(layer);
        File.Move(path, Path.Combine(Outside, "blob"));
        File.CreateSymbolicLink(path, Path.Combine(Outside, "blob"));
        _layout.Index(_layout.Manifest(layer));

        var e = await Assert.ThrowsAsync<BadRequestException>(() => ExtractAsync());

        Assert.EndsWith("is a symbolic link", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NestedIndex_ThePlatformsManifestIsTaken()
    {
        var amd64 = _layout.Manifest(_layout.Layer(new TarBuilder().File("etc/arch", "amd64").ToArray()));
        var arm64 = _layout.Manifest(_layout.Layer(new TarBuilder().File("etc/arch", "arm64").ToArray()));
        var attestation = _layout.Manifest(_layout.Layer(new TarBuilder().File("sbom", "{}").ToArray()));
        var nested = _layout.Blob(OciLayoutBuilder.IndexType, OciLayoutBuilder.IndexJson(
            OciLayoutBuilder.WithPlatform(arm64, "arm64"), OciLayoutBuilder.WithPlatform(amd64, "amd64"), OciLayoutBuilder.WithPlatform(attestation, "unknown", "unknown")));
        _layout.Index(nested);

        await ExtractAsync(architecture: "amd64");
        Assert.Equal("amd64", File.ReadAllText(In("etc/arch")));

        Directory.Delete(Root, recursive: true);
        await ExtractAsync(architecture: "arm64");
        Assert.Equal("arm64", File.ReadAllText(In("etc/arch")));
    }

    [Fact]
    public async Task NoManifestForThePlatform_SaysWhichThereAre()
    {
        var arm64 = _layout.Manifest(_layout.Layer(new TarBuilder().File("a", "a").ToArray()));
        var s390x = _layout.Manifest(_layout.Layer(new TarBuilder().File("s", "s").ToArray()));
        _layout.Index(OciLayoutBuilder.WithPlatform(arm64, "arm64"), OciLayoutBuilder.WithPlatform(s390x, "s390x"));

        var e = await Assert.ThrowsAsync<BadRequestException>(() => ExtractAsync());

        Assert.Equal("layout: the OCI image layout has no manifest for linux/amd64 (it has linux/arm64, linux/s390x)", e.Message);
    }

    [Fact]
    public async Task OnlyManifest_WithoutPlatform_IsTaken()
    {
        _layout.Index(_layout.Manifest(_layout.Layer(new TarBuilder().File("etc/os-release", "ID=test").ToArray())));

        await ExtractAsync();

        Assert.Equal("ID=test", File.ReadAllText(In("etc/os-release")));
    }

    [Fact]
    public async Task NoOciLayoutFile_IsNotALayout()
    {
        _layout.Index(_layout.Manifest());
        File.Delete(Path.Combine(_layout.Directory, "oci-layout"));

        var e = await Assert.ThrowsAsync<BadRequestException>(() => ExtractAsync());

        Assert.Equal("layout: not an OCI image layout (no oci-layout file)", e.Message);
    }

    [Fact]
    public async Task UnknownLayerMediaType_IsNotSupportedYet()
    {
        _layout.Index(_layout.Manifest(_layout.Blob("application/vnd.oci.image.layer.v1.tar+bzip2", [1, 2, 3])));

        var e = await Assert.ThrowsAsync<NotSupportedYetException>(() => ExtractAsync());

        Assert.Contains("has media type application/vnd.oci.image.layer.v1.tar+bzip2, which cannot be unpacked yet", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeviceNodesInALayer_AreSkippedUnlessAllowed()
    {
        _layout.Index(_layout.Manifest(_layout.Layer(new TarBuilder().Directory("dev/").Device("dev/null", TarEntryType.CharacterDevice, 1, 3).ToArray())));

        var result = await ExtractAsync();

        Assert.Equal(new ExtractResult(1, 1), result);
        Assert.False(Path.Exists(In("dev/null")));
    }

    [Fact]
    public void Choose_PrefersThePlatform_IgnoresAttestations()
    {
        OciDescriptor Manifest(string digit, string? architecture, string os = "linux") =>
            new(OciLayoutBuilder.ManifestType, "sha256:" + new string(digit[0], 64), 1, architecture is null ? null : new OciPlatform(architecture, os));

        Assert.Equal('2', OciManifestSelector.Choose([Manifest("1", "arm64"), Manifest("2", "amd64")], "amd64", "x").Digest[^1]);
        Assert.Equal('1', OciManifestSelector.Choose([Manifest("1", "arm64"), Manifest("2", "unknown", "unknown")], "amd64", "x").Digest[^1]);
        Assert.Equal('1', OciManifestSelector.Choose([Manifest("1", null)], "amd64", "x").Digest[^1]);
        Assert.Throws<BadRequestException>(() => OciManifestSelector.Choose([Manifest("1", null), Manifest("2", null)], "amd64", "x"));
        Assert.Throws<BadRequestException>(() => OciManifestSelector.Choose([], "amd64", "x"));
    }

    [Theory]
    [InlineData("application/vnd.oci.image.layer.v1.tar", "tar")]
    [InlineData("application/vnd.oci.image.layer.v1.tar+gzip", "tar.gz")]
    [InlineData("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", "tar.gz")]
    [InlineData("application/vnd.oci.image.layer.v1.tar+zstd", "tar.zst")]
    [InlineData("application/vnd.docker.image.rootfs.diff.tar.gzip", "tar.gz")]
    [InlineData("application/vnd.docker.image.rootfs.diff.tar", "tar")]
    [InlineData("application/vnd.oci.image.config.v1+json", null)]
    public void LayerFormat_FollowsTheMediaType(string mediaType, string? format) =>
        Assert.Equal(format, OciMediaTypes.LayerFormat(mediaType));
}
