using System.IO.Pipes;
using System.Text.Json;
using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Core.Model;
using Vessel.Core.Validation;
using Vessel.Engines.Container.Cgroups;
using Vessel.Engines.Container.Roots;
using Vessel.Engines.Container.Shim;
using Vessel.Linux;
using Vessel.Linux.Spawn;

namespace Vessel.Engines.Container;

/// <summary>
/// System containers on Vessel's own runtime: a root over the unpacked image that costs no copy (an overlay, or a btrfs
/// snapshot on a pool with subvolumes: see <see cref="IContainerRoot"/>), new namespaces
/// (a user namespace unless security.privileged), cgroup limits, and a vessel-shim per container that
/// holds its init and console and outlives the daemon.
/// </summary>
/// <param name="shimPath">The vessel-shim binary.</param>
/// <param name="cgroupRoot">The cgroup under which this daemon's containers live (vessel/NAME by default); daemons
/// side by side on one host need different ones.</param>
public sealed partial class ContainerDriver(string shimPath, string cgroupRoot) : IInstanceDriver
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30), ReapWait = TimeSpan.FromSeconds(2);
    private static readonly string[] RequiredControllers = ["memory", "pids", "cpu", "freezer"];

    // The host's cgroup mounts do not change while the daemon runs: read /proc/self/mountinfo once, not per request.
    private static readonly Lazy<CgroupLayout> Layout = new(CgroupDetector.Detect);

    public InstanceType Type => InstanceType.Container;

    public event EventHandler<InstanceStoppedEventArgs>? Stopped;

    public DriverInfo Probe()
    {
        if (!File.Exists(shimPath))
            return new DriverInfo("vessel-container", "1", false, $"the container supervisor {shimPath} is missing");
        var layout = Layout.Value;
        var missing = RequiredControllers.Where(c => !layout.Controllers.Contains(c)).ToList();
        if (layout.Version == CgroupVersion.V2)
            missing.Remove("freezer"); // v2 freezes through cgroup.freeze
        if (missing.Count > 0)
            return new DriverInfo("vessel-container", "1", false, $"cgroup controllers missing: {string.Join(", ", missing)}");
        return new DriverInfo("vessel-container", "1", true, $"namespaces and cgroup {layout.Version.ToString().ToLowerInvariant()}");
    }

    /// <summary>
    /// At the daemon's end: its cgroup root goes from every hierarchy where no container lives under it any more. One that
    /// still holds containers' cgroups cannot be removed, and stays for the next daemon.
    /// </summary>
    public void RemoveEmptyCgroupRoot()
    {
        var layout = Layout.Value;
        foreach (var mount in layout.V1Mounts.Values.Append(layout.UnifiedMount).OfType<string>().Distinct())
        {
            try
            {
                Directory.Delete(Path.Join(mount, cgroupRoot));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // missing, or containers still run in it
            }
        }
    }

    private static bool Privileged(Instance instance) => instance.Config.GetValueOrDefault("security.privileged") == "true";

    private static uint UidOffset(Instance instance) => Privileged(instance) ? 0 : Idmap.Default.Base;

    private static RootImage ImageOf(InstanceContext context) => new(
        context.ImagePath ?? throw new BadRequestException("a container needs an image"), UidOffset(context.Instance), Privileged(context.Instance));

    // Actions

    public Task CreateAsync(InstanceContext context, CancellationToken cancellationToken) =>
        ContainerRoot.Of(context).CreateAsync(context, ImageOf(context), cancellationToken);

    public void CheckStart(InstanceContext context)
    {
    }

    public Task ResizeRootAsync(InstanceContext context, CancellationToken cancellationToken) =>
        ContainerRoot.Of(context).ApplySizeAsync(context, cancellationToken);

    public async Task StartAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        var instance = context.Instance;
        if (Privileged(instance) && Layout.Value.Version == CgroupVersion.V2)
            throw new NotSupportedYetException("privileged containers need a device controller, which on cgroup v2 (a BPF program) is not supported yet");
        if (instance.Config.GetValueOrDefault("security.nesting") == "true")
            throw new NotSupportedYetException("security.nesting is not supported yet: containers cannot run containers inside them");
        var spec = await SpecAsync(context, cancellationToken);
        Directory.CreateDirectory(context.RunDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(context.RunDirectory, ContainerShim.SpecFile), JsonSerializer.Serialize(spec, ContainerJson.Default.ContainerSpec));
        File.Delete(Path.Combine(context.RunDirectory, ContainerShim.StateFile));

        var cgroup = Cgroup.Open(spec.CgroupPath, Layout.Value);
        cgroup.Create();
        try
        {
            if (!spec.Privileged)
                cgroup.Delegate((int)spec.Idmap.Base, (int)spec.Idmap.Base);
            ApplyLimits(cgroup, instance.Config);
            using var started = new AnonymousPipeServerStream(PipeDirection.In);
            var shimPid = SpawnShim(context.RunDirectory, started);
            AddChild(shimPid);
            var state = await WaitForStartAsync(context.RunDirectory, shimPid, started, cancellationToken);
            if (!state.Running)
            {
                await ReapAsync(shimPid); // it exits right after reporting
                throw new VesselException(500, $"container {instance.Name} did not start: {state.Error ?? $"its init exited with {state.ExitCode}"}");
            }
            Track(instance.Name, context.RunDirectory, state);
        }
        catch
        {
            try
            {
                cgroup.KillAll();
                cgroup.Delete();
            }
            catch (CgroupException)
            {
                // The start's own error is the one to report.
            }
            throw;
        }
    }

    /// <summary>
    /// A new volume (empty, owned by the host's root) is handed to an unprivileged container's mapped root on its first
    /// use, so that root inside can write to it; one with contents keeps its owners.
    /// </summary>
    private static VolumeMount VolumeMountOf(DiskAttachment disk, Instance instance)
    {
        if (disk.Block || disk.Path is null)
            throw new BadRequestException($"devices.{disk.Device}: a container mounts only filesystem volumes, at a path");
        // A fresh volume (the pool's empty directory, host root's and 0711) becomes what a new directory is to the
        // container: its root's, 0755.
        if (Ownership.Of(disk.Source) == (0, 0) && !Directory.EnumerateFileSystemEntries(disk.Source).Any())
        {
            if (!Privileged(instance))
            {
                var root = (int)UidOffset(instance);
                Ownership.Set(disk.Source, root, root);
            }
            File.SetUnixFileMode(disk.Source, (UnixFileMode)0b111_101_101);
        }
        return new VolumeMount(disk.Source, disk.Path, disk.ReadOnly);
    }

    private async Task<ContainerSpec> SpecAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        var instance = context.Instance;
        var root = await ContainerRoot.Of(context).PrepareStartAsync(context, ImageOf(context), cancellationToken);
        return new ContainerSpec
        {
            Name = instance.Name,
            Rootfs = root.Rootfs,
            ImageDirectory = root.Lower,
            UpperDirectory = root.Upper,
            WorkDirectory = root.Work,
            Privileged = Privileged(instance),
            CgroupPath = CgroupPath(instance.Name),
            Environment =
            [
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "HOME=/root",
                "TERM=linux",
                "container=vessel",
                .. instance.Config.Where(c => c.Key.StartsWith("environment.", StringComparison.Ordinal))
                    .Select(c => $"{c.Key["environment.".Length..]}={c.Value}"),
            ],
            StopSignal = StopSignalOf(root.Files),
            ConsoleLog = context.ConsoleLog,
            Nics = [.. context.Nics.Select(ContainerNic.From)],
            Mounts = [.. context.Disks.Select(d => VolumeMountOf(d, instance))],
            CloudInitSeed = Vessel.Core.CloudInitSeed.IsConfigured(instance) ? Vessel.Core.CloudInitSeed.Files(instance) : null,
        };
    }

    private string CgroupPath(string name) => $"{cgroupRoot}/{name}";

    /// <summary>Which signal asks this image's init to power off: busybox and systemd each have their own.</summary>
    private static int StopSignalOf(string imageDirectory)
    {
        var init = new FileInfo(Path.Combine(imageDirectory, "sbin", "init"));
        var target = init.LinkTarget ?? "";
        if (target.Contains("busybox", StringComparison.Ordinal))
            return Signals.Usr2;
        if (target.Contains("systemd", StringComparison.Ordinal))
            return Signals.RtMinPlus3;
        return Signals.Pwr;
    }

    /// <summary>The shim gets the write end of STARTED as its fd 3 and closes it once its state file says how the start went.</summary>
    private int SpawnShim(string runDirectory, AnonymousPipeServerStream started)
    {
        using var devNull = Fds.Open("/dev/null", 2 /* O_RDWR */);
        using var log = Fds.Open(Path.Combine(runDirectory, "shim.log"), 0x1 | 0x40 | 0x400 /* O_WRONLY|O_CREAT|O_APPEND */);
        try
        {
            var startedFd = (int)started.ClientSafePipeHandle.DangerousGetHandle();
            return PosixSpawn.Start(shimPath, ["vessel-shim", "run", runDirectory],
                [(Fds.Number(devNull), 0), (Fds.Number(log), 1), (Fds.Number(log), 2), (startedFd, ContainerShim.StartedFd)], newSession: true);
        }
        finally
        {
            started.DisposeLocalCopyOfClientHandle();
        }
    }

    /// <summary>Reaps a shim that is about to exit; null when it has not exited within a few seconds.</summary>
    private async Task<int?> ReapAsync(int pid)
    {
        await Processes.WaitForExitAsync(pid, ReapWait);
        return TryReap(pid, out var code) ? code : null;
    }

    /// <summary>Waits for the shim to close its end of STARTED: it has recorded the start, or it is gone.</summary>
    private async Task<ShimState> WaitForStartAsync(string runDirectory, int shimPid, AnonymousPipeServerStream started, CancellationToken cancellationToken)
    {
        try
        {
            await started.ReadAsync(new byte[1], cancellationToken).AsTask().WaitAsync(StartTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"the container did not start within {StartTimeout.TotalSeconds} s; see {runDirectory}/shim.log");
        }
        return ContainerShim.ReadState(runDirectory)
            ?? new ShimState { Error = $"vessel-shim exited with {await ReapAsync(shimPid)} before the container started; see {runDirectory}/shim.log" };
    }
}
