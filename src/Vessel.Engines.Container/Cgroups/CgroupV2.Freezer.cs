namespace Vessel.Engines.Container.Cgroups;

internal sealed partial class CgroupV2
{
    public bool IsFrozen => CgroupFile.ReadKeyed(_directory, "cgroup.events", "frozen") == 1;

    public void Freeze()
    {
        RequireFreezer();
        CgroupFile.Write(_directory, "cgroup.freeze", "1");
        // cgroup.freeze is the wish; cgroup.events says when every task has actually stopped.
        if (!Poll.Until(() => IsFrozen, timings.Freeze))
        {
            CgroupFile.Write(_directory, "cgroup.freeze", "0");
            throw new CgroupException(
                $"cgroup {Path} did not freeze within {timings.Freeze.TotalSeconds:0.#}s: {_directory}/cgroup.events never said \"frozen 1\"; thawed it again");
        }
    }

    public void Thaw()
    {
        RequireFreezer();
        CgroupFile.Write(_directory, "cgroup.freeze", "0");
    }

    private void RequireFreezer()
    {
        if (Directory.Exists(_directory) && !CgroupFile.Exists(_directory, "cgroup.freeze"))
            throw new CgroupException($"the cgroup v2 freezer needs Linux 5.2 or later: cgroup.freeze is missing in {_directory}");
    }
}
