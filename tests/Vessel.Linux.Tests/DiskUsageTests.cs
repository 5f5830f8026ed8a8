namespace Vessel.Linux.Tests;

public sealed class DiskUsageTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("vessel-du-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void OfFile_CountsAllocatedBlocks_NotTheLengthOfASparseFile()
    {
        var file = Path.Combine(_directory, "sparse");
        using (var stream = File.Create(file))
        {
            stream.SetLength(100 << 20);
            stream.Write(Enumerable.Repeat((byte)0x5a, 1 << 20).ToArray());
        }

        Assert.InRange(DiskUsage.OfFile(file), 1 << 20, 2 << 20);
    }

    [Fact]
    public async Task OfTree_CountsEachFileOnce_HardLinksToo()
    {
        var data = Path.Combine(_directory, "data");
        File.WriteAllBytes(data, Enumerable.Repeat((byte)1, 4 << 20).ToArray());
        var before = await DiskUsage.OfTreeAsync(_directory, CancellationToken.None);
        Ownership.HardLink(data, Path.Combine(_directory, "link"));

        Assert.InRange(before, 4 << 20, 5 << 20);
        Assert.Equal(before, await DiskUsage.OfTreeAsync(_directory, CancellationToken.None));
    }

    [Fact]
    public async Task OfTree_OfAMissingDirectory_SaysWhy() =>
        Assert.Contains("No such file or directory",
            (await Assert.ThrowsAsync<HostCommandException>(() => DiskUsage.OfTreeAsync(Path.Combine(_directory, "gone"), CancellationToken.None))).Message);

    [Theory]
    [InlineData("8192\t/var/lib/vessel/pools/default/containers/c1\n", 8192L)]
    [InlineData("", null)]
    public void ParseTotal_ReadsTheFirstNumber(string output, long? expected) => Assert.Equal(expected, DiskUsage.ParseTotal(output));
}
