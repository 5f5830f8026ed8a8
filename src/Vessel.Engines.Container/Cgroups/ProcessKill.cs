using System.ComponentModel;
using System.Diagnostics;

namespace Vessel.Engines.Container.Cgroups;

internal static class ProcessKill
{
    /// <summary>Sends SIGKILL to <paramref name="pid"/>; a process already gone is not an error.</summary>
    // Process.Kill is kill(pid, SIGKILL) on Linux; Vessel.Linux keeps its own kill(2) binding internal.
    public static void Kill(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // Exited between reading cgroup.procs and here.
        }
        catch (Win32Exception e)
        {
            throw new CgroupException($"cannot kill process {pid}: {e.Message}", e);
        }
    }
}
