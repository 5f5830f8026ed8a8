using System.Net;
using Vessel.Core.Api;
using Vessel.Core.Drivers;
using Vessel.Core.Model;
using Vessel.Networking;

namespace Vessel.Daemon.Tests;

/// <summary>Networks through the API, with the host's networking in memory (<see cref="FakeNetworkDriver"/>).</summary>
public sealed class NetworksApiTests : IAsyncLifetime
{
    private const string HostAddress = "192.0.2.10";

    private readonly FakeDriver _engine = new();
    private readonly FakeDriver _vmEngine = new(InstanceType.VirtualMachine);
    private TestDaemon _daemon = null!;

    private FakeNetworkDriver Host => _daemon.Network;

    public async Task InitializeAsync()
    {
        _daemon = await TestDaemon.StartAsync(_engine, _vmEngine);
        await _daemon.ImportTarAsync("base");
    }

    public async Task DisposeAsync() => await _daemon.DisposeAsync();

    private static Ipv4Cidr Cidr(string text) => Ipv4Cidr.TryParse(text, out var cidr) ? cidr : throw new FormatException(text);

    private static uint Address(string text) => Ipv4Cidr.TryParseAddress(text, out var address) ? address : throw new FormatException(text);

    private Task<HttpResponseMessage> PostNetworkAsync(string json) => _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/networks", json);

