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
    public void DataDisk_WithEveryKey_IsAccepted() =>
        DeviceSchema.Validate(Devices("data_1.x", ("type", "disk"), ("path", "/srv/data"), ("source", "/tank/data"),
            ("size", "1GB"), ("readonly", "true"), ("boot.priority", "100")));

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
    public void Disk_WithoutPath_IsRefused() =>
        Assert.Equal("devices.d.path: a disk device needs a path (/ for the root disk)", Refused("d", ("type", "disk"), ("source", "/x")));

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
}
