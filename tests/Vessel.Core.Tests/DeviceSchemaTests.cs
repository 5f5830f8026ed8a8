using Vessel.Core.Validation;

namespace Vessel.Core.Tests;

public sealed class DeviceSchemaTests
{
    private static Dictionary<string, IReadOnlyDictionary<string, string>> Devices(string name, params (string Key, string Value)[] entries) =>
        new() { [name] = entries.ToDictionary(e => e.Key, e => e.Value) };

    private static string Refused(string name, params (string, string)[] entries) =>
        Assert.Throws<BadRequestException>(() => DeviceSchema.Validate(Devices(name, entries))).Message;

    [Fact]
    public void RootDisk_WithPool_IsAccepted() =>
        DeviceSchema.Validate(Devices("root", ("type", "disk"), ("path", "/"), ("pool", "default"), ("size", "10GiB")));

    [Fact]
    public void CustomVolumeDisk_WithEveryKeyItTakes_IsAccepted() =>
        DeviceSchema.Validate(Devices("data_1.x", ("type", "disk"), ("path", "/srv/data"), ("source", "data"), ("pool", "default"),
            ("readonly", "true")));

    [Fact]
    public void CustomVolumeDisk_WithoutPool_IsRefused() =>
        Assert.Equal("devices.d.pool: a custom volume is named with its storage pool (pool=POOL source=data)",
            Refused("d", ("type", "disk"), ("source", "data")));

    [Fact]
    public void CustomVolumeDisk_WithASize_IsRefused() =>
        Assert.StartsWith("devices.d.size: a custom volume's size is the volume's own",
            Refused("d", ("type", "disk"), ("source", "data"), ("pool", "default"), ("size", "1GiB")), StringComparison.Ordinal);

    [Fact]
    public void HostPathDisk_IsNotSupportedYet() =>
        Assert.StartsWith("devices.d.source: host paths are not supported yet",
            Assert.Throws<NotSupportedYetException>(() => DeviceSchema.Validate(Devices("d", ("type", "disk"), ("source", "/tank"), ("path", "/x")))).Message,
            StringComparison.Ordinal);

    [Fact]
    public void RootDisk_WithASource_IsRefused() =>
        Assert.Equal("devices.root.source: the root disk is the instance's own volume; it takes no source",
            Refused("root", ("type", "disk"), ("path", "/"), ("pool", "default"), ("source", "x")));

    [Fact]
    public void Nic_WithEveryKey_IsAccepted() =>
        DeviceSchema.Validate(Devices("eth0", ("type", "nic"), ("network", "vesselbr0"), ("name", "eth0"),
            ("hwaddr", "00:16:3E:12:34:5f"), ("mtu", "1500"), ("ipv4.address", "10.0.0.5"), ("limits.ingress", "10Mbit"),
            ("limits.egress", "10Mbit")));

    [Fact]
    public void NoDevices_AreAccepted() => DeviceSchema.Validate(new Dictionary<string, IReadOnlyDictionary<string, string>>());

    [Theory]
    [InlineData("")]
    [InlineData("eth 0")]
    [InlineData("eth/0")]
    [InlineData("ëth0")]
    public void BadDeviceName_IsRefused(string name) =>
        Assert.Equal($"devices.{name}: a device name has 1 to 64 letters, digits, '-', '_' or '.'", Refused(name, ("type", "nic")));

    [Fact]
    public void DeviceName_Of64Characters_IsAcceptedAnd65Refused()
    {
        DeviceSchema.Validate(Devices(new string('d', 64), ("type", "nic"), ("network", "br0")));

        Assert.Contains("a device name has 1 to 64", Refused(new string('d', 65), ("type", "nic")), StringComparison.Ordinal);
    }

    [Fact]
    public void MissingType_IsRefused() =>
        Assert.Equal("devices.d.type: must be one of disk, nic", Refused("d", ("path", "/x")));

    [Fact]
    public void UnknownType_IsRefused() =>
        Assert.Equal("devices.d.type: must be one of disk, nic", Refused("d", ("type", "gpu")));

    [Fact]
    public void NicKeyOnADisk_IsRefusedListingTheDiskKeys() =>
        Assert.Equal("devices.d.mtu: unknown key for a disk device (known: type, path, source, pool, size, readonly, boot.priority)",
            Refused("d", ("type", "disk"), ("path", "/x"), ("mtu", "1500")));

    [Fact]
    public void DiskKeyOnANic_IsRefused() =>
        Assert.StartsWith("devices.eth0.path: unknown key for a nic device (known: type, network, ",
            Refused("eth0", ("type", "nic"), ("path", "/x")), StringComparison.Ordinal);

    [Fact]
    public void Disk_NeitherRootNorVolume_IsRefused() =>
        Assert.Equal("devices.d: a disk device is the root disk (path=/ pool=POOL) or a custom volume (pool=POOL source=VOLUME path=PATH)",
            Refused("d", ("type", "disk"), ("path", "/x")));

    [Fact]
    public void RootDisk_WithoutPool_IsRefused() =>
        Assert.Equal("devices.root.pool: the root disk needs a storage pool", Refused("root", ("type", "disk"), ("path", "/")));

