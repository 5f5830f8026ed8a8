using Vessel.Core;
using Vessel.Core.Model;

namespace Vessel.State.Tests;

public sealed class ImageTests : IDisposable
{
    private readonly TempStore _db = new();
    private readonly string _a = TempStore.Fingerprint('a');
    private readonly string _b = TempStore.Fingerprint('b');

    public void Dispose() => _db.Dispose();

    private SqliteStateStore Store => _db.Store;

    [Fact]
    public async Task Create_ThenGet_RoundTrips()
    {
        var before = TempStore.Image(_a, InstanceType.VirtualMachine) with { Description = "Debian 12", Size = 5L << 30 };

        await Store.CreateImageAsync(before);

        var after = await Store.GetImageAsync(_a);
        Assert.NotNull(after);
        Assert.Equal(before with { Aliases = after.Aliases }, after);
        Assert.Empty(after.Aliases);
    }

    [Fact]
    public async Task Get_Unknown_IsNull() => Assert.Null(await Store.GetImageAsync(_a));

    [Fact]
    public async Task Create_SameFingerprintTwice_IsConflict()
    {
        await Store.CreateImageAsync(TempStore.Image(_a));

        var e = await Assert.ThrowsAsync<ConflictException>(() => Store.CreateImageAsync(TempStore.Image(_a)));

        Assert.Equal($"image {_a[..12]} already exists", e.Message);
    }

    [Fact]
    public async Task List_CarriesEachImagesAliases()
    {
        await Store.CreateImageAsync(TempStore.Image(_a));
        await Store.CreateImageAsync(TempStore.Image(_b) with { CreatedAt = TempStore.Epoch.AddDays(1) });
        await Store.SetAliasAsync(new ImageAlias("debian/12", InstanceType.Container, _a, ""));
        await Store.SetAliasAsync(new ImageAlias("debian", InstanceType.Container, _a, ""));
        await Store.SetAliasAsync(new ImageAlias("alpine", InstanceType.Container, _b, ""));

        var images = await Store.ListImagesAsync();

        Assert.Equal([_a, _b], images.Select(i => i.Fingerprint));
        Assert.Equal(["debian", "debian/12"], images[0].Aliases);
        Assert.Equal(["alpine"], images[1].Aliases);
        Assert.Equal(["debian", "debian/12"], (await Store.GetImageAsync(_a))!.Aliases);
    }

    [Fact]
    public async Task Alias_SameNameForEachType_PointsAtDifferentImages()
    {
        await Store.CreateImageAsync(TempStore.Image(_a, InstanceType.Container));
        await Store.CreateImageAsync(TempStore.Image(_b, InstanceType.VirtualMachine));

        await Store.SetAliasAsync(new ImageAlias("debian", InstanceType.Container, _a, "rootfs"));
        await Store.SetAliasAsync(new ImageAlias("debian", InstanceType.VirtualMachine, _b, "disk"));

        Assert.Equal(
            [
                new ImageAlias("debian", InstanceType.Container, _a, "rootfs"),
                new ImageAlias("debian", InstanceType.VirtualMachine, _b, "disk"),
            ],
            await Store.ListAliasesAsync());
    }

    [Fact]
    public async Task SetAlias_Again_ReplacesTheTarget()
    {
        await Store.CreateImageAsync(TempStore.Image(_a));
        await Store.CreateImageAsync(TempStore.Image(_b));
        await Store.SetAliasAsync(new ImageAlias("debian", InstanceType.Container, _a, "old"));

        await Store.SetAliasAsync(new ImageAlias("debian", InstanceType.Container, _b, "new"));

        Assert.Equal(new ImageAlias("debian", InstanceType.Container, _b, "new"), Assert.Single(await Store.ListAliasesAsync()));
        Assert.Empty((await Store.GetImageAsync(_a))!.Aliases);
        Assert.Equal(["debian"], (await Store.GetImageAsync(_b))!.Aliases);
    }

