using Vessel.Core;
using Vessel.Core.Model;

namespace Vessel.State.Tests;

public sealed class NetworkTests : IDisposable
{
    private readonly TempStore _db = new();

    public void Dispose() => _db.Dispose();

    private SqliteStateStore Store => _db.Store;

    private static Network Net(string name, string address = "10.1.2.1/24") => new()
    {
        Name = name,
        Config = new Dictionary<string, string> { ["ipv4.address"] = address },
        CreatedAt = TempStore.Epoch,
    };

    private static Instance WithNic(string name, string network) => TempStore.Instance(name) with
    {
        Devices = new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["eth0"] = new Dictionary<string, string> { ["type"] = "nic", ["network"] = network },
        },
    };

    [Fact]
    public async Task Create_ThenGet_RoundTripsEveryField_AcrossAReopen()
    {
        var before = new Network
        {
            Name = "lab",
            Description = "the \"lab\" ✓",
            Config = new Dictionary<string, string> { ["ipv4.address"] = "10.1.2.1/24", ["ipv4.nat"] = "false" },
            Forwards =
            [
                new NetworkForward { ListenAddress = "192.0.2.10", ListenPort = 8080, Protocol = "tcp", Instance = "web1", TargetPort = 80, Description = "web" },
                new NetworkForward { ListenAddress = "192.0.2.10", ListenPort = 53, Protocol = "udp", Instance = "dns", TargetPort = 5353 },
            ],
            CreatedAt = new DateTimeOffset(2025, 6, 7, 8, 9, 10, TimeSpan.FromHours(2)),
        };

        await Store.CreateNetworkAsync(before);
        var after = await _db.Reopen().GetNetworkAsync("LAB");

        Assert.NotNull(after);
        Assert.Equal(before with { Config = after.Config, Forwards = after.Forwards }, after);
        Assert.Equal(before.Config, after.Config);
        Assert.Equal(before.Forwards, after.Forwards);
    }

    [Fact]
    public async Task List_IsOrderedByName_AndGetOfUnknownIsNull()
    {
        await Store.CreateNetworkAsync(Net("zeta"));
        await Store.CreateNetworkAsync(Net("alpha"));

        Assert.Equal(["alpha", "zeta"], (await Store.ListNetworksAsync()).Select(n => n.Name));
        Assert.Null(await Store.GetNetworkAsync("beta"));
    }

    [Fact]
    public async Task Create_WithATakenName_Conflicts_InAnyCase()
    {
        await Store.CreateNetworkAsync(Net("lab"));

        var e = await Assert.ThrowsAsync<ConflictException>(() => Store.CreateNetworkAsync(Net("LAB", "10.9.9.1/24")));

        Assert.Equal("network \"LAB\" already exists", e.Message);
        Assert.Equal("10.1.2.1/24", (await Store.GetNetworkAsync("lab"))!.Config["ipv4.address"]);
    }

    [Fact]
    public async Task Update_ReplacesDescriptionConfigAndForwards_ButNotTheName()
    {
        await Store.CreateNetworkAsync(Net("lab"));
        var forward = new NetworkForward { ListenAddress = "192.0.2.10", ListenPort = 22, Protocol = "tcp", Instance = "web1", TargetPort = 22 };

        await Store.UpdateNetworkAsync(Net("lab", "10.7.7.1/24") with { Description = "moved", Forwards = [forward] });

        var after = (await Store.GetNetworkAsync("lab"))!;
        Assert.Equal("moved", after.Description);
        Assert.Equal("10.7.7.1/24", after.Config["ipv4.address"]);
        Assert.Equal([forward], after.Forwards);
        Assert.Equal(TempStore.Epoch, after.CreatedAt);
    }

    [Fact]
    public async Task Update_OfAMissingNetwork_IsNotFound() =>
        Assert.Equal("network \"ghost\" not found", (await Assert.ThrowsAsync<NotFoundException>(() => Store.UpdateNetworkAsync(Net("ghost")))).Message);

    [Fact]
    public async Task Delete_RemovesIt_AndAMissingOneIsNotFound()
    {
        await Store.CreateNetworkAsync(Net("lab"));

        await Store.DeleteNetworkAsync("LAB");

        Assert.Empty(await Store.ListNetworksAsync());
        Assert.Equal("network \"lab\" not found", (await Assert.ThrowsAsync<NotFoundException>(() => Store.DeleteNetworkAsync("lab"))).Message);
    }

    [Fact]
    public async Task Delete_WhileInstancesHaveNicsOnIt_Conflicts_NamingThem()
    {
        await _db.AddPoolAsync();
        await Store.CreateNetworkAsync(Net("lab"));
        await Store.CreateNetworkAsync(Net("other", "10.9.9.1/24"));
        await Store.CreateInstanceAsync(WithNic("web2", "LAB"));
        await Store.CreateInstanceAsync(WithNic("web1", "lab"));
        await Store.CreateInstanceAsync(WithNic("db", "other"));

        var e = await Assert.ThrowsAsync<ConflictException>(() => Store.DeleteNetworkAsync("lab"));

        Assert.Equal("network \"lab\" is used by instance(s) web1, web2", e.Message);
        Assert.NotNull(await Store.GetNetworkAsync("lab"));
        await Store.DeleteInstanceAsync("web1");
        await Store.DeleteInstanceAsync("web2");
        await Store.DeleteNetworkAsync("lab");
        Assert.Equal(["other"], (await Store.ListNetworksAsync()).Select(n => n.Name));
    }

    [Fact]
    public async Task Instance_WithANicOnAMissingNetwork_IsNotFound_OnCreateAndUpdate()
    {
        await _db.AddPoolAsync();

        var create = await Assert.ThrowsAsync<NotFoundException>(() => Store.CreateInstanceAsync(WithNic("web1", "nowhere")));
        Assert.Equal("devices.eth0.network: network \"nowhere\" not found", create.Message);
        Assert.Empty(await Store.ListInstancesAsync());

        await Store.CreateInstanceAsync(TempStore.Instance("web1"));
        var update = await Assert.ThrowsAsync<NotFoundException>(() => Store.UpdateInstanceConfigAsync("web1", new Dictionary<string, string>(),
            WithNic("web1", "nowhere").Devices));
        Assert.Equal("devices.eth0.network: network \"nowhere\" not found", update.Message);
        Assert.Empty((await Store.GetInstanceAsync("web1"))!.Devices);
    }
}
