using Microsoft.Win32.SafeHandles;
using Vessel.Linux;
using Vessel.Linux.Spawn;

namespace Vessel.Engines.Container.Cgroups;

/// <summary>
/// What a process spawned into a cgroup needs to enter it by itself as it starts (see <see cref="ICgroup.OpenEntry"/>):
/// a cgroup2 directory to be cloned into and v1 tasks files to write itself to. Neither waits for the RCU grace period
/// that another process writing its pid to cgroup.procs costs.
/// </summary>
public sealed class CgroupEntry : IDisposable
{
    private const int ODirectory = 0x10000, OWronly = 1;

    private readonly SafeFileHandle? _directory;
    private readonly List<SafeFileHandle> _tasks = [];

    internal CgroupEntry(string? cgroup2Directory, IEnumerable<string> v1Directories)
    {
        try
        {
            if (cgroup2Directory is not null)
                _directory = Open(cgroup2Directory, ODirectory);
            foreach (var directory in v1Directories)
                _tasks.Add(Open(Path.Join(directory, "tasks"), OWronly));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private static SafeFileHandle Open(string path, int flags)
    {
        try
        {
            return Fds.Open(path, flags);
        }
        catch (LinuxException e)
        {
            throw new CgroupException($"cannot open {path} to join its cgroup: {e.Message}", e);
        }
    }

    /// <summary>The options with this cgroup's entry added; valid while this object is.</summary>
    public SpawnOptions AddTo(SpawnOptions options) => options with
    {
        CgroupFd = _directory is null ? -1 : Fds.Number(_directory),
        CgroupTaskFds = [.. _tasks.Select(Fds.Number)],
    };

    public void Dispose()
    {
        _directory?.Dispose();
        foreach (var task in _tasks)
            task.Dispose();
    }
}