    [Theory]
    [InlineData("path", "relative/dir", "devices.d.path: \"relative/dir\" is not an absolute path")]
    [InlineData("size", "big", "devices.d.size: \"big\" is not a size")]
    [InlineData("readonly", "yes", "devices.d.readonly: \"yes\" is not true or false")]
    [InlineData("pool", "1pool", "devices.d.pool: \"1pool\" must start with a letter")]
    [InlineData("boot.priority", "101", "devices.d.boot.priority: 101 is out of range; allowed is 0 to 100")]
    [InlineData("boot.priority", "-1", "devices.d.boot.priority: -1 is out of range; allowed is 0 to 100")]
    public void DiskValue_Bad_IsRefusedNamingTheKey(string key, string value, string message)
    {
        var entries = new Dictionary<string, string> { ["type"] = "disk", ["path"] = "/mnt", [key] = value };

        var e = Assert.Throws<BadRequestException>(() =>
            DeviceSchema.Validate(new Dictionary<string, IReadOnlyDictionary<string, string>> { ["d"] = entries }));

        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hwaddr", "00:16:3e:12:34", "devices.n.hwaddr: \"00:16:3e:12:34\" is not a MAC address such as 00:16:3e:12:34:56")]
    [InlineData("hwaddr", "00-16-3e-12-34-56", "devices.n.hwaddr: \"00-16-3e-12-34-56\" is not a MAC address")]
    [InlineData("hwaddr", "00:16:3e:12:34:5g", "devices.n.hwaddr: \"00:16:3e:12:34:5g\" is not a MAC address")]
    [InlineData("mtu", "575", "devices.n.mtu: 575 is out of range; allowed is 576 to 9000")]
    [InlineData("mtu", "9001", "devices.n.mtu: 9001 is out of range; allowed is 576 to 9000")]
    [InlineData("mtu", "jumbo", "devices.n.mtu: \"jumbo\" is not a whole number")]
    [InlineData("network", "br_0", "devices.n.network: \"br_0\" may hold only letters, digits and dashes")]
    public void NicValue_Bad_IsRefusedNamingTheKey(string key, string value, string message) =>
        Assert.StartsWith(message, Refused("n", ("type", "nic"), (key, value)), StringComparison.Ordinal);

    [Theory]
    [InlineData("576")]
    [InlineData("9000")]
    public void Mtu_AtTheBounds_IsAccepted(string mtu) => DeviceSchema.Validate(Devices("n", ("type", "nic"), ("network", "br0"), ("mtu", mtu)));

    [Fact]
    public void Nic_WithoutNetwork_IsRefused() =>
        Assert.Equal("devices.eth0.network: a nic needs the network it joins (network=NAME)", Refused("eth0", ("type", "nic"), ("name", "eth0")));

    [Theory]
    [InlineData("eth0")]
    [InlineData("e")]
    [InlineData("eth0.100")]
    [InlineData("abcdefghijklmno")]
    [InlineData("wan-1_x")]
    public void NicName_ThatLinuxTakes_IsAccepted(string name) =>
        DeviceSchema.Validate(Devices("n", ("type", "nic"), ("network", "br0"), ("name", name)));

    [Theory]
    [InlineData("")]
    [InlineData("abcdefghijklmnop")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("eth/0")]
    [InlineData("eth:0")]
    [InlineData("eth 0")]
    [InlineData("eth\t0")]
    [InlineData("eth#0")]
    [InlineData("eth\"0")]
    public void NicName_ThatLinuxOrIpRefuses_IsRefused(string name) =>
        Assert.Equal($"devices.n.name: \"{name}\" is not an interface name (1 to 15 letters, digits, '-', '_' or '.')",
            Refused("n", ("type", "nic"), ("network", "br0"), ("name", name)));

    [Theory]
    [InlineData("01:16:3e:00:00:01")]
    [InlineData("00:00:00:00:00:00")]
    public void Hwaddr_MulticastOrZero_IsRefused(string mac) =>
        Assert.Equal($"devices.n.hwaddr: {mac} is a multicast or all-zero MAC address; a nic needs a unicast one",
            Refused("n", ("type", "nic"), ("network", "br0"), ("hwaddr", mac)));

    [Theory]
    [InlineData("10.0.0.5")]
    [InlineData("192.168.1.254")]
    public void NicIpv4Address_AHostAddress_IsAccepted(string address) =>
        DeviceSchema.Validate(Devices("n", ("type", "nic"), ("network", "br0"), ("ipv4.address", address)));

    [Theory]
    [InlineData("10.0.0.5/24")]
    [InlineData("10.0.0.256")]
    [InlineData("010.0.0.5")]
    [InlineData("10.0.0")]
    [InlineData("auto")]
    public void NicIpv4Address_NotAnAddress_IsRefused(string address) =>
        Assert.Equal($"devices.n.ipv4.address: \"{address}\" is not an IPv4 address such as 10.42.7.20",
            Refused("n", ("type", "nic"), ("network", "br0"), ("ipv4.address", address)));

    [Theory]
    [InlineData("limits.ingress")]
    [InlineData("limits.egress")]
    public void NicLimits_AreRatesOfAtLeast8kbit(string key)
    {
        DeviceSchema.Validate(Devices("n", ("type", "nic"), ("network", "br0"), (key, "1Gbit")));
        DeviceSchema.Validate(Devices("n", ("type", "nic"), ("network", "br0"), (key, "8kbit")));

        Assert.Equal($"devices.n.{key}: \"10MB\" is not a rate such as 100Mbit, 1Gbit or 500kbit",
            Refused("n", ("type", "nic"), ("network", "br0"), (key, "10MB")));
        Assert.Equal($"devices.n.{key}: 4kbit is below the smallest rate, 8kbit",
            Refused("n", ("type", "nic"), ("network", "br0"), (key, "4kbit")));
    }

    [Fact]
    public void NicUnknownKey_IsRefusedListingTheNicKeys() =>
        Assert.Equal("devices.n.ipv6.address: unknown key for a nic device (known: type, network, name, hwaddr, mtu, ipv4.address, limits.ingress, limits.egress)",
            Refused("n", ("type", "nic"), ("network", "br0"), ("ipv6.address", "fd00::5")));
}