    [Fact]
    public async Task SetAlias_NotToReplace_RefusesOneThatNamesAnImage_InTheSameWrite()
    {
        await Store.CreateImageAsync(TempStore.Image(_a));
        await Store.CreateImageAsync(TempStore.Image(_b));
        await Store.SetAliasAsync(new ImageAlias("debian", InstanceType.Container, _a, ""), replace: false);

        var e = await Assert.ThrowsAsync<ConflictException>(() => Store.SetAliasAsync(new ImageAlias("debian", InstanceType.Container, _b, ""), replace: false));

        Assert.Equal("image alias \"debian\" already exists; delete it first or choose another", e.Message);
        Assert.Equal(["debian"], (await Store.GetImageAsync(_a))!.Aliases);
        await Store.SetAliasAsync(new ImageAlias("debian", InstanceType.VirtualMachine, _b, ""), replace: false); // another type's alias of that name
    }

    [Fact]
    public async Task SetAlias_ToAMissingImage_IsNotFound()
    {
        var e = await Assert.ThrowsAsync<NotFoundException>(() => Store.SetAliasAsync(new ImageAlias("debian", InstanceType.Container, _a, "")));

        Assert.Contains(_a[..12], e.Message, StringComparison.Ordinal);
        Assert.Empty(await Store.ListAliasesAsync());
    }

    [Fact]
    public async Task DeleteAlias_RemovesOnlyThatType()
    {
        await Store.CreateImageAsync(TempStore.Image(_a, InstanceType.Container));
        await Store.CreateImageAsync(TempStore.Image(_b, InstanceType.VirtualMachine));
        await Store.SetAliasAsync(new ImageAlias("debian", InstanceType.Container, _a, ""));
        await Store.SetAliasAsync(new ImageAlias("debian", InstanceType.VirtualMachine, _b, ""));

        await Store.DeleteAliasAsync("debian", InstanceType.VirtualMachine);

        Assert.Equal(InstanceType.Container, Assert.Single(await Store.ListAliasesAsync()).Type);
        Assert.NotNull(await Store.GetImageAsync(_b));
    }

    [Fact]
    public async Task DeleteAlias_Unknown_IsNotFound()
    {
        var e = await Assert.ThrowsAsync<NotFoundException>(() => Store.DeleteAliasAsync("debian", InstanceType.VirtualMachine));

        Assert.Equal("image alias \"debian\" (virtual-machine) not found", e.Message);
    }

    [Fact]
    public async Task DeleteImage_DropsItsAliases()
    {
        await Store.CreateImageAsync(TempStore.Image(_a));
        await Store.CreateImageAsync(TempStore.Image(_b));
        await Store.SetAliasAsync(new ImageAlias("one", InstanceType.Container, _a, ""));
        await Store.SetAliasAsync(new ImageAlias("two", InstanceType.Container, _a, ""));
        await Store.SetAliasAsync(new ImageAlias("other", InstanceType.Container, _b, ""));

        await Store.DeleteImageAsync(_a);

        Assert.Null(await Store.GetImageAsync(_a));
        Assert.Equal("other", Assert.Single(await Store.ListAliasesAsync()).Name);
    }

    [Fact]
    public async Task DeleteImage_UsedByAnInstance_IsConflictNamingIt()
    {
        await _db.AddPoolAsync();
        await Store.CreateImageAsync(TempStore.Image(_a));
        await Store.SetAliasAsync(new ImageAlias("debian", InstanceType.Container, _a, ""));
        await Store.CreateInstanceAsync(TempStore.Instance("web2", image: _a));
        await Store.CreateInstanceAsync(TempStore.Instance("web1", image: _a));

        var e = await Assert.ThrowsAsync<ConflictException>(() => Store.DeleteImageAsync(_a));

        Assert.Equal($"image {_a[..12]} is used by instance(s) web1, web2", e.Message);
        Assert.NotNull(await Store.GetImageAsync(_a));
        Assert.Single(await Store.ListAliasesAsync());
    }

    [Fact]
    public async Task DeleteImage_AfterItsInstanceIsGone_Works()
    {
        await _db.AddPoolAsync();
        await Store.CreateImageAsync(TempStore.Image(_a));
        await Store.CreateInstanceAsync(TempStore.Instance("web1", image: _a));
        await Store.DeleteInstanceAsync("web1");

        await Store.DeleteImageAsync(_a);

        Assert.Empty(await Store.ListImagesAsync());
    }

    [Fact]
    public async Task DeleteImage_Unknown_IsNotFound()
    {
        var e = await Assert.ThrowsAsync<NotFoundException>(() => Store.DeleteImageAsync(_a));

        Assert.Equal($"image {_a[..12]} not found", e.Message);
    }
}
