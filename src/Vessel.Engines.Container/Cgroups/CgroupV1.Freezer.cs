namespace Vessel.Engines.Container.Cgroups;

internal sealed partial class CgroupV1
{
    private const string FreezerState = "freezer.state";

    public bool IsFrozen => State() == "FROZEN";

    public void Freeze()
    {
        var freezer = DirectoryOf("freezer", FreezerState);
        CgroupFile.Write(freezer, FreezerState, "FROZEN");
        // FREEZING means some task has not stopped yet; writing FROZEN again retries the ones that
        // slipped through (a task forked mid-freeze), as runc does.
        if (!Poll.Until(() => IsFrozen, timings.Freeze, () => CgroupFile.Write(freezer, FreezerState, "FROZEN")))
        {
            var state = State();
            CgroupFile.Write(freezer, FreezerState, "THAWED");
            throw new CgroupException(
                $"cgroup {Path} did not freeze within {timings.Freeze.TotalSeconds:0.#}s: {freezer}/{FreezerState} stayed {state}; thawed it again");
        }
    }

    public void Thaw() => CgroupFile.Write(DirectoryOf("freezer", FreezerState), FreezerState, "THAWED");

    private string State() => CgroupFile.Read(DirectoryOf("freezer", FreezerState), FreezerState).Trim();
}
