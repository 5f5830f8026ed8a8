namespace Vessel.Engines.Container.Init;

/// <summary>The /proc and /sys paths a container must not read or write (the lists runc and Docker apply).</summary>
internal static class ContainerPaths
{
    public static readonly string[] ReadOnly = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    public static readonly string[] Masked =
    [
        "/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/sched_debug", "/proc/scsi", "/proc/timer_list", "/proc/timer_stats", "/sys/devices/virtual/powercap",
        "/sys/firmware",
    ];

    /// <summary>The device nodes a container gets, bound from the host's (mknod is refused in a user namespace).</summary>
    public static readonly string[] Devices = ["null", "zero", "full", "random", "urandom", "tty"];

    public static readonly (string Link, string Target)[] DevLinks =
    [
        ("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2"),
        ("ptmx", "pts/ptmx"),
    ];
}
