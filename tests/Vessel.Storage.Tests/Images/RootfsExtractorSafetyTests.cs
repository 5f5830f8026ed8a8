using System.Formats.Tar;
using Vessel.Core;
using Vessel.Storage.Images;

namespace Vessel.Storage.Tests.Images;

/// <summary>Crafted archives that try to write outside the target; each must be refused or kept inside.</summary>
public sealed class RootfsExtractorSafetyTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public RootfsExtractorSafetyTests()
    {
        Directory.CreateDirectory(Outside);
        File.WriteAllText(Path.Combine(Outside, "secret"), "host data");
    }

    public void Dispose() => _temp.Dispose();

    private string Root => _temp.Combine("root");

    /// <summary>A directory beside the target that stands for the host.</summary>
    private string Outside => _temp.Combine("outside");

    private Task<ExtractResult> ExtractAsync(TarBuilder tar, ExtractOptions? options = null)
    {
        var archive = _temp.Combine("rootfs.tar");
        File.WriteAllBytes(archive, tar.ToArray());
        return RootfsExtractor.ExtractAsync(archive, "tar", Root, options ?? new ExtractOptions(), CancellationToken.None);
    }

    private async Task<string> RefusedAsync(TarBuilder tar)
    {
        var e = await Assert.ThrowsAsync<BadRequestException>(() => ExtractAsync(tar));
        AssertHostUntouched();
        return e.Message;
    }

    private void AssertHostUntouched()
    {
        Assert.Equal(["secret"], Directory.EnumerateFileSystemEntries(Outside).Select(Path.GetFileName));
        Assert.Equal("host data", File.ReadAllText(Path.Combine(Outside, "secret")));
        Assert.Equal(["outside", "root", "rootfs.tar"], Directory.EnumerateFileSystemEntries(_temp.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("../../../../../../tmp/x")]
    [InlineData("etc/../../x")]
    [InlineData("./..")]
    [InlineData("/../x")]
    public async Task DotDot_IsRefused(string name)
    {
        var message = await RefusedAsync(new TarBuilder().File(name, "root::0:0::/:/bin/sh"));

        Assert.Equal($"rootfs.tar: entry \"{name}\" leaves the target directory", message);
    }

    [Fact]
    public async Task DotDotAsSymlinkName_IsRefusedToo() =>
        Assert.Equal("rootfs.tar: entry \"../link\" leaves the target directory", await RefusedAsync(new TarBuilder().Symlink("../link", "/")));

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("//etc/passwd")]
    [InlineData("/./etc/./passwd")]
    public async Task AbsolutePath_LosesItsSlashAndStaysInside(string name)
    {
        await ExtractAsync(new TarBuilder().File(name, "inside"));

        Assert.Equal("inside", File.ReadAllText(Path.Combine(Root, "etc", "passwd")));
        AssertHostUntouched();
    }

    [Theory]
    [InlineData("absolute")]
    [InlineData("relative")]
    public async Task SymlinkOutside_ThenAFileThroughIt_IsRefused(string kind)
    {
        var target = kind == "absolute" ? Outside : "../outside";

        var message = await RefusedAsync(new TarBuilder().Symlink("evil", target).File("evil/pwned", "x"));

        Assert.Equal("rootfs.tar: entry \"evil/pwned\" would be written through the symbolic link \"evil\"", message);
    }

    [Fact]
    public async Task SymlinkDeepInThePath_IsRefused()
    {
        var message = await RefusedAsync(new TarBuilder()
            .Directory("usr/").Directory("usr/lib/").Symlink("usr/lib/x", "/").File("usr/lib/x/etc/cron.d/job", "* * * * * root sh"));

        Assert.Equal("rootfs.tar: entry \"usr/lib/x/etc/cron.d/job\" would be written through the symbolic link \"usr/lib/x\"", message);
    }

    [Fact]
    public async Task SymlinkToAncestor_ThenDirectoryThroughIt_IsRefused()
    {
        var message = await RefusedAsync(new TarBuilder().Symlink("up", "..").Directory("up/x/"));

        Assert.Equal("rootfs.tar: entry \"up/x/\" would be written through the symbolic link \"up\"", message);
    }

    [Fact]
    public async Task SymlinkToTheHost_IsCreatedAsItIs_AndNotFollowed()
    {
        var secret = Path.Combine(Outside, "secret");
        var before = NativeFile.Stat(secret);

        // Owner, time and an xattr of the link itself: lchown, utimensat(AT_SYMLINK_NOFOLLOW) and lsetxattr leave the host's file alone.
        await ExtractAsync(new TarBuilder().Directory("etc/")
            .Xattrs(("trusted.note", "link"u8.ToArray()))
            .Add(System.Formats.Tar.TarEntryType.SymbolicLink, "etc/localtime", "777", uid: 4242, gid: 4242, mtime: new DateTimeOffset(1990, 1, 1, 0, 0, 0, TimeSpan.Zero), link: secret)
            .Symlink("lib64", "usr/lib64"));

        Assert.Equal(before, NativeFile.Stat(secret));
        Assert.Null(NativeFile.GetXattr(secret, "trusted.note"));
        Assert.Equal("link"u8.ToArray(), NativeFile.GetXattr(Path.Combine(Root, "etc", "localtime"), "trusted.note"));
        Assert.Equal(Outside + "/secret", new FileInfo(Path.Combine(Root, "etc", "localtime")).LinkTarget);
        Assert.Equal("usr/lib64", new FileInfo(Path.Combine(Root, "lib64")).LinkTarget);
        AssertHostUntouched();
    }

    [Fact]
    public async Task FileOverASymlink_ReplacesTheLink_NotWhatItPointsAt()
    {
        await ExtractAsync(new TarBuilder().Symlink("secret", Outside + "/secret").File("secret", "replaced"));

        var path = Path.Combine(Root, "secret");
        Assert.Null(new FileInfo(path).LinkTarget);
        Assert.Equal("replaced", File.ReadAllText(path));
        AssertHostUntouched();
    }

    [Fact]
    public async Task DirectoryOverASymlink_ReplacesTheLink()
    {
        await ExtractAsync(new TarBuilder().Symlink("etc", Outside).Directory("etc/").File("etc/hostname", "web"));

        Assert.Null(new FileInfo(Path.Combine(Root, "etc")).LinkTarget);
        Assert.Equal("web", File.ReadAllText(Path.Combine(Root, "etc", "hostname")));
        AssertHostUntouched();
    }

    [Fact]
    public async Task SymlinkAlreadyInTheTarget_IsNotFollowedEither()
    {
        Directory.CreateDirectory(Root);
        File.CreateSymbolicLink(Path.Combine(Root, "var"), Outside);

        var message = await RefusedAsync(new TarBuilder().File("var/log/x", "x"));

        Assert.Equal("rootfs.tar: entry \"var/log/x\" would be written through the symbolic link \"var\"", message);
    }

    [Theory]
    [InlineData("/etc/shadow")]
    [InlineData("etc/shadow")]
    public async Task HardLinkToAHostFile_IsRefused(string target)
    {
        var message = await RefusedAsync(new TarBuilder().Directory("etc/").HardLink("etc/shadow-copy", target));

        Assert.Equal($"rootfs.tar: entry \"etc/shadow-copy\" is a hard link to \"{target}\", which is not a file extracted before it", message);
    }

    [Fact]
    public async Task HardLinkWithDotDot_IsRefused()
    {
        var message = await RefusedAsync(new TarBuilder().HardLink("stolen", "../outside/secret"));

        Assert.Equal("rootfs.tar: entry \"stolen\" is a hard link to \"../outside/secret\", which is outside the target directory", message);
    }

    [Fact]
    public async Task HardLinkThroughASymlink_IsRefused()
    {
        var message = await RefusedAsync(new TarBuilder().Symlink("host", Outside).HardLink("stolen", "host/secret"));

        Assert.Equal("rootfs.tar: entry \"stolen\" is a hard link to \"host/secret\", which is not a file extracted before it", message);
    }

    [Fact]
    public async Task HardLinkToADirectory_IsRefused()
    {
        var message = await RefusedAsync(new TarBuilder().Directory("etc/").HardLink("etc2", "etc"));

        Assert.Equal("rootfs.tar: entry \"etc2\" is a hard link to \"etc\", which is not a file extracted before it", message);
    }

    [Fact]
    public async Task HardLinkToAnEarlierFile_SharesItsInode()
    {
        await ExtractAsync(new TarBuilder().Directory("usr/bin/").File("usr/bin/perl", "#!perl", mode: "755").HardLink("usr/bin/perl5.36", "usr/bin/perl"));

        File.AppendAllText(Path.Combine(Root, "usr/bin/perl"), " more");
        Assert.Equal("#!perl more", File.ReadAllText(Path.Combine(Root, "usr/bin/perl5.36")));
    }

    [Fact]
    public async Task HardLinkToAnEarlierSymlink_LinksTheSymlinkItself()
    {
        await ExtractAsync(new TarBuilder().Symlink("s", Outside + "/secret").HardLink("h", "s").File("h", "over"));

        Assert.Equal(Outside + "/secret", new FileInfo(Path.Combine(Root, "s")).LinkTarget);
        Assert.Equal("over", File.ReadAllText(Path.Combine(Root, "h")));
        AssertHostUntouched();
    }

    [Fact]
    public async Task FileReplacingADirectory_IsRefused()
    {
        var message = await RefusedAsync(new TarBuilder().Directory("etc/").File("etc/passwd", "x").File("etc", "flat"));

        Assert.Equal("rootfs.tar: entry \"etc\" would replace the directory \"etc\" with a file", message);
    }

    [Fact]
    public async Task SymlinkReplacingADirectory_IsRefused()
    {
        var message = await RefusedAsync(new TarBuilder().Directory("etc/").Symlink("etc", Outside));

        Assert.Equal("rootfs.tar: entry \"etc\" would replace the directory \"etc\" with a symbolic link", message);
    }

    [Fact]
    public async Task FileUnderAFile_IsRefused()
    {
        var message = await RefusedAsync(new TarBuilder().File("etc", "flat").File("etc/passwd", "x"));

        Assert.Equal("rootfs.tar: entry \"etc/passwd\" needs \"etc\" to be a directory, but it is a file", message);
    }

    [Fact]
    public async Task DirectoryReplacingAFile_Works()
    {
        await ExtractAsync(new TarBuilder().File("etc", "flat").Directory("etc/").File("etc/passwd", "x"));

        Assert.Equal("x", File.ReadAllText(Path.Combine(Root, "etc", "passwd")));
    }

    [Fact]
    public async Task SameFileTwice_TheLaterWins()
    {
        await ExtractAsync(new TarBuilder().File("motd", "first").File("motd", "second"));

        Assert.Equal("second", File.ReadAllText(Path.Combine(Root, "motd")));
    }

    [Fact]
    public async Task RootEntryThatIsNotADirectory_IsRefused()
    {
        var message = await RefusedAsync(new TarBuilder().File("./", "x"));

        Assert.Equal("rootfs.tar: entry \"./\" would replace the target directory", message);
    }

    [Fact]
    public async Task RootSymlink_IsRefused()
    {
        var message = await RefusedAsync(new TarBuilder().Symlink(".", Outside));

        Assert.Equal("rootfs.tar: entry \".\" would replace the target directory", message);
        Assert.Null(new DirectoryInfo(Root).LinkTarget);
    }

    [Fact]
    public async Task UnsupportedEntryType_IsRefusedByName()
    {
        var tar = new TarBuilder().Raw("dumpdir", 'D', []);

        Assert.Equal("rootfs.tar: entry \"dumpdir\" has type DirectoryList, which cannot be extracted", await RefusedAsync(tar));
    }
}
