using System.Globalization;
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
            ["user-data"] = UserData(config),
        };
        if (config.GetValueOrDefault(CloudInit.VendorData) is { } vendor)
            files["vendor-data"] = vendor;
        if (config.GetValueOrDefault(CloudInit.NetworkConfig) is { } network)
            files["network-config"] = network;
        return files;
    }

    /// <summary>
    /// cloud-init.user-data, with the cloud-init.ssh-keys.* as a cloud-config of users and their authorized keys: alone, or
    /// after the user's data in a MIME multipart whose second part merges into the first (lists appended, the user's values
    /// kept), so that the user's own users: stay too.
    /// </summary>
    private static string UserData(IReadOnlyDictionary<string, string> config)
    {
        var userData = config.GetValueOrDefault(CloudInit.UserData);
        var keys = config.Where(k => k.Key.StartsWith(CloudInit.SshKeysPrefix, StringComparison.Ordinal)).OrderBy(k => k.Key, StringComparer.Ordinal)
            .Select(k => CloudInit.ParseSshKey(k.Key, k.Value)).ToList();
        if (keys.Count == 0)
            return userData ?? "#cloud-config\n{}\n";
        // Without user data of the user's, the image's own default user is made as it would be without keys.
        var users = new StringBuilder(userData is null ? "#cloud-config\nusers:\n  - default\n" : "#cloud-config\nusers:\n");
        foreach (var user in keys.GroupBy(k => k.User))
        {
            // A user that exists (root) keeps its shell: cloud-init only adds the keys. Quoted: YAML reads yes or null otherwise.
            users.Append(CultureInfo.InvariantCulture, $"  - name: '{user.Key}'\n    shell: /bin/bash\n    ssh_authorized_keys:\n");
            foreach (var (_, key) in user)
                users.Append(CultureInfo.InvariantCulture, $"      - '{key.Replace("'", "''", StringComparison.Ordinal)}'\n");
        }
        if (userData is null)
            return users.ToString();
        var boundary = "vessel-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(userData)))[..24];
        return $"""
            Content-Type: multipart/mixed; boundary="{boundary}"
            MIME-Version: 1.0

            --{boundary}
            Content-Type: text/x-not-multipart; charset="utf-8"

            {userData}
            --{boundary}
            Content-Type: text/cloud-config; charset="utf-8"
            Merge-Type: list(append)+dict(no_replace,recurse_list)+str()

            {users}
            --{boundary}--

            """;
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
