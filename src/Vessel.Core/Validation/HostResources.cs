namespace Vessel.Core.Validation;

/// <summary>The host figures that bound limits: a config may not ask for more CPUs or memory than exist.</summary>
public sealed record HostResources(int CpuCount, long MemoryBytes)
{
    public static HostResources Current { get; } = new(Environment.ProcessorCount, ReadMemTotal());

    private static long ReadMemTotal()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
            }
        }
        catch (IOException)
        {
        }
        return long.MaxValue;
    }
}
