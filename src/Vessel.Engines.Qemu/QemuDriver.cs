using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Core.Model;
using Vessel.Core.Validation;
using Vessel.Engines.Qemu.Qmp;
using Vessel.Linux;
using Vessel.Storage;

namespace Vessel.Engines.Qemu;

/// <summary>
/// Virtual machines on QEMU: the command line is built from the instance config, the QEMU of the guest's architecture
/// (qemu-system-x86_64, qemu-system-aarch64) runs daemonized (it outlives the daemon) with its pid file and its QMP,
/// console, guest-agent and VNC sockets in the instance's run directory, and the driver holds one QMP connection per VM
/// for commands and events. KVM where hardware virtualization is real and the guest has the host's architecture, TCG
/// otherwise. Console logs are kept under <paramref name="consoleLogLimit"/> bytes (<see cref="ConsoleLog"/>).
/// </summary>
public sealed partial class QemuDriver(string qemuImgBinary = "qemu-img", long consoleLogLimit = ConsoleLog.DefaultLimit) : IInstanceDriver
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MonitorTimeout = TimeSpan.FromSeconds(10);

    public InstanceType Type => InstanceType.VirtualMachine;

    public event EventHandler<InstanceStoppedEventArgs>? Stopped;

    /// <summary>Operational with the QEMU of the host's architecture; the detail says how guests run and which foreign ones can.</summary>
    public DriverInfo Probe()
    {
        var files = new HostFiles();
        var native = ImageStore.HostArchitecture;
        if (files.FindProgram(QemuMachine.BinaryOf(native)) is not { } qemu)
            return new DriverInfo("qemu", "", false, $"{QemuMachine.BinaryOf(native)} not found; install {QemuMachine.PackageOf(native)}");
        var version = files.RunVersion(qemu) ?? "unknown version";
        if ((Path.IsPathRooted(qemuImgBinary) ? File.Exists(qemuImgBinary) : files.FindProgram(qemuImgBinary) is not null) is false)
            return new DriverInfo("qemu", version, false, $"{qemuImgBinary} not found; install qemu-utils");
        var foreign = ImageStore.Architectures.Where(a => a != native).Select(a =>
            files.FindProgram(QemuMachine.BinaryOf(a)) is null ? $"no {a} guests ({QemuMachine.BinaryOf(a)} not found; install {QemuMachine.PackageOf(a)})"
            : a == "aarch64" && !File.Exists(QemuMachine.Aarch64Firmware) ? $"no {a} guests ({QemuMachine.Aarch64Firmware} not found; install qemu-efi-aarch64)"
            : $"{a} guests by emulation (TCG)");
        return new DriverInfo("qemu", version, true, string.Join("; ", [Acceleration.Detect(files).Reason, .. foreign]));
    }

    private static QemuPaths PathsOf(InstanceContext context) =>
        new(context.RunDirectory, context.ConsoleLog);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> _diskLocks = new();

    /// <summary>
    /// Held by everything that reads a VM's disk whole or changes its files (start, copy, export, snapshots, increments,
    /// resize, publish, delete), so that none of them meets another's half-done work: a start waits for a copy that is
    /// freezing the disk, an export for a snapshot.
    /// </summary>
    private async Task<DiskLock> LockDiskAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        var gate = _diskLocks.GetOrAdd(context.RootVolumePath, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        return new DiskLock(gate);
    }

    private readonly struct DiskLock(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }

    // Actions

    public async Task CreateAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        var image = context.ImagePath ?? throw new BadRequestException("a virtual machine needs an image");
        if (!File.Exists(image))
            throw new BadRequestException($"the image file {image} is missing");
        // A kernel image is unpacked here: a broken one fails the create, not the first start.
        if (await VmImages.BackingDiskAsync(image, cancellationToken) is (var backing, var format))
        {
            // A copy-on-write overlay: the instance writes its own blocks, the image stays shared and untouched.
            Directory.CreateDirectory(context.RootVolumePath);
            var disk = VmImages.RootDiskPath(context.RootVolumePath);
            var (code, output) = await RunAsync(qemuImgBinary, ["create", "-q", "-f", "qcow2", "-b", backing, "-F", format, disk], cancellationToken);
            if (code != 0)
            {
                File.Delete(disk);
                throw new BadRequestException($"the image's disk cannot back an instance disk: {output.Trim()}");
            }
        }
    }

    /// <summary>A disk that an increment was cut off in the middle of is torn: it starts only once the increment is applied again.</summary>
    public void CheckStart(InstanceContext context)
    {
        if (File.Exists(IncrementMarker(context)))
            throw new ConflictException($"virtual machine {context.Instance.Name} holds an increment cut off midway; apply it again " +
                $"(vessel import FILE {context.Instance.Name}) before it starts");
    }

    public async Task StartAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        using var diskLock = await LockDiskAsync(context, cancellationToken);
        CheckStart(context);
        var instance = context.Instance;
        var paths = PathsOf(context);
        if (RunningState(paths) is not null)
            throw new ConflictException($"virtual machine {instance.Name} is already running");
        var image = context.ImagePath ?? throw new BadRequestException("a virtual machine needs an image");
        var boot = await VmImages.BootAsync(image, context.RootVolumePath, cancellationToken);
        // A disk-booted image (a cloud image) expects a seed at every boot; an image Vessel boots by its kernel gets one when
        // the instance has cloud-init.* keys (without, Vessel's Debian image boots faster, cloud-init switched off).
        var seeded = boot is DiskBoot || (boot is KernelBoot { RootDisk: not null } && CloudInitSeed.IsConfigured(instance));
        var launch = QemuLaunch.FromConfig(instance.Name, instance.Architecture, instance.Config, paths, boot, QemuHost.Current()) with
        {
            Nics = context.Nics,
            Disks = context.Disks,
            Seed = seeded ? paths.Seed : null,
        };

        Directory.CreateDirectory(paths.RunDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(Path.GetDirectoryName(paths.ConsoleLog)!);
        RemoveRunFiles(paths);

        await using var revert = new Reverter();
        revert.Add(() => RemoveRunFiles(paths));
        if (launch.Seed is not null)
            await NoCloudSeed.WriteAsync(instance, launch.Seed, cancellationToken);
        if (new HostFiles().FindProgram(launch.Machine.Binary) is null)
            throw new NotSupportedYetException($"{launch.Machine.Binary} not found; install {QemuMachine.PackageOf(instance.Architecture)} to run {instance.Architecture} guests");
        if (launch.Machine.Firmware is { } firmware && !File.Exists(firmware))
            throw new NotSupportedYetException($"the firmware {firmware} is missing; install qemu-efi-aarch64 to run {instance.Architecture} guests");
        var (code, output) = await RunAsync(launch.Machine.Binary, QemuCommandLine.Build(launch), cancellationToken, StartTimeout);
        await File.WriteAllTextAsync(paths.StartLog, output, CancellationToken.None);
        var pid = ReadPid(paths);
        if (pid is { } started)
            revert.Add(() => KillAndWait(started));
        if (code != 0 && launch.Vnc is not null && output.Contains("Failed to find an available port", StringComparison.Ordinal))
            throw new ConflictException($"{VncDisplay.AddressKey}: no port of {instance.Config[VncDisplay.AddressKey]} is free; " +
                "another program listens there (choose other ports, or a range, or auto)");
        if (code != 0 || pid is null)
            throw new VesselException(500, $"QEMU did not start virtual machine {instance.Name}: " +
                (output.Trim().Length > 0 ? output.Trim() : code != 0 ? $"exit code {code}" : "it wrote no pid file"));

        var startTime = ProcStat.StartTime(pid.Value) ?? throw new VesselException(500, $"QEMU (pid {pid}) exited right after it started; see {paths.ConsoleLog}");
        var state = new QemuState
        {
            Pid = pid.Value, StartTime = startTime, MemoryBytes = launch.MemoryBytes,
            Machine = $"{launch.Machine.Name} ({launch.Machine.Binary}, {launch.Accelerator})",
        };
        state.Write(paths);
        var vm = await AdoptAsync(instance.Name, paths, state, cancellationToken);
        revert.Add(() => ReleaseAsync(instance.Name));
        var status = await QueryStatusAsync(vm.Monitor, cancellationToken);
        if (status != "running")
            throw new VesselException(500, $"virtual machine {instance.Name} is {status} right after start, not running");
        if (launch.Vnc is not null)
            (state with { VncAddress = await OpenTcpDisplayAsync(vm.Monitor, instance, cancellationToken) }).Write(paths);
        revert.Success();
    }

    private static int? ReadPid(QemuPaths paths)
    {
        try
        {
            return int.TryParse(File.ReadAllText(paths.PidFile).Trim(), out var pid) && pid > 0 ? pid : null;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    private static void RemoveRunFiles(QemuPaths paths)
    {
        foreach (var file in paths.RunFiles)
            File.Delete(file);
    }

    /// <summary>Runs a program to its end (qemu -daemonize returns once the VM is set up) and gives its exit code with stdout and stderr.</summary>
    private static async Task<(int Code, string Output)> RunAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken,
        TimeSpan? timeout = null)
    {
        try
        {
            // The daemonized QEMU gives its inherited stdout and stderr up for /dev/null, so these end when its parent exits.
            var result = await HostCommand.RunAsync(program, arguments, timeout: timeout ?? StartTimeout, cancellationToken: cancellationToken);
            return (result.Code, result.Output + result.Errors);
        }
        catch (HostCommandException e)
        {
            throw new NotSupportedYetException($"{program} cannot run: {e.Message}");
        }
    }
}
