using System.Text.RegularExpressions;

namespace Vessel.Core.Validation;

/// <summary>Devices as in Incus: a name and a map whose "type" is disk or nic.</summary>
public static partial class DeviceSchema
{
    private static readonly Dictionary<string, string[]> KeysByType = new()
    {
        ["disk"] = ["type", "path", "source", "pool", "size", "readonly", "boot.priority"],
        ["nic"] = ["type", "network", "name", "hwaddr", "mtu", "ipv4.address", "limits.ingress", "limits.egress"],
    };

    /// <summary>Whether a device is the root disk (a disk at path /).</summary>
    public static bool IsRoot(IReadOnlyDictionary<string, string>? device) =>
        device?.GetValueOrDefault("type") == "disk" && device.GetValueOrDefault("path") == "/";

    /// <summary>The size the root disk device names, in bytes; null when none is set.</summary>
    public static long? RootSize(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> devices) =>
        devices.FirstOrDefault(d => IsRoot(d.Value)) is { Value: not null } root && root.Value.TryGetValue("size", out var size)
            ? Sizes.Parse($"devices.{root.Key}.size", size)
            : null;

    public static void Validate(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> devices)
    {
        foreach (var (name, device) in devices)
        {
            var field = $"devices.{name}";
            if (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
                throw new BadRequestException($"{field}: a device name has 1 to 64 letters, digits, '-', '_' or '.'");
            if (!device.TryGetValue("type", out var type) || !KeysByType.TryGetValue(type, out var allowed))
                throw new BadRequestException($"{field}.type: must be one of {string.Join(", ", KeysByType.Keys)}");
            foreach (var (key, value) in device)
            {
                if (!allowed.Contains(key))
                    throw new BadRequestException($"{field}.{key}: unknown key for a {type} device (known: {string.Join(", ", allowed)})");
                CheckValue($"{field}.{key}", key, value);
            }
            if (type == "nic" && !device.ContainsKey("network"))
                throw new BadRequestException($"{field}.network: a nic needs the network it joins (network=NAME)");
            if (type == "disk")
                ValidateDisk(field, device);
        }
    }

    /// <summary>A disk is the root disk (path=/ pool=POOL) or a custom volume (pool=POOL source=VOLUME, a path where it is mounted).</summary>
    private static void ValidateDisk(string field, IReadOnlyDictionary<string, string> device)
    {
        var path = device.GetValueOrDefault("path");
        if (path == "/")
        {
            if (!device.ContainsKey("pool"))
                throw new BadRequestException($"{field}.pool: the root disk needs a storage pool");
            if (device.ContainsKey("source"))
                throw new BadRequestException($"{field}.source: the root disk is the instance's own volume; it takes no source");
            return;
        }
        if (!device.TryGetValue("source", out var source))
            throw new BadRequestException($"{field}: a disk device is the root disk (path=/ pool=POOL) or a custom volume (pool=POOL source=VOLUME path=PATH)");
        if (source.StartsWith('/'))
            throw new NotSupportedYetException($"{field}.source: host paths are not supported yet; create a custom volume " +
                "(vessel storage volume create POOL NAME) and attach it with pool=POOL source=NAME");
        if (!device.ContainsKey("pool"))
            throw new BadRequestException($"{field}.pool: a custom volume is named with its storage pool (pool=POOL source={source})");
        Names.ValidateLabel($"{field}.source", source);
        if (device.ContainsKey("size"))
            throw new BadRequestException($"{field}.size: a custom volume's size is the volume's own (vessel storage volume set POOL {source} size=…)");
        if (device.ContainsKey("boot.priority"))
            throw new NotSupportedYetException($"{field}.boot.priority: booting from a custom volume is not supported yet");
    }

    private static void CheckValue(string field, string key, string value)
    {
        switch (key)
        {
            case "size":
                Sizes.Parse(field, value);
                break;
            case "readonly":
                if (value is not ("true" or "false"))
                    throw new BadRequestException($"{field}: \"{value}\" is not true or false");
                break;
            case "path" when !value.StartsWith('/'):
                throw new BadRequestException($"{field}: \"{value}\" is not an absolute path");
            case "pool" or "network":
                Names.ValidateLabel(field, value);
                break;
            case "name" when value.Length is 0 or > 15 || value is "." or ".." || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'):
                throw new BadRequestException($"{field}: \"{value}\" is not an interface name (1 to 15 letters, digits, '-', '_' or '.')");
            case "hwaddr" when MacAddress().IsMatch(value) && !IsNicMac(value):
                throw new BadRequestException($"{field}: {value} is a multicast or all-zero MAC address; a nic needs a unicast one");
            case "hwaddr" when !MacAddress().IsMatch(value):
                throw new BadRequestException($"{field}: \"{value}\" is not a MAC address such as 00:16:3e:12:34:56");
            case "limits.ingress" or "limits.egress":
                BitRates.Parse(field, value);
                break;
            case "ipv4.address":
                Model.Ipv4Cidr.ParseAddress(field, value);
                break;
            case "mtu":
                ConfigKey.ParseInteger(field, value, 576, 9000);
                break;
            case "boot.priority":
                ConfigKey.ParseInteger(field, value, 0, 100);
                break;
        }
    }

    /// <summary>Whether VALUE is a MAC address a nic can have: six hex pairs, unicast, not all zeros.</summary>
    public static bool IsNicMac(string value) =>
        MacAddress().IsMatch(value) && (Convert.ToByte(value[..2], 16) & 1) == 0 && !value.All(c => c is '0' or ':');

    [GeneratedRegex("^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")]
    private static partial Regex MacAddress();
}
