namespace Vessel.Linux.Tests;

public sealed class VolumeArchiveTests : IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("vessel-volume-");

    public void Dispose() => _temp.Delete(recursive: true);

    /// <summary>overlayfs marks an upper directory with a random binary uuid, which now and then holds a line break.</summary>
    [Fact]
    public async Task Names_OfATreeWhoseXattrHoldsALineBreak_AreAllListed()
    {
        var tree = Directory.CreateDirectory(Path.Combine(_temp.FullName, "tree"));
        var upper = Directory.CreateDirectory(Path.Combine(tree.FullName, "upper"));
        File.WriteAllText(Path.Combine(upper.FullName, "file"), "data");
        Ownership.SetXattr(upper.FullName, "user.overlay.uuid", [0x97, 0xba, 0x0a, 0x25, 0x55]);
        var archive = Path.Combine(_temp.FullName, "volume.tar");
        await VolumeArchive.WriteAsync(tree.FullName, archive, [], CancellationToken.None);

        var names = await VolumeArchive.NamesAsync(archive, CancellationToken.None);

        Assert.Equal(["./", "./upper/", "./upper/file"], names);
    }

    /// <summary>A disk written whole (keepHoles: false) comes back with its runs of zeros as holes once they are punched.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AFileWithAHole_ComesBackWithTheSameBytes_AndTheHoleAgain(bool keepHoles)
    {
        var tree = Directory.CreateDirectory(Path.Combine(_temp.FullName, "tree"));
        var disk = Path.Combine(tree.FullName, "root.qcow2");
        var data = new byte[4 << 20];
        Random.Shared.NextBytes(data);
        await using (var file = File.Create(disk))
        {
            file.Write(data);
            file.Seek(16 << 20, SeekOrigin.Current); // a hole of 16 MiB
            file.Write(data);
        }
        var archive = Path.Combine(_temp.FullName, "volume.tar");
        await VolumeArchive.WriteAsync(tree.FullName, archive, [], CancellationToken.None, keepHoles);
        var target = Directory.CreateDirectory(Path.Combine(_temp.FullName, "target"));

        await VolumeArchive.ExtractAsync(archive, target.FullName, CancellationToken.None);
        var extracted = Path.Combine(target.FullName, "root.qcow2");
        await VolumeArchive.PunchZeroesAsync(extracted, CancellationToken.None);

        Assert.Equal(File.ReadAllBytes(disk), File.ReadAllBytes(extracted));
        Assert.InRange(DiskUsage.OfFile(extracted), 8 << 20, 9 << 20);
    }

    [Fact]
    public async Task Names_OfWhatIsNoArchive_AreRefused()
    {
        var junk = Path.Combine(_temp.FullName, "junk");
        File.WriteAllText(junk, "not a tar at all");

        await Assert.ThrowsAsync<InvalidDataException>(() => VolumeArchive.NamesAsync(junk, CancellationToken.None));
    }
}
