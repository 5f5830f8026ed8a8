using System.Globalization;
using Vessel.Core.Validation;
using IOPath = System.IO.Path;

namespace Vessel.Engines.Container.Cgroups;

internal sealed partial class CgroupV1
{
    private const string MemoryLimit = "memory.limit_in_bytes";
    private const string MemorySwapLimit = "memory.memsw.limit_in_bytes";

    public CgroupApplyResult Apply(CgroupLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        limits.Check();
        ApplyCpuset(limits.Cpus);
        ApplyCpu(limits.CpuWeight, limits.CpuQuota);
        var swapLimited = ApplyMemory(limits.MemoryBytes, limits.SwapAllowed);
        if (TryDirectoryOf("pids", "pids.max", limits.Pids is not null) is { } pids)
            CgroupFile.Write(pids, "pids.max", limits.Pids?.ToString(CultureInfo.InvariantCulture) ?? "max");
        var ioWeighted = ApplyIoWeight(limits.IoWeight);
        return new CgroupApplyResult(ioWeighted, swapLimited);
    }

    public CgroupApplyResult CanApply(string sysBlock) => new(
        IoWeightApplied: TryDirectoryOf("blkio", "blkio.weight", needed: false) is { } blkio
            && IoWeightFile(blkio) is { } weight && (weight == "blkio.weight" || BlockSchedulers.AnyUsesBfq(sysBlock)),
        SwapLimitApplied: TryDirectoryOf("memory", MemoryLimit, needed: false) is { } memory && CgroupFile.Exists(memory, MemorySwapLimit));

    private void ApplyCpuset(IReadOnlyList<int>? cpus)
    {
        if (TryDirectoryOf("cpuset", "cpuset.cpus", cpus is not null) is not { } cpuset)
            return;
        // v1 has no "inherit": unlimited means the parent's whole set.
        var value = cpus is null
            ? CgroupFile.Read(IOPath.GetDirectoryName(cpuset)!, "cpuset.cpus").Trim()
            : CpuSet.Format(cpus);
        CgroupFile.Write(cpuset, "cpuset.cpus", value);
    }

    private void ApplyCpu(long? weight, (long QuotaMicros, long PeriodMicros)? quota)
    {
        if (TryDirectoryOf("cpu", "cpu.shares", weight is not null || quota is not null) is not { } cpu)
            return;
        CgroupFile.Write(cpu, "cpu.shares", CgroupWeights.ToCpuShares(weight ?? CgroupWeights.Default));
        if (quota is { } q)
        {
            CgroupFile.Write(cpu, "cpu.cfs_period_us", q.PeriodMicros);
            CgroupFile.Write(cpu, "cpu.cfs_quota_us", q.QuotaMicros);
        }
        else
        {
            CgroupFile.Write(cpu, "cpu.cfs_quota_us", -1);
            CgroupFile.Write(cpu, "cpu.cfs_period_us", 100_000);
        }
    }

    /// <returns>Whether swap is under a limit file (memsw exists only with swap accounting).</returns>
    private bool ApplyMemory(long? bytes, bool swapAllowed)
    {
        if (TryDirectoryOf("memory", MemoryLimit, bytes is not null) is not { } memory)
            return false;
        if (!CgroupFile.Exists(memory, MemorySwapLimit))
        {
            CgroupFile.Write(memory, MemoryLimit, bytes ?? -1);
            return false;
        }

        // The kernel keeps memsw >= memory at every write, so the order depends on where the limits move:
        // when memsw rises above the current memory limit it goes first, otherwise memory goes first.
        long? swap = swapAllowed ? null : bytes;
        var current = CgroupFile.ReadLong(memory, MemoryLimit);
        if (swap is null || (current >= 0 && current < swap))
        {
            CgroupFile.Write(memory, MemorySwapLimit, swap ?? -1);
            CgroupFile.Write(memory, MemoryLimit, bytes ?? -1);
        }
        else
        {
            CgroupFile.Write(memory, MemoryLimit, bytes ?? -1);
            CgroupFile.Write(memory, MemorySwapLimit, swap.Value);
        }
        return true;
    }

    /// <returns>Whether a weight file exists: blkio.weight needs CFQ (gone since Linux 5.0), blkio.bfq.weight BFQ.</returns>
    private bool ApplyIoWeight(long? weight)
    {
        if (TryDirectoryOf("blkio", "blkio.weight", weight is not null) is not { } blkio)
            return false;
        var w = weight ?? CgroupWeights.Default;
        switch (IoWeightFile(blkio))
        {
            case "blkio.weight":
                CgroupFile.Write(blkio, "blkio.weight", CgroupWeights.ToBlkioWeight(w));
                return true;
            case { } bfq:
                CgroupFile.Write(blkio, bfq, CgroupWeights.ToBfqWeight(w));
                return true;
            default:
                return false;
        }
    }

    private static string? IoWeightFile(string blkio) =>
        CgroupFile.Exists(blkio, "blkio.weight") ? "blkio.weight" : CgroupFile.Exists(blkio, "blkio.bfq.weight") ? "blkio.bfq.weight" : null;
}
