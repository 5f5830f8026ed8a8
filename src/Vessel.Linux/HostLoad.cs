using System.Globalization;

namespace Vessel.Linux;

/// <summary>How busy the host is now, from /proc: load averages, memory and uptime.</summary>
public sealed record HostLoad(double[] LoadAverage, long MemoryTotalBytes, long MemoryAvailableBytes, long SwapTotalBytes, long SwapFreeBytes,
    double UptimeSeconds)
{
    public static HostLoad Read() => Parse(File.ReadAllText("/proc/loadavg"), File.ReadAllLines("/proc/meminfo"), File.ReadAllText("/proc/uptime"));

    public static HostLoad Parse(string loadavg, IEnumerable<string> meminfo, string uptime)
    {
        var memory = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in meminfo)
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 2 && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kib))
                memory[fields[0].TrimEnd(':')] = kib * 1024;
        }
        long Memory(string key) => memory.GetValueOrDefault(key);
        var load = loadavg.Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(3).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        return new HostLoad(load, Memory("MemTotal"), Memory("MemAvailable"), Memory("SwapTotal"), Memory("SwapFree"),
            double.Parse(uptime.Split(' ')[0], CultureInfo.InvariantCulture));
    }
}
