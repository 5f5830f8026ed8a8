namespace Vessel.Engines.Container.Tests.Cgroups;

/// <summary>A test that changes this host's real cgroup v1 hierarchies: skipped unless root on a v1 or hybrid host.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RootV1FactAttribute : FactAttribute
{
    public RootV1FactAttribute()
    {
        if (HostCgroups.WhyNotV1Root() is { } reason)
            Skip = reason;
    }
}
