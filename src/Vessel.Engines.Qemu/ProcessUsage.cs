using System.Globalization;

namespace Vessel.Engines.Qemu;

/// <summary>What one QEMU process uses, from /proc: resident memory and CPU time (all its threads, vCPUs included).</summary>
internal static class ProcessUsage
{
    private const double ClockTicks = 100; // USER_HZ, fixed at 100 on Linux

    public static long? ResidentBytes(int pid) => StatusKilobytes(pid, "VmRSS:") * 1024;

    public static long? PeakResidentBytes(int pid) => StatusKilobytes(pid, "VmHWM:") * 1024;

    private static long? StatusKilobytes(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                    return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }

    /// <summary>utime + stime of /proc/PID/stat in seconds.</summary>
    public static double? CpuSeconds(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            // Fields 14 and 15 of the man page; the list here starts at field 3.
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ClockTicks;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>Whether a QEMU still runs. Not ProcStat.IsAlive alone: a daemonized QEMU is the child of init, and an init that
/// reaps slowly (a container's, measured 1.3 s here) leaves an exited QEMU as a zombie that still has its /proc entry.</summary>
