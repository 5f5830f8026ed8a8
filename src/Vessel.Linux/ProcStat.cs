using System.Globalization;

namespace Vessel.Linux;

/// <summary>Fields of /proc/PID/stat.</summary>
public static class ProcStat
{
    /// <summary>When the process started, in clock ticks after boot; null when it does not exist. With the pid
    /// it names one process for good: a reused pid has a later start time.</summary>
    public static long? StartTime(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return null;
        }
        // The command name (field 2) may hold spaces and parentheses; the fields after its last ')' are plain.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[19], CultureInfo.InvariantCulture); // field 22 of the man page
    }

    /// <summary>Whether the process with this pid is the one that started at this time.</summary>
    public static bool IsAlive(int pid, long startTime) => StartTime(pid) == startTime;
}
