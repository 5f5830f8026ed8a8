using IOPath = System.IO.Path;

namespace Vessel.Engines.Container.Cgroups;

/// <summary>A cgroup on v1 hierarchies: one directory per mounted controller, all at the same relative path.</summary>
internal sealed partial class CgroupV1(string path, IReadOnlyDictionary<string, string> mounts, CgroupTimings timings) : ICgroup
{
    // The hierarchies a container joins; for the others (net_cls, perf_event, hugetlb…) it stays where it was born.
    // "unified" is a hybrid host's cgroup2 hierarchy: no limits there, but a container's systemd keeps its tree in it.
    private static readonly string[] Controllers = ["cpu", "cpuacct", "cpuset", "memory", "pids", "blkio", "devices", "freezer", Cgroup.Unified];

    public string Path { get; } = path;

    public void Create()
    {
        foreach (var controller in Controllers)
        {
            if (!mounts.TryGetValue(controller, out var mount))
                continue;
            if (controller == "cpuset")
                CreateCpuset(mount);
            else
                Directory.CreateDirectory(IOPath.Join(mount, Path));
        }
        if (mounts.TryGetValue("devices", out var devices) && CgroupFile.Exists(IOPath.Join(devices, Path), "devices.deny"))
            RestrictDevices(IOPath.Join(devices, Path));
    }

    /// <summary>
    /// Only the devices a container's /dev holds, and new ptys: without this a privileged container (root, with
    /// CAP_MKNOD) could make and open the host's disks.
    /// </summary>
    private static void RestrictDevices(string directory)
    {
        CgroupFile.Write(directory, "devices.deny", "a");
        foreach (var rule in AllowedDevices)
            CgroupFile.Write(directory, "devices.allow", rule);
    }

    // null, zero, full, random, urandom, tty, console, ptmx, the ptys, and mknod of anything (opening is what counts).
    private static readonly string[] AllowedDevices =
    [
        "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm",
        "c 136:* rwm", "c *:* m", "b *:* m",
    ];

    // A new cpuset cgroup starts with no CPUs and no memory nodes, and refuses tasks until both are set:
    // every level takes its parent's, top down.
    private void CreateCpuset(string mount)
    {
        var parent = mount;
        foreach (var segment in Path.Split('/'))
        {
            var directory = IOPath.Join(parent, segment);
            Directory.CreateDirectory(directory);
            foreach (var file in (string[])["cpuset.cpus", "cpuset.mems"])
            {
                if (CgroupFile.Read(directory, file).Trim().Length == 0)
                    CgroupFile.Write(directory, file, CgroupFile.Read(parent, file).Trim());
            }
            parent = directory;
        }
    }

    public void Delegate(int uid, int gid)
    {
        if (mounts.TryGetValue(Cgroup.Unified, out var unified))
            Cgroup.DelegateDirectory(IOPath.Join(unified, Path), uid, gid);
    }

    public void AddProcess(int pid)
    {
        foreach (var directory in Directories())
            CgroupFile.Write(directory, "cgroup.procs", pid);
    }

    public CgroupEntry OpenEntry()
    {
        // A hybrid host's cgroup2 hierarchy has no tasks file: the process is cloned into it.
        var unified = mounts.TryGetValue(Cgroup.Unified, out var mount) ? IOPath.Join(mount, Path) : null;
        return new CgroupEntry(unified, Directories().Where(directory => directory != unified));
    }

    public IReadOnlyList<int> Processes() =>
        [.. Directories().Where(Directory.Exists).SelectMany(CgroupFile.ReadPids).Distinct().Order()];

    public void KillAll() => CgroupKiller.KillEach(this, mounts.ContainsKey("freezer"), timings.Kill);

    public void Delete()
    {
        var left = Processes();
        if (left.Count > 0)
            throw new CgroupException($"cannot delete cgroup {Path}: processes {string.Join(", ", left)} are still in it");
        foreach (var directory in Directories())
            CgroupTree.Remove(directory, timings.Remove);
    }

    public CgroupUsage ReadUsage()
    {
        var cpuacct = DirectoryOf("cpuacct", "cpuacct.usage");
        var memory = DirectoryOf("memory", "memory.usage_in_bytes");
        var pids = DirectoryOf("pids", "pids.current");
        return new CgroupUsage(
            CpuSeconds: CgroupFile.ReadLong(cpuacct, "cpuacct.usage") / 1e9,
            MemoryBytes: CgroupFile.ReadLong(memory, "memory.usage_in_bytes"),
            MemoryPeakBytes: CgroupFile.ReadLong(memory, "memory.max_usage_in_bytes"),
            Processes: CgroupFile.ReadLong(pids, "pids.current"),
            OomKills: CgroupFile.ReadKeyed(memory, "memory.oom_control", "oom_kill"));
    }

    /// <summary>This cgroup's directory in every mounted hierarchy, each once (cpu and cpuacct often share one).</summary>
    private IEnumerable<string> Directories() =>
        Controllers.Where(mounts.ContainsKey).Select(c => IOPath.Join(mounts[c], Path)).Distinct(StringComparer.Ordinal);

    private string DirectoryOf(string controller, string file) =>
        TryDirectoryOf(controller, file, needed: true)!;

    /// <returns>This cgroup's directory for <paramref name="controller"/>; null when it is not mounted and not
    /// <paramref name="needed"/> (resetting a limit nobody can set is no work).</returns>
    private string? TryDirectoryOf(string controller, string file, bool needed)
    {
        if (mounts.TryGetValue(controller, out var mount))
            return IOPath.Join(mount, Path);
        return needed
            ? throw new CgroupException($"cgroup v1 controller '{controller}' is not mounted; {file} of cgroup {Path} cannot be used")
            : null;
    }
}
