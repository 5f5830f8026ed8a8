namespace Vessel.Networking.Tests;

public sealed class InterfaceNamesTests
{
    public static TheoryData<string, string> Names() => new()
    {
        { "web1", "eth0" },
        { "a", "x" },
        { new string('i', 63), new string('d', 64) },
        { "WEB-1", "wan_0.100" },
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void EveryName_FitsLinuxsFifteenCharacters_InLowerHex(string instance, string device)
    {
        foreach (var name in new[] { InterfaceNames.VethHost(instance, device), InterfaceNames.Tap(instance, device) })
        {
            Assert.InRange(name.Length, 1, 15);
            Assert.Matches("^v[spt][0-9a-f]{12}$", name);
        }
    }

    [Fact]
    public void Names_AreStable_AcrossVersions()
    {
        // A leftover of a crash is found again by name, also by a newer vesseld: the derivation must not change.
        Assert.Equal("vs86e1a2dbe508", InterfaceNames.VethHost("web1", "eth0"));
        Assert.Equal("vt86e1a2dbe508", InterfaceNames.Tap("web1", "eth0"));
        Assert.Equal("vsa5257f134785", InterfaceNames.VethHost("web1", "eth1"));
        Assert.Equal("vs9f9ec976af03", InterfaceNames.VethHost("web2", "eth0"));
    }

    [Fact]
    public void Names_AreTheSameEveryTime() =>
        Assert.Equal(InterfaceNames.VethHost("db", "eth0"), InterfaceNames.VethHost("db", "eth0"));

    [Fact]
    public void Names_DifferPerDeviceAndPerInstance()
    {
        string[] names =
        [
            InterfaceNames.VethHost("web1", "eth0"), InterfaceNames.VethHost("web1", "eth1"),
            InterfaceNames.VethHost("web2", "eth0"), InterfaceNames.VethHost("web2", "eth1"),
            InterfaceNames.VethHost("web1", "ETH0"),
        ];

        Assert.Equal(names.Length, names.Distinct().Count());
    }

    [Fact]
    public void TheKinds_DifferForOneNic()
    {
        var host = InterfaceNames.VethHost("web1", "eth0");
        var names = new[] { host, InterfaceNames.Tap("web1", "eth0"), InterfaceNames.Ifb(host) };

        Assert.Equal(3, names.Distinct().Count());
    }

    [Fact]
    public void InstanceName_IsCaseInsensitive()
    {
        Assert.Equal(InterfaceNames.VethHost("web1", "eth0"), InterfaceNames.VethHost("WEB1", "eth0"));
        Assert.Equal(InterfaceNames.Tap("web1", "eth0"), InterfaceNames.Tap("wEb1", "eth0"));
    }
}