    private static async Task<NetworkView> ExpectAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        return System.Text.Json.JsonSerializer.Deserialize(body, VesselJson.Wire.NetworkView)!;
    }

    private async Task<NetworkView> CreateNetworkAsync(string name, string address = "10.50.0.1/24", string moreConfig = "") =>
        await ExpectAsync(await PostNetworkAsync($$$"""{"name": "{{{name}}}", "config": {"ipv4.address": "{{{address}}}"{{{moreConfig}}}}}"""),
            HttpStatusCode.Created);

    private async Task<NetworkView> GetNetworkAsync(string name) => await ExpectAsync(await _daemon.Http.GetAsync($"/1.0/networks/{name}"), HttpStatusCode.OK);

    private Task<HttpResponseMessage> PatchNetworkAsync(string name, string json) => _daemon.SendJsonAsync(HttpMethod.Patch, $"/1.0/networks/{name}", json);

    private async Task<Instance> LaunchAsync(string name, string extra)
    {
        var operation = await _daemon.WaitAsync(await _daemon.LaunchAsync(name, "base", extra));
        Assert.True(operation.Status == OperationStatus.Success, operation.Error);
        return await _daemon.GetInstanceAsync(name);
    }

    private Task<Instance> LaunchOnAsync(string name, string network) => LaunchAsync(name, $$""", "network": "{{network}}" """);

    private async Task DeleteInstanceAsync(string name) =>
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.Http.DeleteAsync($"/1.0/instances/{name}?force=1"))).Status);

    private Task<HttpResponseMessage> AddForwardAsync(string network, string json) =>
        _daemon.SendJsonAsync(HttpMethod.Post, $"/1.0/networks/{network}/forwards", json);

    private static string Forward(string instance, int listenPort = 8080, int targetPort = 80, string listen = HostAddress, string protocol = "tcp") =>
        $$"""{"listen_address": "{{listen}}", "listen_port": {{listenPort}}, "protocol": "{{protocol}}", "instance": "{{instance}}", "target_port": {{targetPort}}}""";

    private static string Ipv4Of(Instance instance, string device = "eth0") => instance.Config[$"volatile.{device}.ipv4.address"];

    private static string HwaddrOf(Instance instance, string device = "eth0") => instance.Config[$"volatile.{device}.hwaddr"];

    // Create

    [Fact]
    public async Task Create_WithAuto_PicksA24InTenThatNoHostRouteOverlaps()
    {
        // The host routes fifteen sixteenths of 10.0.0.0/8; only 10.240.0.0/12 is free.
        Host.Routes.AddRange([Cidr("10.0.0.0/9"), Cidr("10.128.0.0/10"), Cidr("10.192.0.0/11"), Cidr("10.224.0.0/12")]);

        var view = await ExpectAsync(await PostNetworkAsync("""{"name": "n1", "config": {"ipv4.address": "auto"}}"""), HttpStatusCode.Created);

        var chosen = Cidr(view.Network.Config["ipv4.address"]);
        Assert.Equal(24, chosen.PrefixLength);
        Assert.Equal(chosen.Host(1), chosen.Address);
        Assert.True(Cidr("10.240.0.0/12").Contains(chosen.Address), chosen.ToString());
        Assert.Equal(chosen.ToString(), Host.Applied["n1"].Network.Config["ipv4.address"]);
        Assert.Empty(Host.Applied["n1"].Members);
        Assert.True(Host.FirewallTableExists);
        Assert.True(view.Up);
    }

    [Fact]
    public async Task Create_WithoutAddress_ChoosesOne_ThatNoOtherNetworkHas()
    {
        await CreateNetworkAsync("n1");
        var first = Cidr((await ExpectAsync(await PostNetworkAsync("""{"name": "n2"}"""), HttpStatusCode.Created)).Network.Config["ipv4.address"]);
        var second = Cidr((await ExpectAsync(await PostNetworkAsync("""{"name": "n3"}"""), HttpStatusCode.Created)).Network.Config["ipv4.address"]);

        Assert.False(first.Overlaps(second));
        Assert.False(first.Overlaps(Cidr("10.50.0.1/24")));
        Assert.Equal(["n1", "n2", "n3"], Host.Applied.Keys.Order());
    }

    [Fact]
    public async Task Create_WithAddressNone_HasNoIpv4()
    {
        var view = await CreateNetworkAsync("bare", "none");

        Assert.Equal("none", view.Network.Config["ipv4.address"]);
        Assert.Null(Vessel.Core.Validation.NetworkConfigSchema.Address(Host.Applied["bare"].Network.Config));
    }

    [Fact]
    public async Task Create_OverlappingAnotherNetwork_Answers400NamingIt()
    {
        await CreateNetworkAsync("n1", "10.50.0.1/24");

        var message = await TestDaemon.ErrorAsync(await PostNetworkAsync("""{"name": "n2", "config": {"ipv4.address": "10.50.0.129/25"}}"""),
            HttpStatusCode.BadRequest);

        Assert.Equal("ipv4.address: 10.50.0.128/25 overlaps network \"n1\" (10.50.0.0/24)", message);
        Assert.False(Host.Applied.ContainsKey("n2"));
        await TestDaemon.ErrorAsync(await _daemon.Http.GetAsync("/1.0/networks/n2"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Create_OverlappingAHostRoute_Answers400NamingIt()
    {
        Host.Routes.Add(Cidr("192.168.0.0/16"));

        var message = await TestDaemon.ErrorAsync(await PostNetworkAsync("""{"name": "n1", "config": {"ipv4.address": "192.168.5.1/24"}}"""),
            HttpStatusCode.BadRequest);

        Assert.Equal("ipv4.address: 192.168.5.0/24 overlaps 192.168.0.0/16, which the host already routes", message);
        Assert.Empty(Host.Applied);
    }

    [Fact]
    public async Task Create_BesideAHostRoute_IsFine()
    {
        Host.Routes.Add(Cidr("192.168.0.0/24"));

        var view = await CreateNetworkAsync("n1", "192.168.1.1/24");

        Assert.Equal("192.168.1.1/24", view.Network.Config["ipv4.address"]);
    }

    [Theory]
    [InlineData("""{"name": "n1", "config": {"ipv4.address": "10.0.0.1/33"}}""",
        "ipv4.address: \"10.0.0.1/33\" is not an IPv4 address with a prefix length, such as 10.42.7.1/24")]
    [InlineData("""{"name": "n1", "config": {"ipv4.address": "10.0.300.1/24"}}""", "ipv4.address: \"10.0.300.1/24\" is not an IPv4 address")]
    [InlineData("""{"name": "n1", "config": {"ipv4.address": "10.0.0.0/24"}}""",
        "ipv4.address: 10.0.0.0 is the subnet's network address, not a host address")]
    [InlineData("""{"name": "abcdefghijklmnop"}""",
        "name: \"abcdefghijklmnop\" is 16 characters long; a network name is at most 15 (it names the bridge)")]
    [InlineData("""{"name": "br_0"}""", "name: \"br_0\" may hold only letters, digits and dashes, not '_'")]
    [InlineData("""{"config": {}}""", "name: a name is required")]
    [InlineData("""{"name": "n1", "config": {"bridge.stp": "true"}}""", "bridge.stp: unknown network config key")]
    [InlineData("""{"name": "n1", "config": {"security.isolated": "true", "ipv4.nat": "true"}}""",
        "ipv4.nat: an isolated network (security.isolated=true) has no way out, so no NAT")]
    [InlineData("""{"name": "n1", "config": {"ipv4.routing": "false", "ipv4.nat": "true"}}""", "ipv4.nat: NAT needs routing")]
    [InlineData("""{"name": "n1", "colour": "blue"}""", "invalid JSON body: unknown field \"colour\"")]
    public async Task Create_WithBadInput_Answers400_AndMakesNothing(string body, string expected)
    {
        var message = await TestDaemon.ErrorAsync(await PostNetworkAsync(body), HttpStatusCode.BadRequest);

        Assert.StartsWith(expected, message, StringComparison.Ordinal);
        Assert.Equal("[]", await _daemon.Http.GetStringAsync("/1.0/networks"));
        Assert.Empty(Host.Applied);
    }

    [Fact]
    public async Task Create_WithIpv6Auto_PicksAUniqueLocal64_AndNicsGetTheirSlaacAddress()
    {
        var view = await CreateNetworkAsync("n1", moreConfig: """, "ipv6.address": "auto" """);

        Assert.True(Ipv6Cidr.TryParse(view.Network.Config["ipv6.address"], out var prefix), view.Network.Config["ipv6.address"]);
        Assert.Equal(64, prefix.PrefixLength);
        Assert.Equal(0xfd, (byte)(prefix.Address >> 120));
        var web1 = await LaunchOnAsync("web1", "n1");
        var member = Assert.Single(Host.Applied["n1"].Members);
        Assert.Equal(prefix.Eui64(HwaddrOf(web1)), member.Ipv6);
        Assert.Equal(new Ipv6Cidr(prefix.Eui64(HwaddrOf(web1)), 64), Assert.Single(Host.Plugged).Value.Ipv6);
    }

    [Fact]
    public async Task Create_WithAnIpv6SubnetOfAnotherNetwork_Answers400()
    {
        await CreateNetworkAsync("n1", moreConfig: """, "ipv6.address": "fd42:1:2:3::1/64" """);

        var message = await TestDaemon.ErrorAsync(await PostNetworkAsync(
            """{"name": "n2", "config": {"ipv4.address": "10.60.0.1/24", "ipv6.address": "fd42:1:2:3::9/64"}}"""), HttpStatusCode.BadRequest);

        Assert.Equal("ipv6.address: fd42:1:2:3::/64 overlaps network \"n1\" (fd42:1:2:3::/64)", message);
    }

    [Fact]
    public async Task Create_WithATakenName_Answers409_EvenInOtherCase()
    {
        await CreateNetworkAsync("n1");

        var message = await TestDaemon.ErrorAsync(await PostNetworkAsync("""{"name": "N1", "config": {"ipv4.address": "10.51.0.1/24"}}"""),
            HttpStatusCode.Conflict);

        Assert.Equal("network \"N1\" already exists", message);
        Assert.Equal("10.50.0.1/24", (await GetNetworkAsync("n1")).Network.Config["ipv4.address"]);
    }

    [Fact]
    public async Task Create_NamedLikeAHostInterface_Answers409()
    {
        Host.HostInterfaces.Add("wlan0");

        var message = await TestDaemon.ErrorAsync(await PostNetworkAsync("""{"name": "wlan0"}"""), HttpStatusCode.Conflict);

        Assert.Equal("name: the host already has an interface named \"wlan0\"", message);
        Assert.Empty(Host.Applied);
    }

    // List, show, patch

    [Fact]
    public async Task ListAndShow_GiveTheNetworksWithTheirUsers()
    {
        await CreateNetworkAsync("zeta", "10.51.0.1/24");
        await CreateNetworkAsync("alpha", "10.50.0.1/24", """, "ipv4.nat": "false" """);
        var web1 = await LaunchOnAsync("web1", "alpha");

        var list = await TestDaemon.ReadAsync(await _daemon.Http.GetAsync("/1.0/networks"), VesselJson.Wire.ListNetworkView);
        var alpha = await GetNetworkAsync("alpha");

        Assert.Equal(["alpha", "zeta"], list.Select(v => v.Network.Name));
        Assert.Equal(["web1"], alpha.UsedBy);
        Assert.Equal([new NetworkLease("web1", "eth0", HwaddrOf(web1), "10.50.0.2")], alpha.Leases);
        Assert.Equal("false", alpha.Network.Config["ipv4.nat"]);
        Assert.True(alpha.Up);
        Assert.Empty(list[1].UsedBy);
        await TestDaemon.ErrorAsync(await _daemon.Http.GetAsync("/1.0/networks/ghost"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Show_OfANetworkWhoseBridgeIsGone_SaysItIsDown()
    {
        await CreateNetworkAsync("n1");
        Host.Applied.Clear();

        Assert.False((await GetNetworkAsync("n1")).Up);
    }

    [Fact]
    public async Task Patch_ChangesConfigAndDescription_AndAppliesThem()
    {
        await CreateNetworkAsync("n1");

        var view = await ExpectAsync(await PatchNetworkAsync("n1", """{"config": {"ipv4.nat": "false", "dns.domain": "lab"}, "description": "lab net"}"""),
            HttpStatusCode.OK);

        Assert.Equal("lab net", view.Network.Description);
        Assert.Equal("false", Host.Applied["n1"].Network.Config["ipv4.nat"]);
        Assert.Equal("lab", Host.Applied["n1"].Network.Config["dns.domain"]);
        var shown = (await GetNetworkAsync("n1")).Network;
        Assert.Equal("lab net", shown.Description);
        Assert.Equal("10.50.0.1/24", shown.Config["ipv4.address"]);

        await ExpectAsync(await PatchNetworkAsync("n1", """{"config": {"dns.domain": null}}"""), HttpStatusCode.OK);
        Assert.False((await GetNetworkAsync("n1")).Network.Config.ContainsKey("dns.domain"));
    }

    [Theory]
    [InlineData("""{"config": {"ipv4.nat": "maybe"}}""", "ipv4.nat: \"maybe\" is not true or false")]
    [InlineData("""{"config": {"ipv4.routing": "false", "ipv4.nat": "true"}}""", "ipv4.nat: NAT needs routing; with ipv4.routing=false set ipv4.nat=false too")]
    [InlineData("""{"config": {"bridge.stp": "true"}}""", "bridge.stp: unknown network config key")]
    [InlineData("""{"config": {"ipv4.address": "10.0.0.1/33"}}""", "ipv4.address: \"10.0.0.1/33\" is not an IPv4 address")]
    public async Task Patch_WithBadValue_Answers400_AndKeepsTheNetwork(string body, string expected)
    {
        await CreateNetworkAsync("n1");
        var before = (await GetNetworkAsync("n1")).Network.Config;

        var message = await TestDaemon.ErrorAsync(await PatchNetworkAsync("n1", body), HttpStatusCode.BadRequest);

        Assert.StartsWith(expected, message, StringComparison.Ordinal);
        Assert.Equal(before, (await GetNetworkAsync("n1")).Network.Config);
        Assert.Equal(before, Host.Applied["n1"].Network.Config);
    }

    [Fact]
    public async Task Patch_OfAMissingNetwork_Answers404() =>
        Assert.Equal("network \"ghost\" not found",
            await TestDaemon.ErrorAsync(await PatchNetworkAsync("ghost", """{"description": "x"}"""), HttpStatusCode.NotFound));

    [Fact]
    public async Task Patch_Ipv4Address_WhileNicsAreOnIt_Answers409()
    {
        await CreateNetworkAsync("n1");
        await LaunchOnAsync("web1", "n1");

        var message = await TestDaemon.ErrorAsync(await PatchNetworkAsync("n1", """{"config": {"ipv4.address": "10.60.0.1/24"}}"""), HttpStatusCode.Conflict);

        Assert.Equal("ipv4.address: network \"n1\" has nics on it; their addresses would no longer fit", message);
        Assert.Equal("10.50.0.1/24", (await GetNetworkAsync("n1")).Network.Config["ipv4.address"]);
    }

    [Fact]
    public async Task Patch_Ipv4Address_WithoutNics_MovesTheNetwork()
    {
        await CreateNetworkAsync("n1");

        await ExpectAsync(await PatchNetworkAsync("n1", """{"config": {"ipv4.address": "10.60.0.1/24"}}"""), HttpStatusCode.OK);

        Assert.Equal("10.60.0.1/24", Host.Applied["n1"].Network.Config["ipv4.address"]);
        Assert.Equal("10.60.0.1/24", (await GetNetworkAsync("n1")).Network.Config["ipv4.address"]);
    }

    [Theory]
    [InlineData("10.50.0.254/24")]
    [InlineData("10.50.0.1/16")]
    [InlineData("10.50.0.1/25")]
    public async Task Patch_Ipv4Address_WithinItsOwnSubnet_IsNotAnOverlap(string address)
    {
        // The host routes the network's own subnet through its bridge: that route is the network's, not the host's.
        await CreateNetworkAsync("n1", "10.50.0.1/24");

        await ExpectAsync(await PatchNetworkAsync("n1", $$$"""{"config": {"ipv4.address": "{{{address}}}"}}"""), HttpStatusCode.OK);

        Assert.Equal(address, Host.Applied["n1"].Network.Config["ipv4.address"]);
    }

    [Fact]
    public async Task Patch_Ipv4Address_OntoAnotherNetwork_Answers400()
    {
        await CreateNetworkAsync("n1", "10.50.0.1/24");
        await CreateNetworkAsync("n2", "10.51.0.1/24");

        var message = await TestDaemon.ErrorAsync(await PatchNetworkAsync("n2", """{"config": {"ipv4.address": "10.50.0.1/16"}}"""), HttpStatusCode.BadRequest);

        Assert.Equal("ipv4.address: 10.50.0.0/16 overlaps network \"n1\" (10.50.0.0/24)", message);
        Assert.Equal("10.51.0.1/24", Host.Applied["n2"].Network.Config["ipv4.address"]);
    }

    // Delete

    [Fact]
    public async Task Delete_InUse_Answers409_ThenSucceedsOnceTheInstanceIsGone()
    {
        await CreateNetworkAsync("n1");
        await LaunchOnAsync("web1", "n1");

        var message = await TestDaemon.ErrorAsync(await _daemon.Http.DeleteAsync("/1.0/networks/n1"), HttpStatusCode.Conflict);
        Assert.Equal("network \"n1\" is used by instance(s) web1", message);
        Assert.True(Host.Applied.ContainsKey("n1"));

        await DeleteInstanceAsync("web1");
        var response = await _daemon.Http.DeleteAsync("/1.0/networks/n1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(Host.Applied.ContainsKey("n1"));
        Assert.False(Host.FirewallTableExists);
        await TestDaemon.ErrorAsync(await _daemon.Http.GetAsync("/1.0/networks/n1"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Delete_OfOneOfTwo_KeepsTheFirewallTable()
    {
        await CreateNetworkAsync("n1", "10.50.0.1/24");
        await CreateNetworkAsync("n2", "10.51.0.1/24");

        Assert.Equal(HttpStatusCode.OK, (await _daemon.Http.DeleteAsync("/1.0/networks/n1")).StatusCode);

        Assert.True(Host.FirewallTableExists);
        Assert.Equal(["n2"], Host.Applied.Keys);
        Assert.Equal(HttpStatusCode.OK, (await _daemon.Http.DeleteAsync("/1.0/networks/N2")).StatusCode);
        Assert.False(Host.FirewallTableExists);
    }

    [Fact]
    public async Task Delete_Missing_Answers404() =>
        Assert.Equal("network \"ghost\" not found", await TestDaemon.ErrorAsync(await _daemon.Http.DeleteAsync("/1.0/networks/ghost"), HttpStatusCode.NotFound));

    // Nics

    [Fact]
    public async Task Launch_OnANetwork_GetsAMacAndTheFirstAddress_AndJoinsThePlan()
    {
        await CreateNetworkAsync("n1");

        var web1 = await LaunchOnAsync("web1", "n1");

        Assert.Equal(new Dictionary<string, string> { ["type"] = "nic", ["network"] = "n1" }, web1.Devices["eth0"]);
        Assert.Matches("^02:76:73(:[0-9a-f]{2}){3}$", HwaddrOf(web1));
        Assert.Equal("10.50.0.2", Ipv4Of(web1));
        Assert.Equal([new NetworkMember("web1", "eth0", HwaddrOf(web1), Address("10.50.0.2"))], Host.Applied["n1"].Members);
    }

    [Fact]
    public async Task Launch_ASecondInstance_GetsTheNextAddressAndAnotherMac()
    {
        await CreateNetworkAsync("n1");
        var web1 = await LaunchOnAsync("web1", "n1");

        var web2 = await LaunchOnAsync("web2", "n1");

        Assert.Equal("10.50.0.3", Ipv4Of(web2));
        Assert.NotEqual(HwaddrOf(web1), HwaddrOf(web2));
        Assert.Equal(["web1", "web2"], Host.Applied["n1"].Members.Select(m => m.Instance).Order());
    }

    [Fact]
    public async Task Launch_AfterADelete_ReusesTheLowestFreeAddress()
    {
        await CreateNetworkAsync("n1");
        await LaunchOnAsync("web1", "n1");
        await LaunchOnAsync("web2", "n1");
        await DeleteInstanceAsync("web1");

        Assert.Equal("10.50.0.2", Ipv4Of(await LaunchOnAsync("web3", "n1")));
    }

    [Fact]
    public async Task Launch_WithAFixedAddress_GetsIt_AndOthersGoAroundIt()
    {
        await CreateNetworkAsync("n1");

        var fixedOne = await LaunchAsync("db", """, "devices": {"eth0": {"type": "nic", "network": "n1", "ipv4.address": "10.50.0.2"}}""");
        var other = await LaunchOnAsync("web1", "n1");

        Assert.Equal("10.50.0.2", Ipv4Of(fixedOne));
        Assert.Equal("10.50.0.3", Ipv4Of(other));
    }

    [Fact]
    public async Task Launch_WithATakenFixedAddress_Answers409_AndMakesNothing()
    {
        await CreateNetworkAsync("n1");
        await LaunchOnAsync("web1", "n1");

        var message = await TestDaemon.ErrorAsync(await _daemon.LaunchAsync("web2", "base",
            """, "devices": {"eth0": {"type": "nic", "network": "n1", "ipv4.address": "10.50.0.2"}}"""), HttpStatusCode.Conflict);

        Assert.Equal("devices.eth0.ipv4.address: 10.50.0.2 is already used on network \"n1\"", message);
        await TestDaemon.ErrorAsync(await _daemon.Http.GetAsync("/1.0/instances/web2"), HttpStatusCode.NotFound);
        Assert.Single(Host.Applied["n1"].Members);
    }

    [Theory]
    [InlineData("10.51.0.5", "devices.eth0.ipv4.address: 10.51.0.5 is not a host address of network \"n1\" (10.50.0.0/24)")]
    [InlineData("10.50.0.255", "devices.eth0.ipv4.address: 10.50.0.255 is not a host address of network \"n1\" (10.50.0.0/24)")]
    [InlineData("10.50.0.1", "devices.eth0.ipv4.address: 10.50.0.1 is the address of network \"n1\"'s bridge")]
    public async Task Launch_WithAFixedAddressThatIsNoHostOfTheNetwork_Answers400(string address, string expected)
    {
        await CreateNetworkAsync("n1");

        var message = await TestDaemon.ErrorAsync(await _daemon.LaunchAsync("web1", "base",
            $$$""", "devices": {"eth0": {"type": "nic", "network": "n1", "ipv4.address": "{{{address}}}"}}"""), HttpStatusCode.BadRequest);

        Assert.Equal(expected, message);
        Assert.Equal("[]", await _daemon.Http.GetStringAsync("/1.0/instances"));
    }

    [Fact]
    public async Task Launch_WithATakenHwaddr_Answers409_InAnyCase()
    {
        await CreateNetworkAsync("n1");
        var web1 = await LaunchOnAsync("web1", "n1");
        var taken = HwaddrOf(web1).ToUpperInvariant();

        var message = await TestDaemon.ErrorAsync(await _daemon.LaunchAsync("web2", "base",
            $$$""", "devices": {"eth0": {"type": "nic", "network": "n1", "hwaddr": "{{{taken}}}"}}"""), HttpStatusCode.Conflict);

        Assert.Equal($"devices.eth0.hwaddr: {HwaddrOf(web1)} is already used on network \"n1\"", message);
        await TestDaemon.ErrorAsync(await _daemon.Http.GetAsync("/1.0/instances/web2"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Launch_WithAnOwnHwaddr_KeepsIt()
    {
        await CreateNetworkAsync("n1");

        var web1 = await LaunchAsync("web1", """, "devices": {"eth0": {"type": "nic", "network": "n1", "hwaddr": "02:00:00:AA:BB:CC"}}""");

        Assert.Equal("02:00:00:aa:bb:cc", HwaddrOf(web1));
        Assert.Equal("02:00:00:aa:bb:cc", Assert.Single(Host.Applied["n1"].Members).Hwaddr);
        Assert.Equal("02:00:00:aa:bb:cc", Assert.Single(Host.Plugged.Values).Hwaddr, ignoreCase: true);
    }

    [Fact]
    public async Task Launch_OnAMissingNetwork_Answers404()
    {
        var message = await TestDaemon.ErrorAsync(await _daemon.LaunchAsync("web1", "base", """, "network": "nowhere" """), HttpStatusCode.NotFound);

        Assert.Equal("network \"nowhere\" not found", message);
    }

    [Fact]
    public async Task Launch_OnANetworkWithoutIpv4_Answers400()
    {
        await CreateNetworkAsync("bare", "none");

        var message = await TestDaemon.ErrorAsync(await _daemon.LaunchAsync("web1", "base", """, "network": "bare" """), HttpStatusCode.BadRequest);

        Assert.Equal("devices.eth0.network: network \"bare\" has no IPv4 address to give the nic", message);
    }

    [Fact]
    public async Task Start_PlugsTheNic_AndStopUnplugsIt()
    {
        await CreateNetworkAsync("n1");
        var web1 = await LaunchOnAsync("web1", "n1");
        var host = InterfaceNames.VethHost("web1", "eth0");

        var plugged = Assert.Single(Host.Plugged).Value;
        Assert.Equal(new NicAttachment("eth0", "eth0", "n1", HwaddrOf(web1), 1500, host)
        {
            Ipv4 = new Ipv4Cidr(Address("10.50.0.2"), 24),
            Gateway = Address("10.50.0.1"),
            Nameserver = Address("10.50.0.1"),
            Domain = "vessel",
        }, plugged);

        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.ActAsync("web1", "stop"))).Status);
        Assert.Empty(Host.Plugged);

        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.ActAsync("web1", "start"))).Status);
        Assert.Equal([host], Host.Plugged.Keys);
    }

    [Fact]
    public async Task Plug_CarriesTheNicsSettings()
    {
        await CreateNetworkAsync("n1", "10.50.0.1/24", """, "bridge.mtu": "9000" """);

        await LaunchAsync("web1",
            """, "devices": {"net": {"type": "nic", "network": "n1", "name": "lan0", "limits.ingress": "10Mbit", "limits.egress": "1Mbit"}}""");

        var nic = Assert.Single(Host.Plugged.Values);
        Assert.Equal(("net", "lan0", 9000, "10Mbit", "1Mbit"), (nic.Device, nic.Name, nic.Mtu, nic.IngressLimit, nic.EgressLimit));
        Assert.Equal(InterfaceNames.VethHost("web1", "net"), nic.HostInterface);
    }

    [Fact]
    public async Task AVirtualMachine_GetsATap()
    {
        await CreateNetworkAsync("n1");
        var image = await _daemon.Http.PostAsync("/1.0/images?alias=vmbase&type=virtual-machine", new ByteArrayContent(new byte[4096]));
        Assert.Equal(HttpStatusCode.Created, image.StatusCode);

        var operation = await _daemon.WaitAsync(await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/instances",
            """{"name": "vm1", "type": "virtual-machine", "source": {"alias": "vmbase"}, "network": "n1", "start": true}"""));

        Assert.True(operation.Status == OperationStatus.Success, operation.Error);
        var nic = Assert.Single(Host.Plugged.Values);
        Assert.Equal(InterfaceNames.Tap("vm1", "eth0"), nic.HostInterface);
        Assert.Equal("10.50.0.2", Ipv4Of(await _daemon.GetInstanceAsync("vm1")));
    }

    [Fact]
    public async Task Start_OnANetworkWhoseBridgeIsGone_Fails_AndPlugsNothing()
    {
        await CreateNetworkAsync("n1");
        await LaunchOnAsync("web1", "n1");
        await _daemon.WaitAsync(await _daemon.ActAsync("web1", "stop"));
        Host.Applied.Clear();

        var operation = await _daemon.WaitAsync(await _daemon.ActAsync("web1", "start"));

        Assert.Equal(OperationStatus.Failure, operation.Status);
        Assert.Equal("network \"n1\" is not up on this host (its bridge is missing)", operation.Error);
        Assert.Empty(Host.Plugged);
        Assert.Equal(InstanceStatus.Stopped, (await _daemon.GetInstanceAsync("web1")).Status);
    }

    [Fact]
    public async Task FailedStart_LeavesNoNicBehind()
    {
        await CreateNetworkAsync("n1");
        _engine.FailOn = "start";

        var operation = await _daemon.WaitAsync(await _daemon.LaunchAsync("web1", "base", """, "network": "n1" """));

        Assert.Equal(OperationStatus.Failure, operation.Status);
        Assert.Empty(Host.Plugged);
    }

    [Fact]
    public async Task InstanceThatStopsByItself_IsUnplugged()
    {
        await CreateNetworkAsync("n1");
        await LaunchOnAsync("web1", "n1");

        _engine.StopByItself("web1");

        for (var i = 0; i < 200 && !Host.Plugged.IsEmpty; i++)
            await Task.Delay(10);
        Assert.Empty(Host.Plugged);
    }

    [Fact]
    public async Task DeletingAnInstance_DropsItFromThePlan_AndUnplugsIt()
    {
        await CreateNetworkAsync("n1");
        await LaunchOnAsync("web1", "n1");
        var web2 = await LaunchOnAsync("web2", "n1");

        await DeleteInstanceAsync("web1");

        Assert.Equal([new NetworkMember("web2", "eth0", HwaddrOf(web2), Address("10.50.0.3"))], Host.Applied["n1"].Members);
        Assert.Equal([InterfaceNames.VethHost("web2", "eth0")], Host.Plugged.Keys);
    }

    [Fact]
    public async Task TwoNicsOnOneNetwork_GetTwoAddresses()
    {
        await CreateNetworkAsync("n1");

        var web1 = await LaunchAsync("web1", """, "devices": {"eth0": {"type": "nic", "network": "n1"}, "eth1": {"type": "nic", "network": "n1"}}""");

        Assert.Equal(("10.50.0.2", "10.50.0.3"), (Ipv4Of(web1), Ipv4Of(web1, "eth1")));
        Assert.NotEqual(HwaddrOf(web1), HwaddrOf(web1, "eth1"));
        Assert.Equal(["eth0", "eth1"], Host.Applied["n1"].Members.Select(m => m.Device));
        Assert.Equal(2, Host.Plugged.Count);
        Assert.Equal(["web1"], (await GetNetworkAsync("n1")).UsedBy);
    }

    [Fact]
    public async Task AnEphemeralInstance_LeavesThePlanWhenItStops()
    {
        await CreateNetworkAsync("n1");
        await LaunchAsync("temp1", """, "network": "n1", "ephemeral": true""");

        await _daemon.WaitAsync(await _daemon.ActAsync("temp1", "stop"));

        Assert.Empty(Host.Applied["n1"].Members);
        Assert.Empty(Host.Plugged);
    }

    [Fact]
    public async Task DaemonRestart_UnplugsAnInstanceThatStoppedMeanwhile()
    {
        await CreateNetworkAsync("n1");
        await LaunchOnAsync("web1", "n1");
        await LaunchOnAsync("web2", "n1");
        _engine.Actual["web2"] = InstanceStatus.Stopped; // it died while no daemon ran

        await _daemon.RestartAsync(_engine, _vmEngine);

        Assert.Equal([InterfaceNames.VethHost("web1", "eth0")], Host.Plugged.Keys);
        Assert.Equal(2, Host.Applied["n1"].Members.Count);
    }

    [Fact]
    public async Task NetworkNone_GivesNoNic_EvenWithVsbr0()
    {
        await CreateNetworkAsync("vsbr0");

        var web1 = await LaunchAsync("web1", """, "network": "none" """);

        Assert.Empty(web1.Devices);
        Assert.DoesNotContain(web1.Config.Keys, k => k.StartsWith("volatile.eth0.", StringComparison.Ordinal));
        Assert.Empty(Host.Applied["vsbr0"].Members);
        Assert.Empty(Host.Plugged);
    }

    [Fact]
    public async Task NoNetworkField_JoinsVsbr0_WhenItExists()
    {
        var before = await LaunchAsync("early", "");
        await CreateNetworkAsync("vsbr0");

        var web1 = await LaunchAsync("web1", "");

        Assert.Empty(before.Devices);
        Assert.Equal("vsbr0", web1.Devices["eth0"]["network"]);
        Assert.Equal("10.50.0.2", Ipv4Of(web1));
        Assert.Equal(["web1"], Host.Applied["vsbr0"].Members.Select(m => m.Instance));
    }

    [Fact]
    public async Task ANicDevice_WinsOverTheDefaultNetwork()
    {
        await CreateNetworkAsync("vsbr0", "10.50.0.1/24");
        await CreateNetworkAsync("lan", "10.51.0.1/24");

        var web1 = await LaunchAsync("web1", """, "devices": {"lan": {"type": "nic", "network": "lan"}}""");

        Assert.Equal(["lan"], web1.Devices.Keys);
        Assert.Empty(Host.Applied["vsbr0"].Members);
        Assert.Equal("10.51.0.2", Ipv4Of(web1, "lan"));
    }

    [Fact]
    public async Task PatchDevices_AddsAndRemovesANic_WithItsAddress()
    {
        await CreateNetworkAsync("n1", "10.50.0.1/24");
        await CreateNetworkAsync("n2", "10.51.0.1/24");
        await LaunchOnAsync("web1", "n1");
        await _daemon.WaitAsync(await _daemon.ActAsync("web1", "stop"));

        var response = await _daemon.SendJsonAsync(HttpMethod.Patch, "/1.0/instances/web1", """{"devices": {"eth1": {"type": "nic", "network": "n2"}}}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var added = await _daemon.GetInstanceAsync("web1");
        Assert.Equal("10.51.0.2", Ipv4Of(added, "eth1"));
        Assert.Equal(["web1"], Host.Applied["n2"].Members.Select(m => m.Instance));
        Assert.Equal("10.50.0.2", Ipv4Of(added)); // eth0 keeps its address

        response = await _daemon.SendJsonAsync(HttpMethod.Patch, "/1.0/instances/web1", """{"devices": {"eth1": null}}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var removed = await _daemon.GetInstanceAsync("web1");
        Assert.DoesNotContain(removed.Config.Keys, k => k.StartsWith("volatile.eth1.", StringComparison.Ordinal));
        Assert.Empty(Host.Applied["n2"].Members);
        Assert.Equal(HttpStatusCode.OK, (await _daemon.Http.DeleteAsync("/1.0/networks/n2")).StatusCode);
    }

    [Fact]
    public async Task PatchDevices_OfARunningInstance_HotplugsNicsButRefusesOtherChanges()
    {
        await CreateNetworkAsync("n1", "10.50.0.1/24");
        await CreateNetworkAsync("n2", "10.51.0.1/24");
        await LaunchOnAsync("web1", "n1");

        var response = await _daemon.SendJsonAsync(HttpMethod.Patch, "/1.0/instances/web1", """{"devices": {"eth1": {"type": "nic", "network": "n2"}}}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["web1/eth1"], _engine.AttachedNics);
        Assert.Contains(InterfaceNames.VethHost("web1", "eth1"), Host.Plugged.Keys);

        var changed = await _daemon.SendJsonAsync(HttpMethod.Patch, "/1.0/instances/web1", """{"devices": {"eth1": {"type": "nic", "network": "n1"}}}""");
        Assert.Equal((HttpStatusCode)501, changed.StatusCode);
        Assert.Contains("only nics and custom volumes can be added or removed", await TestDaemon.ErrorAsync(changed, (HttpStatusCode)501), StringComparison.Ordinal);

        response = await _daemon.SendJsonAsync(HttpMethod.Patch, "/1.0/instances/web1", """{"devices": {"eth1": null}}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(_engine.AttachedNics);
        Assert.DoesNotContain(InterfaceNames.VethHost("web1", "eth1"), Host.Plugged.Keys);
        Assert.Contains(InterfaceNames.VethHost("web1", "eth0"), Host.Plugged.Keys);
    }

    // Forwards

    private async Task<Instance> NetworkWithInstanceAsync(string network = "n1", string moreConfig = "")
    {
        await CreateNetworkAsync(network, "10.50.0.1/24", moreConfig);
        return await LaunchOnAsync("web1", network);
    }

    [Fact]
    public async Task AddForward_InstallsDnatToTheInstancesAddress()
    {
        await NetworkWithInstanceAsync();

        var view = await ExpectAsync(await AddForwardAsync("n1", Forward("web1")), HttpStatusCode.Created);

        var forward = Assert.Single(view.Network.Forwards);
        Assert.Equal((HostAddress, 8080, "tcp", "web1", 80), (forward.ListenAddress, forward.ListenPort, forward.Protocol, forward.Instance, forward.TargetPort));
        Assert.Equal([new ForwardRule(Address(HostAddress), 8080, "tcp", Address("10.50.0.2"), 80)], Host.Applied["n1"].Forwards);
        Assert.Single((await GetNetworkAsync("n1")).Network.Forwards);
    }

    [Fact]
    public async Task AddForward_WithoutProtocol_IsTcp()
    {
        await NetworkWithInstanceAsync();

        var view = await ExpectAsync(await AddForwardAsync("n1",
            $$"""{"listen_address": "{{HostAddress}}", "listen_port": 2222, "instance": "web1", "target_port": 22}"""), HttpStatusCode.Created);

        Assert.Equal("tcp", Assert.Single(view.Network.Forwards).Protocol);
    }

    [Fact]
    public async Task AddForward_OnAnAddressTheHostDoesNotHave_Answers400()
    {
        await NetworkWithInstanceAsync();

        var message = await TestDaemon.ErrorAsync(await AddForwardAsync("n1", Forward("web1", listen: "198.51.100.1")), HttpStatusCode.BadRequest);

        Assert.Equal("listen_address: 198.51.100.1 is not an address of this host", message);
        Assert.Empty(Host.Applied["n1"].Forwards);
    }

    [Fact]
    public async Task AddForward_OnAnAddressTheHostGained_IsAccepted()
    {
        await NetworkWithInstanceAsync();
        Host.HostAddresses.Add(Address("198.51.100.1"));

        await ExpectAsync(await AddForwardAsync("n1", Forward("web1", listen: "198.51.100.1")), HttpStatusCode.Created);

        Assert.Equal(Address("198.51.100.1"), Assert.Single(Host.Applied["n1"].Forwards).ListenAddress);
    }

    [Fact]
    public async Task AddForward_OnLoopback_Answers400_ThoughTheHostHasIt()
    {
        await NetworkWithInstanceAsync();

        var message = await TestDaemon.ErrorAsync(await AddForwardAsync("n1", Forward("web1", listen: "127.0.0.1")), HttpStatusCode.BadRequest);

        Assert.Equal("listen_address: a loopback address cannot be forwarded; use an address of one of the host's interfaces", message);
    }

    [Theory]
    [InlineData("""{"listen_address": "192.0.2.10", "listen_port": 0, "instance": "web1", "target_port": 80}""", "listen_port: 0 is not a port (1 to 65535)")]
    [InlineData("""{"listen_address": "192.0.2.10", "listen_port": 80, "instance": "web1", "target_port": 65536}""",
        "target_port: 65536 is not a port (1 to 65535)")]
    [InlineData("""{"listen_address": "192.0.2.10", "listen_port": 80, "protocol": "sctp", "instance": "web1", "target_port": 80}""",
        "protocol: \"sctp\" is not tcp or udp")]
    [InlineData("""{"listen_address": "192.0.2", "listen_port": 80, "instance": "web1", "target_port": 80}""",
        "listen_address: \"192.0.2\" is not an IPv4 address such as 10.42.7.20")]
    [InlineData("""{"listen_address": "192.0.2.10", "listen_port": 80, "instance": "web9", "target_port": 80}""",
        "instance: \"web9\" has no nic on network \"n1\"")]
    [InlineData("""{"listen_address": "192.0.2.10", "listen_port": 80, "target_port": 80}""", "instance: a name is required")]
    public async Task AddForward_WithBadInput_Answers400(string body, string expected)
    {
        await NetworkWithInstanceAsync();

        Assert.Equal(expected, await TestDaemon.ErrorAsync(await AddForwardAsync("n1", body), HttpStatusCode.BadRequest));
        Assert.Empty((await GetNetworkAsync("n1")).Network.Forwards);
    }

    [Fact]
    public async Task AddForward_OfAPortAlreadyForwarded_Answers409_AcrossNetworks()
    {
        await NetworkWithInstanceAsync();
        await CreateNetworkAsync("n2", "10.51.0.1/24");
        await LaunchOnAsync("web2", "n2");
        await ExpectAsync(await AddForwardAsync("n1", Forward("web1")), HttpStatusCode.Created);

        var same = await TestDaemon.ErrorAsync(await AddForwardAsync("n1", Forward("web1", targetPort: 81)), HttpStatusCode.Conflict);
        var elsewhere = await TestDaemon.ErrorAsync(await AddForwardAsync("n2", Forward("web2")), HttpStatusCode.Conflict);

        Assert.Equal($"tcp {HostAddress}:8080 is already forwarded (network \"n1\")", same);
        Assert.Equal($"tcp {HostAddress}:8080 is already forwarded (network \"n1\")", elsewhere);
        Assert.Empty(Host.Applied["n2"].Forwards);
        // The same port in the other protocol is another forward.
        await ExpectAsync(await AddForwardAsync("n2", Forward("web2", protocol: "udp")), HttpStatusCode.Created);
    }

    [Fact]
    public async Task AddForward_OnAnIsolatedNetwork_Answers400()
    {
        await NetworkWithInstanceAsync("iso", """, "security.isolated": "true" """);

        var message = await TestDaemon.ErrorAsync(await AddForwardAsync("iso", Forward("web1")), HttpStatusCode.BadRequest);

        Assert.Equal("network \"iso\" is not routed (isolated or ipv4.routing=false): port forwards cannot reach it", message);
        Assert.Empty(Host.Applied["iso"].Forwards);
        Assert.Empty((await GetNetworkAsync("iso")).Network.Forwards);
    }

    [Fact]
    public async Task Patch_ToIsolated_WithForwards_Answers400()
    {
        await NetworkWithInstanceAsync();
        await ExpectAsync(await AddForwardAsync("n1", Forward("web1")), HttpStatusCode.Created);

        var message = await TestDaemon.ErrorAsync(await PatchNetworkAsync("n1", """{"config": {"security.isolated": "true"}}"""), HttpStatusCode.BadRequest);

        Assert.StartsWith("network \"n1\" is not routed", message, StringComparison.Ordinal);
        Assert.False(Host.Applied["n1"].Network.Config.ContainsKey("security.isolated"));
    }

    [Fact]
    public async Task RemoveForward_TakesItOut()
    {
        await NetworkWithInstanceAsync();
        await ExpectAsync(await AddForwardAsync("n1", Forward("web1")), HttpStatusCode.Created);
        await ExpectAsync(await AddForwardAsync("n1", Forward("web1", protocol: "udp")), HttpStatusCode.Created);

        var view = await ExpectAsync(await _daemon.Http.DeleteAsync($"/1.0/networks/n1/forwards/{HostAddress}:8080?protocol=udp"), HttpStatusCode.OK);

        Assert.Equal(["tcp"], view.Network.Forwards.Select(f => f.Protocol));
        Assert.Equal(["tcp"], Host.Applied["n1"].Forwards.Select(f => f.Protocol));
        await ExpectAsync(await _daemon.Http.DeleteAsync($"/1.0/networks/n1/forwards/{HostAddress}:8080"), HttpStatusCode.OK);
        Assert.Empty(Host.Applied["n1"].Forwards);
    }

    [Fact]
    public async Task RemoveForward_ThatIsNotThere_Answers404()
    {
        await NetworkWithInstanceAsync();
        await ExpectAsync(await AddForwardAsync("n1", Forward("web1")), HttpStatusCode.Created);

        var message = await TestDaemon.ErrorAsync(await _daemon.Http.DeleteAsync($"/1.0/networks/n1/forwards/{HostAddress}:9999"), HttpStatusCode.NotFound);
        var otherProtocol = await TestDaemon.ErrorAsync(await _daemon.Http.DeleteAsync($"/1.0/networks/n1/forwards/{HostAddress}:8080?protocol=udp"),
            HttpStatusCode.NotFound);

        Assert.Equal($"network \"n1\" has no tcp forward of {HostAddress}:9999", message);
        Assert.Equal($"network \"n1\" has no udp forward of {HostAddress}:8080", otherProtocol);
        Assert.Single(Host.Applied["n1"].Forwards);
        Assert.Equal("\"8080\" is not ADDRESS:PORT", await TestDaemon.ErrorAsync(await _daemon.Http.DeleteAsync("/1.0/networks/n1/forwards/8080"),
            HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task AForwardToADeletedInstance_InstallsNothing_ButIsKept()
    {
        await NetworkWithInstanceAsync();
        await ExpectAsync(await AddForwardAsync("n1", Forward("web1")), HttpStatusCode.Created);

        await DeleteInstanceAsync("web1");

        Assert.Empty(Host.Applied["n1"].Forwards);
        Assert.Single((await GetNetworkAsync("n1")).Network.Forwards);
    }

    // Restart

    [Fact]
    public async Task DaemonRestart_AppliesEveryNetworkAgain()
    {
        var web1 = await NetworkWithInstanceAsync();
        await CreateNetworkAsync("iso", "10.60.0.1/24", """, "security.isolated": "true" """);
        await ExpectAsync(await AddForwardAsync("n1", Forward("web1")), HttpStatusCode.Created);
        var before = Host.Applied["n1"];
        Host.Applied.Clear(); // the host rebooted: bridges and rules are gone

        await _daemon.RestartAsync(_engine, _vmEngine);

        Assert.Equal(["iso", "n1"], Host.Applied.Keys.Order());
        var after = Host.Applied["n1"];
        Assert.Equal(before.Network.Config, after.Network.Config);
        Assert.Equal(before.Network.Forwards, after.Network.Forwards);
        Assert.Equal([new NetworkMember("web1", "eth0", HwaddrOf(web1), Address("10.50.0.2"))], after.Members);
        Assert.Equal([new ForwardRule(Address(HostAddress), 8080, "tcp", Address("10.50.0.2"), 80)], after.Forwards);
        Assert.Equal("true", Host.Applied["iso"].Network.Config["security.isolated"]);
    }
}
