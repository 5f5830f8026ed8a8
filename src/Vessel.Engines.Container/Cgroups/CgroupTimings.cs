namespace Vessel.Engines.Container.Cgroups;

/// <summary>How long the cgroup operations that wait for the kernel may take before they give up.</summary>
/// <param name="Freeze">Until every task reports frozen.</param>
/// <param name="Kill">Until the last killed process has left the cgroup.</param>
/// <param name="Remove">Retrying rmdir while the last tasks finish exiting (EBUSY).</param>
internal sealed record CgroupTimings(TimeSpan Freeze, TimeSpan Kill, TimeSpan Remove)
{
    public static CgroupTimings Default { get; } = new(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2));

    public static TimeSpan PollInterval { get; } = TimeSpan.FromMilliseconds(5);
}
