namespace Vessel.Core.Model;

/// <summary>What an instance uses right now, as its engine measures it. Null fields are not measured by that engine.</summary>
public sealed record InstanceUsage
{
    public double? CpuSeconds { get; init; }
    public long? MemoryBytes { get; init; }
    public long? MemoryPeakBytes { get; init; }
    public long? Processes { get; init; }
    public long? DiskBytes { get; init; }
    public long? NetworkRxBytes { get; init; }
    public long? NetworkTxBytes { get; init; }
}
