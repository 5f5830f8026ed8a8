namespace Vessel.Linux;

public enum CgroupVersion
{
    None,
    V1,
    V2,

    /// <summary>Controllers on v1 hierarchies and a cgroup2 mount beside them (systemd's "hybrid" mode).</summary>
    Hybrid,
}
