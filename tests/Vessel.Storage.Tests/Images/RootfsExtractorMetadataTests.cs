using System.Formats.Tar;
using Vessel.Storage.Images;

namespace Vessel.Storage.Tests.Images;

/// <summary>Owners, modes, xattrs, mtimes and special files survive extraction (as root, which these tests need).</summary>
public sealed class RootfsExtractorMetadataTests : IDisposable
{
    // security.capability for cap_dac_override,cap_fowner,cap_setuid+ep (VFS_CAP_REVISION_2): the first mask byte
    // is 0x8a, above 0x7f and with a line feed's bit pattern in its low nibble — both garbled by a UTF-8 reading.
    private static readonly byte[] Capability = [0x01, 0x00, 0x00, 0x02, 0x8a, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Root => _temp.Combine("root");

    private string In(string relative) => Path.Combine(Root, relative);

    private Task<ExtractResult> ExtractAsync(TarBuilder tar, ExtractOptions? options = null)
    {
        var archive = _temp.Combine("rootfs.tar");
        File.WriteAllBytes(archive, tar.ToArray());
        return RootfsExtractor.ExtractAsync(archive, "tar", Root, options ?? new ExtractOptions(), CancellationToken.None);
    }

    [Fact]
    public void TheseTests_RunAsRoot() => Assert.True(Environment.IsPrivilegedProcess, "ownership, xattr and device tests need root");

    [Fact]
    public async Task OwnersAndModes_WithSetuidSetgidAndSticky_AreKept()
    {
        var result = await ExtractAsync(new TarBuilder()
            .Directory("usr/", uid: 0, gid: 0)
            .Directory("usr/bin/", mode: "755")
            .File("usr/bin/passwd", "elf", mode: "4755", uid: 0, gid: 0)
            .File("usr/bin/crontab", "elf", mode: "2755", uid: 0, gid: 102)
            .File("usr/bin/mine", "elf", mode: "6750", uid: 1234, gid: 2345)
            .Directory("tmp/", mode: "1777")
            .Directory("home/", mode: "755")
            .Directory("home/ann/", mode: "700", uid: 1000, gid: 1000)
            .File("home/ann/notes", "hi", mode: "600", uid: 1000, gid: 1000));

        Assert.Equal(new ExtractResult(9, 0), result);
        Assert.Equal((0, 0, "4755"), Owner("usr/bin/passwd"));
        Assert.Equal((0, 102, "2755"), Owner("usr/bin/crontab"));
        Assert.Equal((1234, 2345, "6750"), Owner("usr/bin/mine"));
        Assert.Equal((0, 0, "1777"), Owner("tmp"));
        Assert.Equal((1000, 1000, "700"), Owner("home/ann"));
        Assert.Equal((1000, 1000, "600"), Owner("home/ann/notes"));
    }

    [Fact]
    public async Task Mtimes_OfFilesLinksAndDirectories_AreKept_EvenWhenDirectoriesAreFilledLater()
    {
        var old = new DateTimeOffset(2001, 2, 3, 4, 5, 6, TimeSpan.Zero);
        var older = new DateTimeOffset(1999, 12, 31, 23, 59, 58, TimeSpan.Zero);

        await ExtractAsync(new TarBuilder()
            .Directory("etc/", mtime: older)
            .File("etc/motd", "hello", mtime: old)
            .Symlink("etc/mtab", "/proc/self/mounts", mtime: old)
            .File("etc/later", "written after etc/ got its mtime"));

        Assert.Equal(older.ToUnixTimeSeconds(), NativeFile.Stat(In("etc")).Mtime);
        Assert.Equal(old.ToUnixTimeSeconds(), NativeFile.Stat(In("etc/motd")).Mtime);
        Assert.Equal(old.ToUnixTimeSeconds(), NativeFile.Stat(In("etc/mtab")).Mtime);
        Assert.Equal(TarBuilder.Mtime.ToUnixTimeSeconds(), NativeFile.Stat(In("etc/later")).Mtime);
    }

    [Fact]
    public async Task SymlinkOwner_IsTheLinksOwn()
    {
        await ExtractAsync(new TarBuilder().File("target", "x", uid: 5, gid: 5).Symlink("link", "target", uid: 77, gid: 88));

        Assert.Equal((77, 88), (NativeFile.Stat(In("link")).Uid, NativeFile.Stat(In("link")).Gid));
        Assert.Equal((5, 5), (NativeFile.Stat(In("target")).Uid, NativeFile.Stat(In("target")).Gid));
    }

    [Fact]
    public async Task Xattrs_FromSchilyRecords_AreKeptByteForByte_CapabilityIncluded()
    {
        byte[] withLineBreaks = [(byte)'a', (byte)'\n', (byte)'b', (byte)'\r', 0xff, 0];

        await ExtractAsync(new TarBuilder()
            .Directory("usr/").Directory("usr/bin/")
            .Xattrs(("security.capability", Capability), ("user.note", withLineBreaks), ("user.empty", []))
            .Add(TarEntryType.RegularFile, "usr/bin/ping", "755", uid: 0, gid: 0, data: "elf"u8.ToArray())
            .File("usr/bin/plain", "no xattrs"));

        var ping = In("usr/bin/ping");
        Assert.Equal(Capability, NativeFile.GetXattr(ping, "security.capability"));
        Assert.Equal(withLineBreaks, NativeFile.GetXattr(ping, "user.note"));
        Assert.Equal(Array.Empty<byte>(), NativeFile.GetXattr(ping, "user.empty"));
        Assert.Equal("755", NativeFile.Stat(ping).Mode);
        Assert.Null(NativeFile.GetXattr(In("usr/bin/plain"), "security.capability"));
    }

    [Fact]
    public async Task Capability_SurvivesAnOwnerChange()
    {
        // chown(2) drops security.capability; the owner must be set first.
        await ExtractAsync(new TarBuilder()
            .Xattrs(("security.capability", Capability))
            .Add(TarEntryType.RegularFile, "tool", "750", uid: 0, gid: 4321, data: "elf"u8.ToArray()));

        Assert.Equal(Capability, NativeFile.GetXattr(In("tool"), "security.capability"));
        Assert.Equal((0, 4321, "750"), Owner("tool"));
    }

    [Fact]
    public async Task XattrsOnADirectory_AreKept()
    {
        await ExtractAsync(new TarBuilder()
            .Xattrs(("user.dir", "yes"u8.ToArray()))
            .Add(TarEntryType.Directory, "data/", "750")
            .File("data/file", "x"));

        Assert.Equal("yes"u8.ToArray(), NativeFile.GetXattr(In("data"), "user.dir"));
        Assert.Equal("750", NativeFile.Stat(In("data")).Mode);
    }

    [Fact]
    public async Task GnuLongNames_AndRawPaxHeaders_StayInStep()
    {
        var longName = "usr/share/" + new string('d', 120) + "/" + new string('f', 120);
        await ExtractAsync(new TarBuilder()
            .Entry(new GnuTarEntry(TarEntryType.RegularFile, longName) { DataStream = new MemoryStream(new byte[700]) })
            .Xattrs(("user.a", [1, 2, 3]))
            .Add(TarEntryType.RegularFile, "second", data: new byte[1025])
            .Entry(new GnuTarEntry(TarEntryType.SymbolicLink, "third") { LinkName = "/" + new string('l', 150) })
            .Xattrs(("user.b", [(byte)'\n']))
            .Add(TarEntryType.RegularFile, "fourth", data: [9]));

        Assert.Equal(700, new FileInfo(In(longName)).Length);
        Assert.Equal(new byte[] { 1, 2, 3 }, NativeFile.GetXattr(In("second"), "user.a"));
        Assert.Null(NativeFile.GetXattr(In(longName), "user.a"));
        Assert.Equal("/" + new string('l', 150), new FileInfo(In("third")).LinkTarget);
        Assert.Equal(new[] { (byte)'\n' }, NativeFile.GetXattr(In("fourth"), "user.b"));
    }

    [Fact]
    public async Task PaxPathAfterABinaryXattr_IsStillRead()
    {
        // Go's archive/tar sorts records, so SCHILY.xattr.* comes before path; a line break in the value must not hide the path.
        var name = "etc/" + new string('n', 120);
        await ExtractAsync(new TarBuilder()
            .Pax(("SCHILY.xattr.user.x", "1\n2"u8.ToArray()), ("path", System.Text.Encoding.UTF8.GetBytes(name)))
            .Add(TarEntryType.RegularFile, "short-name", data: "x"u8.ToArray()));

        Assert.True(File.Exists(In(name)));
        Assert.False(File.Exists(In("short-name")));
        Assert.Equal("1\n2"u8.ToArray(), NativeFile.GetXattr(In(name), "user.x"));
    }

    [Fact]
    public async Task UidAndGidOffsets_ShiftEveryOwner_AndTheDirectoriesNoEntryDescribes()
    {
        var options = new ExtractOptions { UidOffset = 100000, GidOffset = 200000 };

        await ExtractAsync(new TarBuilder()
            .File("implied/dir/file", "x", uid: 0, gid: 0)
            .File("owned", "y", mode: "4755", uid: 1000, gid: 50)
            .Symlink("link", "owned", uid: 33, gid: 33), options);

        Assert.Equal((100000, 200000, "755"), Owner("."));
        Assert.Equal((100000, 200000, "755"), Owner("implied"));
        Assert.Equal((100000, 200000, "755"), Owner("implied/dir"));
        Assert.Equal((100000, 200000, "644"), Owner("implied/dir/file"));
        Assert.Equal((101000, 200050, "4755"), Owner("owned"));
        Assert.Equal((100033, 200033), (NativeFile.Stat(In("link")).Uid, NativeFile.Stat(In("link")).Gid));
    }

    [Fact]
    public async Task RootEntry_GivesTheTargetItsMetadata()
    {
        await ExtractAsync(new TarBuilder().Directory("./", mode: "751", uid: 0, gid: 0).File("./etc/hostname", "web"), new ExtractOptions { UidOffset = 10, GidOffset = 20 });

        Assert.Equal((10, 20, "751"), Owner("."));
    }

    [Fact]
    public async Task NegativeOwner_IsRefused()
    {
        var e = await Assert.ThrowsAsync<Vessel.Core.BadRequestException>(() =>
            ExtractAsync(new TarBuilder().Pax(("uid", "-5"u8.ToArray())).Add(TarEntryType.RegularFile, "f", data: []), new ExtractOptions { UidOffset = 7 }));

        Assert.Equal("rootfs.tar: entry \"f\" has owner -5, which with the offset 7 is not a valid uid", e.Message);
    }

    [Fact]
    public async Task DeviceNodes_AreSkippedAndCounted_WhenNotAllowed()
    {
        var result = await ExtractAsync(new TarBuilder()
            .Directory("dev/")
            .Device("dev/null", TarEntryType.CharacterDevice, 1, 3)
            .Device("dev/sda", TarEntryType.BlockDevice, 8, 0, mode: "660")
            .Fifo("dev/initctl", mode: "600"));

        Assert.Equal(new ExtractResult(2, 2), result);
        Assert.False(Path.Exists(In("dev/null")));
        Assert.False(Path.Exists(In("dev/sda")));
        Assert.Equal("fifo", NativeFile.Stat(In("dev/initctl")).Type);
        Assert.Equal("600", NativeFile.Stat(In("dev/initctl")).Mode);
    }

    [Fact]
    public async Task DeviceNodes_AreCreated_WhenAllowed()
    {
        var result = await ExtractAsync(new TarBuilder()
            .Directory("dev/")
            .Device("dev/null", TarEntryType.CharacterDevice, 1, 3)
            .Device("dev/sda", TarEntryType.BlockDevice, 8, 0, mode: "660"), new ExtractOptions { AllowDeviceNodes = true });

        Assert.Equal(new ExtractResult(3, 0), result);
        var nullDevice = NativeFile.Stat(In("dev/null"));
        Assert.Equal(("character special file", 1, 3, "666"), (nullDevice.Type, nullDevice.Major, nullDevice.Minor, nullDevice.Mode));
        var disk = NativeFile.Stat(In("dev/sda"));
        Assert.Equal(("block special file", 8, 0, "660"), (disk.Type, disk.Major, disk.Minor, disk.Mode));
    }

    [Fact]
    public async Task DeviceNodeOverAFile_ReplacesIt()
    {
        await ExtractAsync(new TarBuilder().File("null", "x").Device("null", TarEntryType.CharacterDevice, 1, 3), new ExtractOptions { AllowDeviceNodes = true });

        Assert.Equal("character special file", NativeFile.Stat(In("null")).Type);
    }

    [Fact]
    public async Task Cancelled_Stops()
    {
        var archive = _temp.Combine("rootfs.tar");
        File.WriteAllBytes(archive, new TarBuilder().File("a", "x").ToArray());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            RootfsExtractor.ExtractAsync(archive, "tar", Root, new ExtractOptions(), new CancellationToken(canceled: true)));
    }

    private (int Uid, int Gid, string Mode) Owner(string relative)
    {
        var status = NativeFile.Stat(In(relative));
        return (status.Uid, status.Gid, status.Mode);
    }
}
