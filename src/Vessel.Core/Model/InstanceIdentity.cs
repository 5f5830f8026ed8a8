namespace Vessel.Core.Model;

/// <summary>
/// volatile.uuid: an instance's own identity, made when the instance is made and never copied, as in Incus. A VM shows
/// it as its SMBIOS system UUID, and a kernel-booted one also as its systemd machine-id, so that a copy of a VM whose
/// /etc/machine-id was filled at its first boot is still another machine. An import keeps it: it brings the same machine back.
/// </summary>
public static class InstanceIdentity
{
    public const string UuidKey = "volatile.uuid";

    /// <summary>CONFIG with a new volatile.uuid when it has none.</summary>
    public static Dictionary<string, string> WithUuid(IReadOnlyDictionary<string, string> config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var settled = config.ToDictionary();
        settled.TryAdd(UuidKey, Guid.NewGuid().ToString());
        return settled;
    }

    /// <summary>The instance's uuid; null for an instance made before Vessel kept one.</summary>
    public static Guid? Of(IReadOnlyDictionary<string, string> config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.TryGetValue(UuidKey, out var value) && Guid.TryParse(value, out var uuid) ? uuid : null;
    }
}
