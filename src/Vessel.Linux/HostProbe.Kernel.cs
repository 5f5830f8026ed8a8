namespace Vessel.Linux;

public static partial class HostProbe
{
    private static HostCheck UserNamespaces(HostFiles files)
    {
        const string name = "user namespaces";
        const string fix = "sysctl -w user.max_user_namespaces=15000";
        var max = files.ReadText("/proc/sys/user/max_user_namespaces")?.Trim();
        if (max is null)
        {
            return HostCheck.Warn(name, "kernel without user namespaces (no /proc/sys/user/max_user_namespaces)", "use a kernel built with CONFIG_USER_NS");
        }

        // Debian's own switch for unprivileged users; Vessel creates namespaces as root, so it only informs.
        var clone = files.ReadText("/proc/sys/kernel/unprivileged_userns_clone")?.Trim();
        var detail = $"max_user_namespaces={max}" + (clone is null ? "" : $", unprivileged_userns_clone={clone}");
        return long.TryParse(max, out var limit) && limit > 0
            ? HostCheck.Ok(name, detail)
            : HostCheck.Warn(name, detail, fix);
    }

    private static HostCheck Filesystem(HostFiles files, string name, string fsType, string moduleDirectory, string fix)
    {
        var registered = (files.ReadText("/proc/filesystems") ?? "")
            .Split('\n')
            .Any(line => line.Split('\t', StringSplitOptions.TrimEntries).LastOrDefault() == fsType);
        if (registered)
        {
            return HostCheck.Ok(name, $"{fsType} listed in /proc/filesystems");
        }

        return HasModule(files, $"kernel/fs/{moduleDirectory}")
            ? HostCheck.Ok(name, "available as module")
            : HostCheck.Warn(name, $"{fsType} not in /proc/filesystems and no module found", fix);
    }

    private static HostCheck Bridge(HostFiles files)
    {
        const string name = "bridge";
        if (files.Exists("/sys/module/bridge"))
        {
            return HostCheck.Ok(name, "bridge module loaded");
        }

        return HasModule(files, "kernel/net/bridge")
            ? HostCheck.Ok(name, "available as module")
            : HostCheck.Warn(name, "bridge module neither loaded nor installed", "modprobe bridge");
    }

    private static HostCheck Tun(HostFiles files)
    {
        const string name = "tun";
        return files.Exists("/dev/net/tun")
            ? HostCheck.Ok(name, "/dev/net/tun present")
            : HostCheck.Warn(name, "/dev/net/tun missing", "modprobe tun");
    }

    private static HostCheck Systemd(HostFiles files)
    {
        const string name = "systemd";
        var comm = files.ReadText("/proc/1/comm")?.Trim();
        return comm == "systemd"
            ? HostCheck.Ok(name, "running as PID 1")
            : HostCheck.Ok(name, $"not running (PID 1 is {comm ?? "unknown"}): vesseld runs as a background daemon with a pid file");
    }

    private static bool HasModule(HostFiles files, string relativeDirectory) =>
        files.KernelRelease() is { Length: > 0 } release
        && files.DirectoryHasFiles($"/lib/modules/{release}/{relativeDirectory}");
}
