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

    /// <summary>
    /// A detached copy of the mount tree at the path (open_tree with OPEN_TREE_CLONE), to be attached elsewhere with
    /// <see cref="MoveMount"/>: taken while the path is reachable, attached after pivot_root or in another mount namespace.
    /// </summary>
    public static Microsoft.Win32.SafeHandles.SafeFileHandle OpenTree(string path, bool readOnly)
    {
        var name = System.Runtime.InteropServices.Marshal.StringToCoTaskMemUTF8(path);
        try
        {
            const int Clone = 1, CloseOnExec = 0x80000, Recursive = 0x8000;
            var fd = (int)LinuxException.ThrowIfFailed(Interop.Syscall(SyscallNumbers.OpenTree, -100 /* AT_FDCWD */, name, Clone | CloseOnExec | Recursive, 0, 0),
                $"open_tree {path}");
            var tree = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
            SetAttributes(tree, path, readOnly);
            return tree;
        }
        finally
        {
            System.Runtime.InteropServices.Marshal.FreeCoTaskMem(name);
        }
    }

    /// <summary>
    /// mount_setattr on every mount of a detached tree: private (a clone keeps the source's peer group, so mounts made under
    /// it in one container would show on the host and in every other container with the volume), read-only where asked.
    /// </summary>
    private static unsafe void SetAttributes(Microsoft.Win32.SafeHandles.SafeFileHandle tree, string path, bool readOnly)
    {
        // struct mount_attr { attr_set, attr_clr, propagation, userns_fd }
        var attr = stackalloc ulong[4] { readOnly ? 1UL /* MOUNT_ATTR_RDONLY */ : 0, 0, Private, 0 };
        var empty = stackalloc byte[1] { 0 };
        LinuxException.ThrowIfFailed(Interop.Syscall(SyscallNumbers.MountSetattr, Fds.Number(tree), (nint)empty,
            0x1000 /* AT_EMPTY_PATH */ | 0x8000 /* AT_RECURSIVE */, (nint)attr, 32), $"mount_setattr {path}");
    }

    /// <summary>Attaches a tree from <see cref="OpenTree"/> at the target (move_mount with MOVE_MOUNT_F_EMPTY_PATH).</summary>
    public static unsafe void MoveMount(Microsoft.Win32.SafeHandles.SafeFileHandle tree, string target)
    {
        var empty = stackalloc byte[1] { 0 };
        var name = System.Runtime.InteropServices.Marshal.StringToCoTaskMemUTF8(target);
        try
        {
            LinuxException.ThrowIfFailed(Interop.Syscall(SyscallNumbers.MoveMount, Fds.Number(tree), (nint)empty, -100 /* AT_FDCWD */, name,
                4 /* MOVE_MOUNT_F_EMPTY_PATH */), $"move_mount to {target}");
        }
        finally
        {
            System.Runtime.InteropServices.Marshal.FreeCoTaskMem(name);
        }
    }

    private static readonly nint Dot = System.Runtime.InteropServices.Marshal.StringToCoTaskMemUTF8(".");
}
