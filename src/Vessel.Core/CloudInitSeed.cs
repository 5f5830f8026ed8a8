using System.Security.Cryptography;
using System.Text;
using Vessel.Core.Model;
using Vessel.Core.Validation;

namespace Vessel.Core;

/// <summary>
/// What cloud-init's NoCloud data source reads at first boot: meta-data (instance id and hostname), user-data and, when
/// set, vendor-data and network-config, from the instance's cloud-init.* keys. A VM gets them on a seed disk, a
/// container in its /var/lib/cloud/seed/nocloud-net.
/// </summary>
public static class CloudInitSeed
{
    /// <summary>The seed's files by name. Without cloud-init.user-data an empty #cloud-config still names the instance.</summary>
    public static SortedDictionary<string, string> Files(Instance instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var config = instance.Config;
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["meta-data"] = $"instance-id: {InstanceId(instance)}\nlocal-hostname: {instance.Name}\n",
            ["user-data"] = config.GetValueOrDefault(CloudInit.UserData) ?? "#cloud-config\n{}\n",
        };
        if (config.GetValueOrDefault(CloudInit.VendorData) is { } vendor)
            files["vendor-data"] = vendor;
        if (config.GetValueOrDefault(CloudInit.NetworkConfig) is { } network)
            files["network-config"] = network;
        return files;
    }

    /// <summary>
    /// Stable for the instance's life (cloud-init runs its once-per-instance steps again when it changes) and different for
    /// a copy, which has another name and creation time.
    /// </summary>
    public static string InstanceId(Instance instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var identity = $"{instance.Name}\n{instance.CreatedAt.ToUnixTimeMilliseconds()}";
        return "vessel-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..16];
    }


    /// <summary>Whether any cloud-init.* key is set.</summary>
    public static bool IsConfigured(Instance instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        return instance.Config.Keys.Any(k => k.StartsWith("cloud-init.", StringComparison.Ordinal));
    }
}
