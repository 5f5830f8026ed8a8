using System.Globalization;
using Vessel.Core.Model;
using Vessel.Core.Validation;

namespace Vessel.Engines.Container.Cgroups;

/// <summary>Turns an instance's limits.* config keys into cgroup limits, with Incus's meanings.</summary>
public static class LimitsFromConfig
{
    private static readonly string[] Keys =
    [
        "limits.cpu", "limits.cpu.allowance", "limits.cpu.priority", "limits.memory", "limits.memory.swap",
        "limits.processes", "limits.disk.priority",
    ];

    /// <exception cref="Vessel.Core.BadRequestException">A value breaks the key's rule; the message names the key.</exception>
    public static CgroupLimits Parse(IReadOnlyDictionary<string, string> config, HostResources host)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(host);
        foreach (var key in Keys)
        {
            if (config.TryGetValue(key, out var value))
                InstanceConfigSchema.ValidateKey(key, value, InstanceType.Container, host);
        }

        var allowance = config.GetValueOrDefault("limits.cpu.allowance");
        var priority = config.GetValueOrDefault("limits.cpu.priority");
        return new CgroupLimits(
            Cpus: config.TryGetValue("limits.cpu", out var cpu) ? Cpus(cpu) : null,
            CpuWeight: CpuWeight(allowance, priority),
            CpuQuota: allowance is null || allowance.EndsWith('%') ? null : CpuQuota(allowance),
            MemoryBytes: config.TryGetValue("limits.memory", out var memory) ? MemoryBytes(memory, host) : null,
            SwapAllowed: config.GetValueOrDefault("limits.memory.swap") != "false",
            Pids: config.TryGetValue("limits.processes", out var pids) ? Number(pids) : null,
            IoWeight: config.TryGetValue("limits.disk.priority", out var disk) ? IoWeight(Number(disk)) : null);
    }

    /// <summary>Refuses a limit the config sets that the host cannot write, before anything is written: never a silent no-op.</summary>
    /// <param name="host">What the cgroup can apply (<see cref="ICgroup.CanApply"/>), asked only when the limits set an
    /// optional one: a start without them reads no /sys/block.</param>
    /// <exception cref="Vessel.Core.BadRequestException">The message names the key and why.</exception>
    public static void CheckApplicable(CgroupLimits limits, Func<CgroupApplyResult> host)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(host);
        var noSwap = limits is { MemoryBytes: not null, SwapAllowed: false };
        if (limits.IoWeight is null && !noSwap)
            return;
        var can = host();
        if (limits.IoWeight is not null && !can.IoWeightApplied)
            throw new Vessel.Core.BadRequestException("limits.disk.priority: this host's block I/O controller has no weight that takes effect " +
                "(blkio.weight needs the CFQ scheduler, gone since Linux 5.0; blkio.bfq.weight and io.bfq.weight a disk scheduled " +
                "by BFQ, see /sys/block/*/queue/scheduler; io.weight the iocost controller)");
        if (noSwap && !can.SwapLimitApplied)
            throw new Vessel.Core.BadRequestException("limits.memory.swap: this host cannot limit swap " +
                "(cgroup v1 needs swap accounting, swapaccount=1 on the kernel command line; cgroup v2 needs memory.swap.max)");
    }

    /// <summary>A count n pins to CPUs 0..n-1 (no balancing across containers yet); a set is taken as written.</summary>
    private static IReadOnlyList<int> Cpus(string value) =>
        value.All(char.IsAsciiDigit) ? [.. Enumerable.Range(0, (int)Number(value))] : CpuSet.Parse("limits.cpu", value);

    /// <summary>
    /// Incus's formula on the v2 scale: the allowance percentage (100 when there is none or it is a
    /// quota) less one point per priority step below 10. Null when neither key is set: the default weight.
    /// </summary>
    private static long? CpuWeight(string? allowance, string? priority)
    {
        if (priority is null && allowance is null or not [.., '%'])
            return null;
        var share = allowance is [.., '%'] ? Number(allowance[..^1]) : CgroupWeights.Default;
        var weight = share - (10 - (priority is null ? 10 : Number(priority)));
        return Math.Max(weight, CgroupWeights.Min);
    }

    private static (long QuotaMicros, long PeriodMicros) CpuQuota(string allowance)
    {
        var parts = allowance.Split('/');
        return (Number(parts[0][..^2]) * 1000, Number(parts[1][..^2]) * 1000);
    }

    private static long MemoryBytes(string value, HostResources host) =>
        value.EndsWith('%')
            ? (long)((Int128)host.MemoryBytes * Number(value[..^1]) / 100)
            : Sizes.Parse("limits.memory", value);

    /// <summary>
    /// Priority 5 (Incus's default) gives the default weight 100 and 10 gives 200, as Incus's v1
    /// weights 500 and 1000 compare to CFQ's default 500; 0 gives the least weight.
    /// </summary>
    private static long IoWeight(long priority) => Math.Max(priority * 20, CgroupWeights.Min);

    private static long Number(string text) => long.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
}
