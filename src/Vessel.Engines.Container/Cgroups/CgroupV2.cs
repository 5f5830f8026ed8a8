using IOPath = System.IO.Path;

namespace Vessel.Engines.Container.Cgroups;

/// <summary>A cgroup on the unified (v2) hierarchy: one directory, controllers enabled from above.</summary>
internal sealed partial class CgroupV2(string path, string root, CgroupTimings timings) : ICgroup
{
    // The controllers a container's limits use; freezing and killing are core files, no controller.
    private static readonly string[] Wanted = ["cpu", "cpuset", "memory", "pids", "io"];

    private readonly string _directory = IOPath.Join(root, path);

    public string Path { get; } = path;

    public void Create()
    {
        var parent = root;
        foreach (var segment in Path.Split('/'))
        {
            EnableControllers(parent);
            parent = IOPath.Join(parent, segment);
            Directory.CreateDirectory(parent);
        }
    }

    public void Delegate(int uid, int gid) => Cgroup.DelegateDirectory(IOPath.Join(root, Path), uid, gid);

    // A controller's files appear in a cgroup only when its parent lists it in cgroup.subtree_control,
    // and a parent can offer only what its own cgroup.controllers has.
    private static void EnableControllers(string directory)
    {
        var available = Words(CgroupFile.Read(directory, "cgroup.controllers"));
        var enabled = Words(CgroupFile.Read(directory, "cgroup.subtree_control"));
        var missing = Wanted.Where(c => available.Contains(c) && !enabled.Contains(c)).ToList();
        if (missing.Count > 0)
            CgroupFile.Write(directory, "cgroup.subtree_control", string.Join(' ', missing.Select(c => "+" + c)));
    }

    public void AddProcess(int pid) => CgroupFile.Write(_directory, "cgroup.procs", pid);

    public CgroupEntry OpenEntry() => new(_directory, []);

    public IReadOnlyList<int> Processes() =>
        Directory.Exists(_directory) ? [.. CgroupFile.ReadPids(_directory).Distinct().Order()] : [];

    public void KillAll()
    {
        if (!CgroupFile.Exists(_directory, "cgroup.kill"))
        {
            // Before Linux 5.14.
            CgroupKiller.KillEach(this, CgroupFile.Exists(_directory, "cgroup.freeze"), timings.Kill);
            return;
        }
        CgroupFile.Write(_directory, "cgroup.kill", "1");
        if (!Poll.Until(() => Processes().Count == 0, timings.Kill))
        {
            throw new CgroupException(
                $"processes {string.Join(", ", Processes())} are still in cgroup {Path} {timings.Kill.TotalSeconds:0.#}s after cgroup.kill");
        }
    }

    public void Delete()
    {
        var left = Processes();
        if (left.Count > 0)
            throw new CgroupException($"cannot delete cgroup {Path}: processes {string.Join(", ", left)} are still in it");
        CgroupTree.Remove(_directory, timings.Remove);
    }

    public CgroupUsage ReadUsage()
    {
        var memory = DirectoryOf("memory", "memory.current");
        var current = CgroupFile.ReadLong(memory, "memory.current");
        return new CgroupUsage(
            CpuSeconds: CgroupFile.ReadKeyed(_directory, "cpu.stat", "usage_usec") / 1e6,
            MemoryBytes: current,
            // memory.peak came with Linux 5.19.
            MemoryPeakBytes: CgroupFile.Exists(memory, "memory.peak") ? CgroupFile.ReadLong(memory, "memory.peak") : current,
            Processes: CgroupFile.ReadLong(DirectoryOf("pids", "pids.current"), "pids.current"),
            OomKills: CgroupFile.ReadKeyed(memory, "memory.events", "oom_kill"));
    }

    private string DirectoryOf(string controller, string file) => TryDirectoryOf(controller, file, needed: true)!;

    /// <returns>This cgroup's directory when <paramref name="file"/> is in it; null when it is not and not
    /// <paramref name="needed"/> (resetting a limit nobody can set is no work).</returns>
    private string? TryDirectoryOf(string controller, string file, bool needed)
    {
        if (CgroupFile.Exists(_directory, file))
            return _directory;
        if (!needed)
            return null;
        if (!Directory.Exists(_directory))
            throw new CgroupException($"cgroup {Path} does not exist: {_directory} is missing");
        var parent = IOPath.GetDirectoryName(_directory)!;
        throw new CgroupException(
            $"cgroup v2 controller '{controller}' is not enabled for cgroup {Path}: {file} is missing in {_directory} "
            + $"(the parent offers: {Offered(parent)})");
    }

    private static string Offered(string directory)
    {
        var text = CgroupFile.Exists(directory, "cgroup.subtree_control") ? CgroupFile.Read(directory, "cgroup.subtree_control").Trim() : "";
        return text.Length == 0 ? "no controllers" : text;
    }

    private static HashSet<string> Words(string text) =>
        [.. text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)];
}
