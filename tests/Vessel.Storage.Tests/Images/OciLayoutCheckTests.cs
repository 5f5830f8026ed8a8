using Vessel.Core;
using Vessel.Storage.Images;

namespace Vessel.Storage.Tests.Images;

/// <summary>An OCI layout tarball's layers are checked at import, in order, as their extraction would check them.</summary>
public sealed class OciLayoutCheckTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private Task CheckAsync(params byte[][] layers)
    {
        var layout = new OciLayoutBuilder(_temp.Combine("layout"));
        layout.Index(layout.Manifest([.. layers.Select((l, i) => layout.Layer(l, i % 2 == 0 ? OciLayoutBuilder.LayerGzip : OciLayoutBuilder.LayerZstd))]));
        var path = _temp.Combine("upload");
        File.WriteAllBytes(path, layout.ToTar());
        return OciLayoutCheck.CheckAsync(path, CancellationToken.None);
    }

    [Fact]
    public async Task AFileThroughALinkOfALowerLayer_IsRefused_NamingLayerAndEntry()
    {
        var e = await Assert.ThrowsAsync<BadRequestException>(() => CheckAsync(
            new TarBuilder().Directory("etc/").Symlink("etc/cron.d", "/etc/cron.d").ToArray(),
            new TarBuilder().File("etc/cron.d/evil", "x").ToArray()));

        Assert.Matches("^the tarball: layer 2 \\(sha256:[0-9a-f]{12}\\): entry \"etc/cron.d/evil\" would be written through the symbolic link \"etc/cron.d\"$", e.Message);
        Assert.Equal(["layout", "upload"], Directory.EnumerateFileSystemEntries(_temp.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task DotDotInALayer_IsRefused()
    {
        var e = await Assert.ThrowsAsync<BadRequestException>(() => CheckAsync(new TarBuilder().File("etc/../../x", "x").ToArray()));

        Assert.EndsWith(": entry \"etc/../../x\" leaves the target directory", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HardLinkToAFileOfALowerLayer_Passes_UnlessAWhiteoutRemovedIt()
    {
        await CheckAsync(new TarBuilder().File("usr/a", "a").ToArray(), new TarBuilder().HardLink("usr/b", "usr/a").ToArray());

        var e = await Assert.ThrowsAsync<BadRequestException>(() => CheckAsync(
            new TarBuilder().File("usr/a", "a").ToArray(),
            new TarBuilder().File("usr/.wh.a").ToArray(),
            new TarBuilder().HardLink("usr/b", "usr/a").ToArray()));
        Assert.EndsWith(": entry \"usr/b\" is a hard link to \"usr/a\", which is not a file extracted before it", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ALinkWhitedOutOrReplacedByADirectory_IsNoTrick() =>
        await CheckAsync(
            new TarBuilder().Symlink("lib", "/usr/lib").Symlink("opt/x", "/").ToArray(),
            new TarBuilder().File(".wh.lib").Directory("lib/").File("lib/libc.so", "elf").File("opt/.wh..wh..opq").File("opt/x/y", "y").ToArray());
}
