namespace Vessel.Linux;

/// <summary>mount(2) and friends, with errors that say what was being mounted where.</summary>
public static class Mounts
{
    public const ulong ReadOnly = 1, NoSuid = 2, NoDev = 4, NoExec = 8, Remount = 32, Bind = 4096, Recursive = 16384,
        Private = 1 << 18, Slave = 1 << 19, StrictAtime = 1 << 24;
    private const int Detach = 2;

    public static void Mount(string? source, string target, string? fileSystemType, ulong flags, string? data = null) =>
        LinuxException.ThrowIfFailed(Interop.Mount(source, target, fileSystemType, flags, data),
            $"mount {fileSystemType ?? "bind"} {source} on {target}{(data is null ? "" : $" ({data})")}");

    public static void BindMount(string source, string target, bool recursive = false) =>
        Mount(source, target, null, Bind | (recursive ? Recursive : 0));

    /// <summary>Makes an existing bind mount read-only, keeping the flags a user namespace locks on it.</summary>
    public static void RemountReadOnly(string target, ulong keepFlags = 0) =>
        Mount(null, target, null, Bind | Remount | ReadOnly | keepFlags);

    /// <summary>Stops mount events under the path from reaching the host (and the host's from reaching us).</summary>
    public static void MakeSlave(string target) => Mount(null, target, null, Slave | Recursive);

    public static void Unmount(string target, bool detach = false) =>
        LinuxException.ThrowIfFailed(Interop.Umount2(target, detach ? Detach : 0), $"umount {target}");

    /// <summary>Makes the directory the new root of this mount namespace and detaches the old one.</summary>
    public static void PivotRoot(string newRoot)
    {
        LinuxException.ThrowIfFailed(Interop.Chdir(newRoot), $"chdir {newRoot}");
        // pivot_root(".", ".") stacks the old root on top of the new one; unmounting "." then drops it.
        LinuxException.ThrowIfFailed(Interop.Syscall(SyscallNumbers.PivotRoot, Dot, Dot, 0, 0, 0), $"pivot_root {newRoot}");
        MakeSlave(".");
        Unmount(".", detach: true);
        LinuxException.ThrowIfFailed(Interop.Chdir("/"), "chdir /");
    }

    private static readonly nint Dot = System.Runtime.InteropServices.Marshal.StringToCoTaskMemUTF8(".");
}
