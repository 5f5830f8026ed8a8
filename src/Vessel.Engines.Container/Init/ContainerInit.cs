using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using Vessel.Linux;

namespace Vessel.Engines.Container.Init;

/// <summary>
/// Runs inside the new namespaces, as the container's root, before the container's own init: assembles the
/// root filesystem, mounts /proc, /sys and /dev, pivots into it, masks what must not be seen, cuts
/// capabilities, sets no_new_privs and the seccomp filter, and execs the init. Everything runs on the
/// main thread, which is the one that execs: namespace, capability and seccomp changes are per thread.
/// </summary>
public static class ContainerInit
{
    /// <summary>The spec arrives on fd 3; fd 4 carries an error back, and closes silently at exec.</summary>
    public const int SpecFd = 3, StatusFd = 4;

    /// <summary>Docker's default capabilities: CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, SETGID, SETUID, SETPCAP,
    /// NET_BIND_SERVICE, NET_RAW, SYS_CHROOT, MKNOD, AUDIT_WRITE, SETFCAP.</summary>
    public const ulong DefaultCapabilities = 0xA80425FB;

    private const ulong ProcFlags = Mounts.NoSuid | Mounts.NoDev | Mounts.NoExec;

    public static int Run()
    {
        Fds.SetCloseOnExec(StatusFd);
        using var status = new FileStream(new SafeFileHandle(StatusFd, ownsHandle: true), FileAccess.Write);
        try
        {
            ContainerSpec spec;
            using (var specStream = new FileStream(new SafeFileHandle(SpecFd, ownsHandle: true), FileAccess.Read))
                spec = JsonSerializer.Deserialize(specStream, ContainerJson.Default.ContainerSpec)
                    ?? throw new InvalidDataException("empty container spec");
            Prepare(spec);
            ProcessSetup.Exec(spec.Command[0], spec.Command, spec.Environment);
            return 0; // not reached
        }
        catch (Exception e)
        {
            status.Write(Encoding.UTF8.GetBytes(e.Message));
            return 1;
        }
    }

    private static void Prepare(ContainerSpec spec)
    {
        // Now that the shim has put us in the container's cgroup, its cgroup namespace is rooted there.
        ProcessSetup.Unshare(CloneFlags.NewCgroup);
        Mounts.MakeSlave("/");
        var root = spec.Rootfs;
        if (spec.ImageDirectory is null)
        {
            Mounts.BindMount(root, root, recursive: true); // pivot_root needs a mount point
        }
        else
        {
            var overlay = $"lowerdir={spec.ImageDirectory},upperdir={spec.UpperDirectory},workdir={spec.WorkDirectory}";
            Mounts.Mount("overlay", root, "overlay", 0, spec.Privileged ? overlay : overlay + ",userxattr");
        }

        MountProc(root);
        MountSys(root);
        MountDev(root);
        MountRun(root);
        // Volumes are taken while the host's paths are reachable and put in place after pivot_root, where their
        // targets are looked up inside the container: a link the container made cannot send them elsewhere.
        var volumes = spec.Mounts.Select(m => (m.Target, Tree: Mounts.OpenTree(m.Source, m.ReadOnly))).ToList();
        Mounts.PivotRoot(root);

        foreach (var path in ContainerPaths.ReadOnly.Where(Exists))
        {
            Mounts.BindMount(path, path, recursive: true);
            Mounts.RemountReadOnly(path, ProcFlags);
        }
        foreach (var path in ContainerPaths.Masked.Where(Exists))
        {
            if (Directory.Exists(path))
                Mounts.Mount("tmpfs", path, "tmpfs", Mounts.ReadOnly | ProcFlags, "nr_blocks=1,nr_inodes=2");
            else
                Mounts.BindMount("/dev/null", path);
        }

        // After the read-only and masked paths: a volume put over one of them cannot take its mask away.
        foreach (var (target, tree) in volumes)
        {
            Directory.CreateDirectory(target);
            Mounts.MoveMount(tree, target);
            tree.Dispose();
        }
        ProcessSetup.SetHostname(spec.Name);
        NetworkInterfaces.Up("lo");
        WriteResolvConf(spec.Nics);
        WriteCloudInitSeed(spec.CloudInitSeed);
        ProcessSetup.SetNoNewPrivileges();
        ProcessSetup.LimitCapabilities(DefaultCapabilities);
        ProcessSetup.InstallSeccomp(ContainerSeccomp.Filter());
    }

