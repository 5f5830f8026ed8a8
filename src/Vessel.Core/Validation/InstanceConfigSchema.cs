using System.Globalization;
using Vessel.Core.Model;
using Vessel.Core.Scheduling;

namespace Vessel.Core.Validation;

/// <summary>The instance config keys Vessel knows, named as in Incus, and their rules.</summary>
public static class InstanceConfigSchema
{
    private static readonly Dictionary<string, ConfigKey> Keys = new ConfigKey[]
    {
        new("limits.cpu", "a CPU count (1 to the host's CPUs) or a set such as 0-1,3", CheckCpu),
        // The VM engine sizes and pins nothing of these yet: for now they apply to containers only.
        new("limits.cpu.allowance", "a share such as 50% or a quota such as 25ms/100ms", CheckAllowance, OnlyFor: InstanceType.Container),
        ConfigKey.Integer("limits.cpu.priority", 0, 10, onlyFor: InstanceType.Container),
        new("limits.memory", "a size such as 512MiB (4MiB to the host's memory) or a percentage such as 50%", CheckMemory),
        ConfigKey.Bool("limits.memory.swap", onlyFor: InstanceType.Container),
        ConfigKey.Integer("limits.processes", 1, 4_194_304, onlyFor: InstanceType.Container),
        ConfigKey.Integer("limits.disk.priority", 0, 10, onlyFor: InstanceType.Container),
        ConfigKey.Bool("boot.autostart"),
        ConfigKey.Integer("boot.autostart.delay", 0, 3600, " seconds"),
        ConfigKey.Integer("boot.autostart.priority", 0, 1000),
        ConfigKey.Bool("security.privileged", onlyFor: InstanceType.Container),
        ConfigKey.Bool("security.nesting", onlyFor: InstanceType.Container),
        ConfigKey.OneOf(MachineTypes.MachineKey, MachineTypes.Machines, InstanceType.VirtualMachine),
        ConfigKey.OneOf(MachineTypes.AccelKey, MachineTypes.Accelerators, InstanceType.VirtualMachine),
        new(VncDisplay.AddressKey, VncDisplay.Rule, (key, value, _) => VncDisplay.Parse(key, value), InstanceType.VirtualMachine),
        new(CloudInit.UserData, "cloud-init user data: #cloud-config YAML, a #! script or another format cloud-init reads", CloudInit.CheckUserData),
        new(CloudInit.VendorData, "cloud-init vendor data, in the formats of user data", CloudInit.CheckUserData),
        new(CloudInit.NetworkConfig, "a cloud-init network config (version 1 or 2 YAML)", CloudInit.CheckNetworkConfig),
        new(SnapshotConfig.Schedule, "a cron schedule in UTC (minute hour day-of-month month day-of-week, or @hourly, @daily, @weekly, " +
            "@monthly, @yearly, @never), several separated by \", \"", (key, value, _) => CronSchedule.Parse(key, value)),
        ConfigKey.Bool(SnapshotConfig.ScheduleStopped),
        new(SnapshotConfig.Pattern, "the name of scheduled and unnamed snapshots, with %d (the next number) or {date:yyyyMMdd-HHmm}",
            (key, value, _) => SnapshotPattern.Validate(key, value)),
        new(SnapshotConfig.Expiry, $"how long snapshots are kept, such as 3d or \"1w 12H\" ({Expiry.Units})", (key, value, _) => Expiry.Parse(key, value)),
    }.ToDictionary(k => k.Name, StringComparer.Ordinal);

    /// <summary>Prefixes whose keys are free text: image.* describes the source image, user.* and environment.* are the user's.</summary>
    private static readonly string[] FreePrefixes = ["image.", "user.", "environment."];

    public const string VolatilePrefix = "volatile.";

    public static IEnumerable<ConfigKey> Known => Keys.Values;

    public static void Validate(IReadOnlyDictionary<string, string> config, InstanceType type, HostResources host)
    {
        foreach (var (key, value) in config)
            ValidateKey(key, value, type, host);
        CloudInit.CheckSshKeysWithUserData(config);
    }

    public static void ValidateKey(string key, string value, InstanceType type, HostResources host)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (Keys.TryGetValue(key, out var known))
        {
            known.Validate(value, type, host);
            return;
        }
        if (key.StartsWith(CloudInit.SshKeysPrefix, StringComparison.Ordinal))
        {
            CloudInit.ParseSshKey(key, value);
            return;
        }
        if (key.StartsWith(VolatilePrefix, StringComparison.Ordinal))
            throw new BadRequestException($"{key}: volatile.* keys are set by Vessel itself and cannot be set");
        foreach (var prefix in FreePrefixes)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal) && key.Length > prefix.Length)
            {
                ConfigKey.Text(key).Validate(value, type, host);
                return;
            }
        }
        throw new BadRequestException(
            $"{key}: unknown config key (known: {string.Join(", ", Keys.Keys.Order())}, and {CloudInit.SshKeysPrefix}NAME, image.*, user.*, environment.*)");
    }

    private static void CheckCpu(string key, string value, HostResources host)
    {
        if (value.All(char.IsAsciiDigit) && value.Length > 0)
        {
            ConfigKey.ParseInteger(key, value, 1, host.CpuCount, $" CPUs on this host");
            return;
        }
        foreach (var cpu in CpuSet.Parse(key, value))
        {
            if (cpu >= host.CpuCount)
                throw new BadRequestException($"{key}: CPU {cpu} does not exist; this host has CPUs 0 to {host.CpuCount - 1}");
        }
    }

    private static void CheckAllowance(string key, string value, HostResources host)
    {
        if (value.EndsWith('%'))
        {
            ConfigKey.ParseInteger(key, value[..^1], 1, 100, "%");
            return;
        }
        var parts = value.Split('/');
        if (parts.Length != 2 || !TryMilliseconds(parts[0], out var quota) || !TryMilliseconds(parts[1], out var period))
            throw new BadRequestException($"{key}: \"{value}\" is neither a share such as 50% nor a quota such as 25ms/100ms");
        if (period is < 1 or > 1000)
            throw new BadRequestException($"{key}: the period {period}ms is out of range; allowed is 1ms to 1000ms");
        if (quota < 1 || quota > period * host.CpuCount)
            throw new BadRequestException($"{key}: the quota {quota}ms is out of range; allowed is 1ms to {period * host.CpuCount}ms (period × {host.CpuCount} CPUs)");
    }

    private static bool TryMilliseconds(string text, out long ms)
    {
        ms = 0;
        return text.EndsWith("ms", StringComparison.Ordinal)
            && long.TryParse(text[..^2], NumberStyles.None, CultureInfo.InvariantCulture, out ms);
    }

    private static void CheckMemory(string key, string value, HostResources host)
    {
        if (value.EndsWith('%'))
        {
            ConfigKey.ParseInteger(key, value[..^1], 1, 100, "%");
            return;
        }
        var bytes = Sizes.Parse(key, value);
        const long min = 4L << 20;
        if (bytes < min || bytes > host.MemoryBytes)
            throw new BadRequestException($"{key}: {value} is out of range; allowed is 4MiB to {Sizes.Format(host.MemoryBytes)} (this host's memory)");
    }
}
