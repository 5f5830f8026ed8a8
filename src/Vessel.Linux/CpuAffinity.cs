using System.Globalization;

namespace Vessel.Linux;

/// <summary>The CPUs a thread may run on (sched_getaffinity/sched_setaffinity), as a bit mask of up to 1,024 CPUs.</summary>
public static class CpuAffinity
{
    private const int Words = 16;
    private const int Esrch = 3;

    /// <summary>The thread's mask; null when it is gone.</summary>
    public static ulong[]? Get(int tid)
    {
        var mask = new ulong[Words];
        return Interop.SchedGetaffinity(tid, Words * sizeof(ulong), mask) == 0 ? mask : null;
    }

    /// <summary>Sets the thread's mask; a thread that is gone is no error.</summary>
    public static void Set(int tid, ulong[] mask)
    {
        if (Interop.SchedSetaffinity(tid, Words * sizeof(ulong), mask) != 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() != Esrch)
            LinuxException.ThrowIfFailed(-1, $"sched_setaffinity {tid}");
    }

    /// <summary>The mask as hex words, lowest CPUs first, for a file; <see cref="Parse"/> reads it back.</summary>
    public static string Format(ulong[] mask) => string.Join(',', mask.Select(w => w.ToString("x", CultureInfo.InvariantCulture)));

    public static ulong[] Parse(string text) =>
        [.. text.Trim().Split(',').Select(w => ulong.Parse(w, NumberStyles.HexNumber, CultureInfo.InvariantCulture))];

    /// <summary>A mask of the one CPU the thread last ran on; null when it is gone.</summary>
    public static ulong[]? LastCpuOf(int pid, int tid)
    {
        if (ProcStat.LastCpu(pid, tid) is not { } cpu)
            return null;
        var mask = new ulong[Words];
        mask[cpu / 64] = 1UL << (cpu % 64);
        return mask;
    }

    /// <summary>The ids of the process's threads now.</summary>
    public static IEnumerable<int> Threads(int pid)
    {
        try
        {
            return [.. Directory.EnumerateDirectories($"/proc/{pid}/task").Select(d => int.Parse(Path.GetFileName(d), CultureInfo.InvariantCulture))];
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
    }
}
