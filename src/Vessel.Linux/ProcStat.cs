using System.Globalization;

namespace Vessel.Linux;

/// <summary>Fields of /proc/PID/stat.</summary>
public static class ProcStat
{
    /// <summary>When the process started, in clock ticks after boot; null when it does not exist. With the pid
    /// it names one process for good: a reused pid has a later start time.</summary>
    public static long? StartTime(int pid) =>
        Fields(pid) is { } fields ? long.Parse(fields[19], CultureInfo.InvariantCulture) : null; // field 22 of the man page

    /// <summary>
    /// Waits until the process started at that time has exited, or the timeout (which may be infinite) passes. Its exit ends
    /// the wait at once; the steps only let a cancellation, or a pid that names another process by now, be seen.
    /// </summary>
    public static async Task WaitForExitAsync(int pid, long startTime, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = timeout == Timeout.InfiniteTimeSpan ? DateTime.MaxValue : DateTime.UtcNow + timeout;
        while (IsAlive(pid, startTime) && DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var left = deadline - DateTime.UtcNow;
            await Processes.WaitForExitAsync(pid, left < WaitStep ? left : WaitStep);
        }
    }

    private static readonly TimeSpan WaitStep = TimeSpan.FromSeconds(1);

    /// <summary>Whether a process with this pid exists and has not exited (a zombie has).</summary>
    public static bool IsRunning(int pid) => Fields(pid) is { } fields && fields[0] is not ("Z" or "X" or "x");

    /// <summary>The CPU the thread last ran on (field 39 of the man page); null when it is gone.</summary>
    public static int? LastCpu(int pid, int tid) =>
        Fields($"/proc/{pid}/task/{tid}/stat") is { } fields ? int.Parse(fields[36], CultureInfo.InvariantCulture) : null;

    private static string[]? Fields(int pid) => Fields($"/proc/{pid}/stat");

    /// <summary>The fields from the state (field 3 of the man page) on, or null when the process or thread does not exist.</summary>
    private static string[]? Fields(string statFile)
    {
        string text;
        try
        {
            text = File.ReadAllText(statFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // The command name (field 2) may hold spaces and parentheses; the fields after its last ')' are plain.
        return text[(text.LastIndexOf(')') + 2)..].Split(' ');
    }

    /// <summary>
    /// Whether the process with this pid is the one that started at this time and has not exited. A zombie
    /// counts as gone: its parent may reap it late (some PID 1s take over a second to reap orphans).
    /// </summary>
    public static bool IsAlive(int pid, long startTime) => Fields(pid) is { } fields
        && fields[0] is not ("Z" or "X" or "x")
        && long.Parse(fields[19], CultureInfo.InvariantCulture) == startTime;
}
