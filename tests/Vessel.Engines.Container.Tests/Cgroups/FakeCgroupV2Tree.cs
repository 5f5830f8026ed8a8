using Vessel.Linux;

namespace Vessel.Engines.Container.Tests.Cgroups;

/// <summary>
/// A cgroup2 hierarchy in a temp directory. <see cref="AddCgroup"/> makes the files the kernel would show
/// in a new cgroup whose parent enabled <c>controllers</c>, with their default values.
/// </summary>
internal sealed class FakeCgroupV2Tree : IDisposable
{
    public const string AllControllers = "cpuset cpu io memory hugetlb pids rdma misc";

    public FakeCgroupV2Tree(string rootControllers = AllControllers, string rootSubtreeControl = "")
    {
        Root = Directory.CreateTempSubdirectory("vessel-cgv2-").FullName;
        File.WriteAllText(Path.Join(Root, "cgroup.controllers"), rootControllers + "\n");
        File.WriteAllText(Path.Join(Root, "cgroup.subtree_control"), rootSubtreeControl + "\n");
        File.WriteAllText(Path.Join(Root, "cgroup.procs"), "1\n");
        Layout = new CgroupLayout(CgroupVersion.V2, Root, new Dictionary<string, string>(), rootControllers.Split(' '));
    }

    public string Root { get; }

    public CgroupLayout Layout { get; }

    /// <param name="controllers">Controllers whose files appear (those the parent enabled).</param>
    /// <param name="swap">Whether memory.swap.max exists.</param>
    /// <param name="ioWeightFile">io.weight (iocost), io.bfq.weight (BFQ) or null (neither).</param>
    /// <param name="kill">Whether cgroup.kill exists (Linux 5.14 and later).</param>
    public void AddCgroup(string path, string controllers = "cpuset cpu io memory pids", bool swap = true,
        string? ioWeightFile = "io.weight", bool kill = true)
    {
        var segments = path.Split('/');
        for (var depth = 1; depth <= segments.Length; depth++)
        {
            var directory = Path.Join(Root, string.Join('/', segments[..depth]));
            if (!Directory.Exists(directory))
                AddFiles(directory, controllers.Split(' ', StringSplitOptions.RemoveEmptyEntries), swap, ioWeightFile, kill);
        }
    }

    private static void AddFiles(string directory, string[] controllers, bool swap, string? ioWeightFile, bool kill)
    {
        Directory.CreateDirectory(directory);
        var files = new Dictionary<string, string>
        {
            ["cgroup.controllers"] = string.Join(' ', controllers) + "\n",
            ["cgroup.subtree_control"] = "\n",
            ["cgroup.procs"] = "",
            ["cgroup.events"] = "populated 0\nfrozen 0\n",
            ["cgroup.freeze"] = "0\n",
            ["cpu.stat"] = "usage_usec 0\nuser_usec 0\nsystem_usec 0\n",
        };
        if (kill)
            files["cgroup.kill"] = "";
        if (controllers.Contains("cpu"))
        {
            files["cpu.weight"] = "100\n";
            files["cpu.max"] = "max 100000\n";
        }
        if (controllers.Contains("cpuset"))
            files["cpuset.cpus"] = "\n";
        if (controllers.Contains("memory"))
        {
            files["memory.max"] = "max\n";
            files["memory.current"] = "0\n";
            files["memory.peak"] = "0\n";
            files["memory.events"] = "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n";
            if (swap)
                files["memory.swap.max"] = "max\n";
        }
        if (controllers.Contains("pids"))
        {
            files["pids.max"] = "max\n";
            files["pids.current"] = "0\n";
        }
        if (controllers.Contains("io"))
        {
            files["io.stat"] = "";
            if (ioWeightFile is not null)
                files[ioWeightFile] = "default 100\n";
        }
        foreach (var (name, text) in files)
            File.WriteAllText(Path.Join(directory, name), text);
    }

    public string FileOf(string path, string name) => Path.Join(Root, path, name);

    /// <summary>The file's text without surrounding whitespace.</summary>
    public string Read(string path, string name) => File.ReadAllText(FileOf(path, name)).Trim();

    public void Write(string path, string name, string text) => File.WriteAllText(FileOf(path, name), text);

    public void Delete(string path, string name) => File.Delete(FileOf(path, name));

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
