using Vessel.Linux;

namespace Vessel.Engines.Container.Tests.Cgroups;

/// <summary>
/// v1 hierarchies in a temp directory, one folder per controller, holding the files the kernel would
/// show with their default values (cgroupfs makes them on mkdir; here <see cref="AddCgroup"/> does).
/// </summary>
internal sealed class FakeCgroupV1Tree : IDisposable
{
    public static readonly string[] AllControllers = ["cpu", "cpuacct", "cpuset", "memory", "pids", "blkio", "devices", "freezer"];

    private readonly string _root = Directory.CreateTempSubdirectory("vessel-cgv1-").FullName;

    /// <param name="controllers">Mounted controllers; the rest are absent from the layout.</param>
    /// <param name="memsw">Whether memory.memsw.* exists (swap accounting on).</param>
    /// <param name="ioWeightFile">blkio.weight (CFQ), blkio.bfq.weight (BFQ) or null (neither).</param>
    public FakeCgroupV1Tree(IEnumerable<string>? controllers = null, bool memsw = true, string? ioWeightFile = "blkio.weight")
    {
        Memsw = memsw;
        IoWeightFile = ioWeightFile;
        var mounts = new Dictionary<string, string>();
        foreach (var controller in controllers ?? AllControllers)
        {
            mounts[controller] = Path.Join(_root, controller);
            Directory.CreateDirectory(mounts[controller]);
            File.WriteAllText(Path.Join(mounts[controller], "cgroup.procs"), "");
        }
        if (mounts.TryGetValue("cpuset", out var cpuset))
        {
            File.WriteAllText(Path.Join(cpuset, "cpuset.cpus"), "0-3\n");
            File.WriteAllText(Path.Join(cpuset, "cpuset.mems"), "0\n");
        }
        Layout = new CgroupLayout(CgroupVersion.V1, null, mounts, [.. mounts.Keys]);
    }

    public CgroupLayout Layout { get; }

    private bool Memsw { get; }

    private string? IoWeightFile { get; }

    /// <summary>Makes <paramref name="path"/> and its ancestors in every hierarchy, as mkdir on cgroupfs would.</summary>
    public void AddCgroup(string path)
    {
        var segments = path.Split('/');
        for (var depth = 1; depth <= segments.Length; depth++)
        {
            var level = string.Join('/', segments[..depth]);
            foreach (var (controller, mount) in Layout.V1Mounts)
                AddFiles(controller, Path.Join(mount, level));
        }
    }

    private void AddFiles(string controller, string directory)
    {
        if (Directory.Exists(directory))
            return;
        Directory.CreateDirectory(directory);
        var files = new Dictionary<string, string> { ["cgroup.procs"] = "", ["tasks"] = "" };
        switch (controller)
        {
            case "cpu":
                files["cpu.shares"] = "1024\n";
                files["cpu.cfs_quota_us"] = "-1\n";
                files["cpu.cfs_period_us"] = "100000\n";
                break;
            case "cpuacct":
                files["cpuacct.usage"] = "0\n";
                break;
            case "cpuset":
                files["cpuset.cpus"] = "\n";
                files["cpuset.mems"] = "\n";
                break;
            case "memory":
                files["memory.limit_in_bytes"] = "9223372036854771712\n";
                files["memory.usage_in_bytes"] = "0\n";
                files["memory.max_usage_in_bytes"] = "0\n";
                files["memory.oom_control"] = "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n";
                if (Memsw)
                    files["memory.memsw.limit_in_bytes"] = "9223372036854771712\n";
                break;
            case "pids":
                files["pids.max"] = "max\n";
                files["pids.current"] = "0\n";
                break;
            case "blkio" when IoWeightFile is not null:
                files[IoWeightFile] = IoWeightFile == "blkio.weight" ? "500\n" : "100\n";
                break;
            case "freezer":
                files["freezer.state"] = "THAWED\n";
                break;
            case "devices":
                files["devices.deny"] = "";
                files["devices.allow"] = "";
                files["devices.list"] = "a *:* rwm\n";
                break;
        }
        foreach (var (name, text) in files)
            File.WriteAllText(Path.Join(directory, name), text);
    }

    public string FileOf(string controller, string path, string name) => Path.Join(Layout.V1Mounts[controller], path, name);

    /// <summary>The file's text without surrounding whitespace.</summary>
    public string Read(string controller, string path, string name) => File.ReadAllText(FileOf(controller, path, name)).Trim();

    public void Write(string controller, string path, string name, string text) => File.WriteAllText(FileOf(controller, path, name), text);

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
