using Vessel.Linux;

namespace Vessel.Engines.Container.Tests.Cgroups;

/// <summary>This machine's cgroup layout, read the way the host probe reads it.</summary>
internal static class HostCgroups
{
    public const string TestParent = "vessel-test";

    private static readonly Lazy<CgroupLayout> Detected = new(() =>
    {
        var mountinfo = File.ReadAllText("/proc/self/mountinfo");
        var unified = CgroupDetector.Parse(mountinfo, null).UnifiedMount;
        var controllers = unified is null ? null : File.ReadAllText(Path.Join(unified, "cgroup.controllers"));
        return CgroupDetector.Parse(mountinfo, controllers);
    });

    public static CgroupLayout Layout => Detected.Value;

    /// <summary>Null when the real v1 tests can run here; otherwise why not.</summary>
    public static string? WhyNotV1Root() =>
        !Environment.IsPrivilegedProcess ? "needs root"
        : !Layout.V1Mounts.ContainsKey("memory") ? "needs cgroup v1 hierarchies (this host has none)"
        : null;

    public static string FileOf(string controller, string path, string name) => Path.Join(Layout.V1Mounts[controller], path, name);

    public static string Read(string controller, string path, string name) => File.ReadAllText(FileOf(controller, path, name)).Trim();
}
