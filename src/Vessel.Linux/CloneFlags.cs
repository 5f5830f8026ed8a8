namespace Vessel.Linux;

/// <summary>clone3 flags (include/uapi/linux/sched.h).</summary>
[Flags]
public enum CloneFlags : ulong
{
    None = 0,
    NewNamespace = 0x20000,
    NewCgroup = 0x02000000,
    NewUts = 0x04000000,
    NewIpc = 0x08000000,
    NewUser = 0x10000000,
    NewPid = 0x20000000,
    NewNet = 0x40000000,
    /// <summary>CLONE_INTO_CGROUP: the child starts in the cgroup2 directory given in clone_args.cgroup.</summary>
    IntoCgroup = 0x200000000,
}
