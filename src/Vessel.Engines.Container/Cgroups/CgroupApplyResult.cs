namespace Vessel.Engines.Container.Cgroups;

/// <summary>Which optional limits the host let <see cref="ICgroup.Apply"/> write; the others were skipped without error.</summary>
/// <param name="IoWeightApplied">False when the host has no I/O weight file (no BFQ or CFQ scheduler, no io.weight), so every container shares disks equally.</param>
/// <param name="SwapLimitApplied">False when the host cannot limit swap (v1 without swap accounting, v2 without memory.swap.max), so swap stays unrestricted.</param>
public sealed record CgroupApplyResult(bool IoWeightApplied, bool SwapLimitApplied);
