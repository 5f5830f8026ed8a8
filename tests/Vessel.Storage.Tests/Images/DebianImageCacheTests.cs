using System.Text.Json;
using Vessel.Core;
using Vessel.Storage.Images;

namespace Vessel.Storage.Tests.Images;

/// <summary>The Debian image cache's freshness rules, and that BuildAsync asks it before it runs anything.</summary>
public sealed class DebianImageCacheTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly DebianBuildRequest Bookworm = DebianBuildRequest.From(new DebianImageOptions { Architecture = "amd64" });

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private DebianImageCache Cache => new(_temp.Combine("cache"), TimeSpan.FromHours(24));

    [Fact]
    public void Committed_IsFresh_ForADay()
    {
        var committed = Commit(Bookworm, Now);

        Assert.Equal(committed, Cache.Fresh(Bookworm, Now.AddHours(23)));
        Assert.Null(Cache.Fresh(Bookworm, Now.AddHours(24)));
        Assert.Equal("rootfs.tar", Path.GetFileName(committed));
        Assert.Equal("built", File.ReadAllText(committed));
    }

    [Fact]
    public void AStampFromTheFuture_IsNotTrusted()
    {
        Commit(Bookworm, Now.AddHours(2));

        Assert.Null(Cache.Fresh(Bookworm, Now));
    }

    [Fact]
    public void OtherPackagesSuiteOrArchitecture_AreOtherEntries()
    {
        Commit(Bookworm, Now);

        Assert.Null(Cache.Fresh(DebianBuildRequest.From(new DebianImageOptions { Architecture = "amd64", Include = ["curl"] }), Now));
        Assert.Null(Cache.Fresh(DebianBuildRequest.From(new DebianImageOptions { Architecture = "amd64", Suite = "trixie" }), Now));
        Assert.Null(Cache.Fresh(DebianBuildRequest.From(new DebianImageOptions { Architecture = "arm64" }), Now));
        Assert.NotNull(Cache.Fresh(DebianBuildRequest.From(new DebianImageOptions { Architecture = "x86_64", Include = ["systemd-sysv"] }), Now));
    }

    [Fact]
    public void ATarballWithoutItsStamp_OrWithABrokenOne_IsNotTaken()
    {
        var committed = Commit(Bookworm, Now);
        var stamp = Path.Combine(Path.GetDirectoryName(committed)!, "stamp.json");

        File.WriteAllText(stamp, "{ not json");
        Assert.Null(Cache.Fresh(Bookworm, Now));
        File.WriteAllText(stamp, "{}");
        Assert.Null(Cache.Fresh(Bookworm, Now));
        Cache.BeginRebuild(Bookworm);
        Assert.False(File.Exists(stamp));
        Assert.Null(Cache.Fresh(Bookworm, Now));
    }

    [Fact]
    public void Fresh_VirtualMachineFlavour_IsAnEntryOfItsOwn_EvenWithTheSamePackages()
    {
        var vm = DebianBuildRequest.From(new DebianImageOptions { Architecture = "amd64", VirtualMachine = true });
        var container = DebianBuildRequest.From(new DebianImageOptions { Architecture = "amd64", Include = [.. vm.Packages] });
        Commit(container, Now);

        Assert.Null(Cache.Fresh(vm, Now));
        Assert.Contains("-vm-", Path.GetFileName(Cache.EntryDirectory(vm)), StringComparison.Ordinal);
        Assert.NotEqual(Cache.EntryDirectory(container), Cache.EntryDirectory(vm));
    }

    [Fact]
    public void Stamp_SaysWhatWasBuiltAndWhen()
    {
        var committed = Commit(Bookworm, Now);

        using var stamp = JsonDocument.Parse(File.ReadAllText(Path.Combine(Path.GetDirectoryName(committed)!, "stamp.json")));
        Assert.Equal("bookworm", stamp.RootElement.GetProperty("suite").GetString());
        Assert.Equal("amd64", stamp.RootElement.GetProperty("architecture").GetString());
        Assert.Equal(["iproute2", "systemd-sysv"], stamp.RootElement.GetProperty("packages").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(Now, stamp.RootElement.GetProperty("builtAt").GetDateTimeOffset());
    }

    [Fact]
    public void Prune_RemovesExpiredEntries_ButNotTheOneJustBuiltOrFreshOnes()
    {
        var trixie = DebianBuildRequest.From(new DebianImageOptions { Architecture = "amd64", Suite = "trixie" });
        var curl = DebianBuildRequest.From(new DebianImageOptions { Architecture = "amd64", Include = ["curl"] });
        Commit(Bookworm, Now.AddDays(-3));
        Commit(trixie, Now.AddDays(-2));
        Commit(curl, Now.AddHours(-1));

        Cache.PruneExpired(Bookworm, Now);

        Assert.True(Directory.Exists(Cache.EntryDirectory(Bookworm)));
        Assert.False(Directory.Exists(Cache.EntryDirectory(trixie)));
        Assert.True(Directory.Exists(Cache.EntryDirectory(curl)));
    }

    [Fact]
    public async Task BuildAsync_TakesAFreshEntry_WithoutNeedingMmdebstrapOrRoot()
    {
        var committed = Commit(Bookworm, DateTimeOffset.UtcNow.AddHours(-1));
        var options = new DebianImageOptions { Architecture = "amd64", CacheDirectory = _temp.Combine("cache"), Mmdebstrap = _temp.Combine("none") };

        Assert.Equal(committed, await DebianImage.BuildAsync(_temp.Combine("work"), options, CancellationToken.None));
    }

    [Fact]
    public async Task BuildAsync_RebuildsAnExpiredEntry()
    {
        Commit(Bookworm, DateTimeOffset.UtcNow.AddDays(-2));
        var options = new DebianImageOptions { Architecture = "amd64", CacheDirectory = _temp.Combine("cache"), Mmdebstrap = _temp.Combine("none") };

        // It goes on to build, which needs mmdebstrap.
        await Assert.ThrowsAsync<NotSupportedYetException>(() => DebianImage.BuildAsync(_temp.Combine("work"), options, CancellationToken.None));
    }

    private string Commit(DebianBuildRequest request, DateTimeOffset builtAt)
    {
        var built = _temp.Combine($"built-{Guid.NewGuid():N}.tar");
        File.WriteAllText(built, "built");
        Cache.BeginRebuild(request);
        return Cache.Commit(request, built, builtAt, TimeSpan.FromSeconds(20));
    }
}
