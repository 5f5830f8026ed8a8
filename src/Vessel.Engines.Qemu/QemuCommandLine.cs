using System.Globalization;

namespace Vessel.Engines.Qemu;

/// <summary>
/// Turns a <see cref="QemuLaunch"/> into qemu-system-x86_64's argument list (never a shell string). The VM runs
/// daemonized with a pid file; the monitor (QMP), the serial console, the guest agent channel and the VNC display
/// are unix sockets in the run directory. -nodefaults: every device is named here.
/// </summary>
public static class QemuCommandLine
{
    /// <summary>PCIe root ports for nics: one each, so that the guest can take any of them in or out while it runs.</summary>
    public const int HotplugPorts = 8;

    /// <summary>The id of the root disk's drive, which QMP commands name.</summary>
    public const string RootDrive = "root";

    public static string PortId(int index) => $"hotplug{index.ToString(CultureInfo.InvariantCulture)}";
    public static string NicId(Vessel.Core.Drivers.NicAttachment nic) => $"nic-{nic.Device}";
    public static string NetdevId(Vessel.Core.Drivers.NicAttachment nic) => $"net-{nic.Device}";

    public static IReadOnlyList<string> Build(QemuLaunch launch)
    {
        ArgumentNullException.ThrowIfNull(launch);
        var paths = launch.Paths;
        var args = new List<string>
        {
            "-name", $"{Escape(launch.Name)},debug-threads=on",
            "-machine", launch.Machine,
            "-accel", launch.Accelerator,
        };
        if (launch.Accelerator == "kvm")
            args.AddRange(["-cpu", "host"]);
        args.AddRange(
        [
            "-m", string.Create(CultureInfo.InvariantCulture, $"{launch.MemoryBytes >> 20}M"),
            "-smp", launch.Cpus.ToString(CultureInfo.InvariantCulture),
            "-nodefaults",
            "-no-user-config",
            // Monitor.
            "-chardev", $"socket,id=qmp,path={Escape(paths.Qmp)},server=on,wait=off",
            "-mon", "chardev=qmp,mode=control",
            // Serial console (ttyS0) on a socket, everything it prints also in the console log.
            "-chardev", $"socket,id=console,path={Escape(paths.Console)},server=on,wait=off,logfile={Escape(paths.ConsoleLog)},logappend=on",
            "-device", "isa-serial,chardev=console",
            // Graphical console: a VGA adapter shown over VNC on a unix socket.
            "-display", "none",
            "-device", "VGA,id=video0",
            "-vnc", $"unix:{Escape(paths.Vnc)}",
            // Paravirtual devices.
            "-object", "rng-random,id=rng0,filename=/dev/urandom",
            "-device", "virtio-rng-pci,rng=rng0",
            "-device", "virtio-balloon-pci,id=balloon0",
            "-chardev", $"socket,id=qga,path={Escape(paths.GuestAgent)},server=on,wait=off",
            "-device", "virtio-serial-pci,id=serial0",
            "-device", "virtserialport,bus=serial0.0,chardev=qga,name=org.qemu.guest_agent.0",
        ]);
        for (var port = 0; port < HotplugPorts; port++)
            args.AddRange(["-device", $"pcie-root-port,id={PortId(port)},chassis={(port + 1).ToString(CultureInfo.InvariantCulture)}"]);
        foreach (var (nic, index) in launch.Nics.Select((n, i) => (n, i)))
        {
            var bus = index < HotplugPorts ? $",bus={PortId(index)}" : "";
            args.AddRange(
            [
                "-netdev", $"tap,id={Escape(NetdevId(nic))},ifname={nic.HostInterface},script=no,downscript=no",
                "-device", $"virtio-net-pci,id={Escape(NicId(nic))},netdev={Escape(NetdevId(nic))},mac={nic.Hwaddr}," +
                    $"host_mtu={nic.Mtu.ToString(CultureInfo.InvariantCulture)}{bus}",
            ]);
        }
        switch (launch.Boot)
        {
            case DiskBoot disk:
                args.AddRange(RootDriveArguments(disk.Path, disk.Format, ",bootindex=0"));
                break;
            case KernelBoot kernel:
                args.AddRange(["-kernel", kernel.Kernel, "-initrd", kernel.Initrd, "-append", kernel.CommandLine]);
                if (kernel.RootDisk is not null)
                    args.AddRange(RootDriveArguments(kernel.RootDisk, "qcow2", "")); // -kernel holds boot index 0
                break;
            default:
                throw new ArgumentException($"unknown boot {launch.Boot.GetType().Name}", nameof(launch));
        }
        if (launch.Seed is not null) // after the root disk, so that the root stays /dev/vda
            args.AddRange(["-drive", $"file={Escape(launch.Seed)},format=raw,if=none,id=seed,readonly=on", "-device", "virtio-blk-pci,drive=seed"]);
        args.AddRange(["-daemonize", "-pidfile", paths.PidFile]);
        return args;
    }

    /// <summary>The root disk: the first virtio-blk device, /dev/vda in a Linux guest.</summary>
    private static string[] RootDriveArguments(string path, string format, string bootIndex) =>
    [
        "-drive", $"file={Escape(path)},format={format},if=none,id={RootDrive},discard=unmap",
        "-device", $"virtio-blk-pci,drive={RootDrive}{bootIndex}",
    ];

    /// <summary>A value inside a QEMU option list: a comma is written twice.</summary>
    internal static string Escape(string value) => value.Replace(",", ",,", StringComparison.Ordinal);
}
