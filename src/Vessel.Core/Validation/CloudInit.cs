namespace Vessel.Core.Validation;

/// <summary>The cloud-init config keys (named as in Incus) and what cloud-init accepts in them.</summary>
public static class CloudInit
{
    public const string UserData = "cloud-init.user-data", VendorData = "cloud-init.vendor-data", NetworkConfig = "cloud-init.network-config";

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
}
