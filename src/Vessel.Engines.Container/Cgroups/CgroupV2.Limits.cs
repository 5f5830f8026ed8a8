using System.Globalization;
using Vessel.Core.Validation;

namespace Vessel.Engines.Container.Cgroups;

internal sealed partial class CgroupV2
{
    public CgroupApplyResult Apply(CgroupLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        limits.Check();

        // An empty cpuset.cpus means "the parent's CPUs" on v2.
        if (TryDirectoryOf("cpuset", "cpuset.cpus", limits.Cpus is not null) is { } cpuset)
            CgroupFile.Write(cpuset, "cpuset.cpus", limits.Cpus is null ? "\n" : CpuSet.Format(limits.Cpus));

        if (TryDirectoryOf("cpu", "cpu.max", limits.CpuWeight is not null || limits.CpuQuota is not null) is { } cpu)
        {
            CgroupFile.Write(cpu, "cpu.weight", limits.CpuWeight ?? CgroupWeights.Default);
            CgroupFile.Write(cpu, "cpu.max", limits.CpuQuota is { } q
                ? string.Create(CultureInfo.InvariantCulture, $"{q.QuotaMicros} {q.PeriodMicros}")
                : "max 100000");
        }

        var swapLimited = false;
        if (TryDirectoryOf("memory", "memory.max", limits.MemoryBytes is not null) is { } memory)
        {
            CgroupFile.Write(memory, "memory.max", Max(limits.MemoryBytes));
            // memory.swap.max counts swap alone (v1 memsw counted memory plus swap), so no write order matters.
            swapLimited = CgroupFile.Exists(memory, "memory.swap.max");
            if (swapLimited)
                CgroupFile.Write(memory, "memory.swap.max", limits.SwapAllowed ? "max" : "0");
        }

        if (TryDirectoryOf("pids", "pids.max", limits.Pids is not null) is { } pids)
            CgroupFile.Write(pids, "pids.max", Max(limits.Pids));

        return new CgroupApplyResult(ApplyIoWeight(limits.IoWeight), swapLimited);
    }

    public CgroupApplyResult CanApply(string sysBlock) => new(
        IoWeightApplied: TryDirectoryOf("io", "io.stat", needed: false) is { } io
            && IoWeightFile(io) is { } weight && (weight == "io.weight" || BlockSchedulers.AnyUsesBfq(sysBlock)),
        SwapLimitApplied: TryDirectoryOf("memory", "memory.max", needed: false) is { } memory && CgroupFile.Exists(memory, "memory.swap.max"));

    /// <returns>Whether a weight file exists: io.weight needs the iocost controller, io.bfq.weight the BFQ scheduler.</returns>
    private bool ApplyIoWeight(long? weight)
    {
        // io.stat is there whenever the io controller is enabled, with or without a weight policy.
        if (TryDirectoryOf("io", "io.stat", weight is not null) is not { } io)
            return false;
        var w = weight ?? CgroupWeights.Default;
        switch (IoWeightFile(io))
        {
            case "io.weight":
                CgroupFile.Write(io, "io.weight", string.Create(CultureInfo.InvariantCulture, $"default {w}"));
                return true;
            case { } bfq:
                CgroupFile.Write(io, bfq, string.Create(CultureInfo.InvariantCulture, $"default {CgroupWeights.ToBfqWeight(w)}"));
                return true;
            default:
                return false;
        }
    }

    private static string? IoWeightFile(string io) =>
        CgroupFile.Exists(io, "io.weight") ? "io.weight" : CgroupFile.Exists(io, "io.bfq.weight") ? "io.bfq.weight" : null;

    private static string Max(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "max";
}
