using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace Vessel.Core.Validation;

/// <summary>The cloud-init config keys (named as in Incus) and what cloud-init accepts in them.</summary>
public static partial class CloudInit
{
    public const string UserData = "cloud-init.user-data", VendorData = "cloud-init.vendor-data", NetworkConfig = "cloud-init.network-config";

    /// <summary>cloud-init.ssh-keys.NAME=USER:KEY: an OpenSSH public key for USER (made at first boot when missing), as in Incus.</summary>
    public const string SshKeysPrefix = "cloud-init.ssh-keys.";

    private static readonly string[] KeyTypes =
    [
        "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
    ];

    private const int MaxLength = 256 * 1024;

    // The first line cloud-init recognises a part by; it ignores (with only a log line) data that starts otherwise.
    private static readonly string[] UserDataHeaders =
        ["#cloud-config", "#!", "#include", "#cloud-boothook", "#part-handler", "#cloud-config-archive", "## template: jinja", "Content-Type:"];

    public static void CheckUserData(string key, string value, HostResources _)
    {
        ConfigKey.CheckLength(key, value, MaxLength);
        if (!UserDataHeaders.Any(h => value.StartsWith(h, StringComparison.Ordinal)))
            throw new BadRequestException($"{key}: cloud-init would ignore this: its first line must be a header such as #cloud-config " +
                "(YAML) or #! (a script)");
    }

    public static void CheckNetworkConfig(string key, string value, HostResources _)
    {
        ConfigKey.CheckLength(key, value, MaxLength);
        if (!value.Split('\n').Any(line => line.TrimStart().StartsWith("version:", StringComparison.Ordinal)))
            throw new BadRequestException($"{key}: not a cloud-init network config: it has no \"version: 1\" or \"version: 2\"");
    }

    /// <summary>Checks a cloud-init.ssh-keys.NAME value and gives its user and public key.</summary>
    public static (string User, string Key) ParseSshKey(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!SshKeyName().IsMatch(key[SshKeysPrefix.Length..]))
            throw new BadRequestException($"{key}: the name after {SshKeysPrefix} must be letters, digits, _ or -");
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
            throw new BadRequestException($"{key}: not USER:KEY (such as root:ssh-ed25519 AAAA… me@laptop)");
        var (user, publicKey) = (value[..colon], value[(colon + 1)..].Trim());
        if (!UserName().IsMatch(user))
            throw new BadRequestException($"{key}: \"{user}\" is not a user name (up to 32 lower-case letters, digits, _ and -, not starting with a digit or -)");
        if (publicKey.Contains('\n', StringComparison.Ordinal) || publicKey.Contains('\r', StringComparison.Ordinal))
            throw new BadRequestException($"{key}: one key per setting (the value holds a line break)");
        if (publicKey.Any(char.IsControl))
            throw new BadRequestException($"{key}: the key holds a control character");
        var fields = publicKey.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 2 || !KeyTypes.Contains(fields[0]))
            throw new BadRequestException($"{key}: not an OpenSSH public key: it starts with its type ({string.Join(", ", KeyTypes)}) and then its data");
        var blob = new byte[fields[1].Length];
        // The data names its type again, as a length-prefixed string: a key cut short or pasted from another line fails here.
        if (!Convert.TryFromBase64String(fields[1], blob, out var length) || length < 4 ||
            BinaryPrimitives.ReadUInt32BigEndian(blob) is var typeLength && (typeLength > length - 4 ||
            Encoding.ASCII.GetString(blob, 4, (int)typeLength) != fields[0]))
            throw new BadRequestException($"{key}: the key's data is not the base64 of a {fields[0]} key");
        return (user, publicKey);
    }

    /// <summary>
    /// The ssh keys go into the user data as a cloud-config part of their own (see CloudInitSeed), which a MIME multipart
    /// user data cannot take in.
    /// </summary>
    public static void CheckSshKeysWithUserData(IReadOnlyDictionary<string, string> config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Keys.Any(k => k.StartsWith(SshKeysPrefix, StringComparison.Ordinal)) &&
            config.GetValueOrDefault(UserData)?.StartsWith("Content-Type:", StringComparison.Ordinal) == true)
            throw new BadRequestException($"{SshKeysPrefix}*: cannot be added to a MIME multipart {UserData}; put the keys in a cloud-config part of it instead");
    }

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex SshKeyName();

    [GeneratedRegex("^[a-z_][a-z0-9_-]{0,31}$")]
    private static partial Regex UserName();
}