    /// <summary>
    /// Points /etc/resolv.conf at the networks' DNS (the shim has configured the nics, as DHCP would: the
    /// container's processes lack CAP_NET_ADMIN). Runs after pivot_root, so the file is the container's own;
    /// an image whose resolv.conf is a link (systemd-resolved's stub) manages it itself.
    /// </summary>
    private static void WriteResolvConf(IReadOnlyList<ContainerNic> nics)
    {
        var servers = nics.Where(n => n.Nameserver is not null).ToList();
        if (servers.Count == 0 || !Directory.Exists("/etc") || new FileInfo("/etc/resolv.conf").LinkTarget is not null)
            return;
        var domains = string.Join(' ', servers.Select(n => n.Domain).OfType<string>().Distinct());
        File.WriteAllText("/etc/resolv.conf", (domains.Length > 0 ? $"search {domains}\n" : "") +
            string.Concat(servers.Select(n => $"nameserver {n.Nameserver}\n").Distinct()));
    }

    /// <summary>
    /// Where cloud-init's NoCloud data source looks inside a container. Written after pivot_root as the container's root,
    /// so that no link the container made can send the writes outside it; readable by root only (user data holds secrets).
    /// </summary>
    private static void WriteCloudInitSeed(IReadOnlyDictionary<string, string>? files)
    {
        if (files is null)
            return;
        const string seed = "/var/lib/cloud/seed/nocloud-net";
        Directory.CreateDirectory(seed);
        foreach (var (name, text) in files)
        {
            var path = Path.Combine(seed, name);
            File.Delete(path);
            using var file = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            file.Write(Encoding.UTF8.GetBytes(text));
        }
    }

    private static bool Exists(string path) => File.Exists(path) || Directory.Exists(path);

    private static string Under(string root, string path)
    {
        var full = Path.Combine(root, path.TrimStart('/'));
        Directory.CreateDirectory(full);
        return full;
    }

    private static void MountProc(string root) => Mounts.Mount("proc", Under(root, "proc"), "proc", ProcFlags);

    private static void MountSys(string root)
    {
        var target = Under(root, "sys");
        try
        {
            Mounts.Mount("sysfs", target, "sysfs", ProcFlags | Mounts.ReadOnly);
        }
        catch (LinuxException e) when (e.Errno == Errno.EPERM)
        {
            // Not allowed a fresh sysfs here: show the host's, read-only.
            Mounts.BindMount("/sys", target, recursive: true);
            Mounts.RemountReadOnly(target, ProcFlags);
        }
        // The container's own cgroup2 tree (its cgroup namespace is rooted at its delegated cgroup), for an init
        // such as systemd. A host without a cgroup2 hierarchy has none to give.
        try
        {
            Mounts.Mount("cgroup2", Path.Combine(target, "fs/cgroup"), "cgroup2", ProcFlags);
        }
        catch (LinuxException)
        {
        }
    }

    /// <summary>/run and /run/lock as tmpfs, mounted for the init: the seccomp filter will not let it mount them.</summary>
    private static void MountRun(string root)
    {
        var run = Under(root, "run");
        Mounts.Mount("tmpfs", run, "tmpfs", Mounts.NoSuid | Mounts.NoDev, "mode=755,size=20%");
        Mounts.Mount("tmpfs", Under(run, "lock"), "tmpfs", ProcFlags, "mode=1777,size=5m");
    }

    private static void MountDev(string root)
    {
        var dev = Under(root, "dev");
        Mounts.Mount("tmpfs", dev, "tmpfs", Mounts.NoSuid | Mounts.StrictAtime, "mode=755,size=65536k");
        foreach (var device in ContainerPaths.Devices)
        {
            var node = Path.Combine(dev, device);
            File.WriteAllBytes(node, []);
            Mounts.BindMount($"/dev/{device}", node);
        }
        Mounts.Mount("devpts", Under(dev, "pts"), "devpts", Mounts.NoSuid | Mounts.NoExec, "newinstance,ptmxmode=0666,mode=0620,gid=5");
        Mounts.Mount("shm", Under(dev, "shm"), "tmpfs", Mounts.NoSuid | Mounts.NoDev | Mounts.NoExec, "mode=1777,size=65536k");
        Mounts.Mount("mqueue", Under(dev, "mqueue"), "mqueue", Mounts.NoSuid | Mounts.NoDev | Mounts.NoExec);
        foreach (var (link, target) in ContainerPaths.DevLinks)
            File.CreateSymbolicLink(Path.Combine(dev, link), target);
        // The console is the pty the shim holds the master of; our stdin is its slave. Bind it by its path in
        // this mount namespace's copy of the host's /dev/pts: the fd itself points into the host's namespace.
        var console = Path.Combine(dev, "console");
        File.WriteAllBytes(console, []);
        var slave = new FileInfo("/proc/self/fd/0").LinkTarget ?? throw new InvalidOperationException("stdin is not the console pty");
        Mounts.BindMount(slave, console);
    }
}
