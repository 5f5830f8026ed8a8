using System.Globalization;
using Vessel.Core.Validation;

namespace Vessel.Engines.Qemu;

/// <summary>
/// Turns a <see cref="QemuLaunch"/> into the argument list of its machine's QEMU (never a shell string). The VM runs
/// daemonized with a pid file; the monitor (QMP), the serial console, the guest agent channel and the VNC display
/// are unix sockets in the run directory (the display also a loopback TCP port where asked). -nodefaults: every device is named here.
/// </summary>
public static class QemuCommandLine
{
    /// <summary>PCIe root ports for nics and custom volumes: one each, so that the guest can take any of them in or out while it runs.</summary>
    public const int HotplugPorts = 8;

    /// <summary>The id of the VNC display on a TCP port, which set_password and query-vnc-servers name.</summary>
    public const string TcpDisplayId = "tcp";

    /// <summary>The id of the root disk's drive, which QMP commands name.</summary>
    public const string RootDrive = "root";

    /// <summary>The chardev of the guest agent's socket.</summary>
    public const string AgentChardev = "qga";

    public static string PortId(int index) => $"hotplug{index.ToString(CultureInfo.InvariantCulture)}";
    public static string NicId(Vessel.Core.Drivers.NicAttachment nic) => $"nic-{nic.Device}";
    public static string NetdevId(Vessel.Core.Drivers.NicAttachment nic) => $"net-{nic.Device}";
    public static string DiskId(Vessel.Core.Drivers.DiskAttachment disk) => $"disk-{disk.Device}";
    public static string DiskNodeId(Vessel.Core.Drivers.DiskAttachment disk) => $"vol-{disk.Device}";

    /// <summary>What the guest sees as the disk's serial (/dev/disk/by-id/virtio-SERIAL): the device name, cut to virtio's 20 bytes.</summary>
    public static string DiskSerial(Vessel.Core.Drivers.DiskAttachment disk) => disk.Device.Length <= 20 ? disk.Device : disk.Device[..20];

    public static IReadOnlyList<string> Build(QemuLaunch launch)
    {
        ArgumentNullException.ThrowIfNull(launch);
        var paths = launch.Paths;
        var machine = launch.Machine;
        var args = new List<string>
        {
            "-name", $"{Escape(launch.Name)},debug-threads=on",
            "-machine", machine.Option,
            "-accel", launch.Accelerator,
        };
        if (launch.Uuid is { } uuid)
            args.AddRange(["-uuid", uuid.ToString()]);
        if (machine.Cpu(launch.Accelerator) is { } cpu)
            args.AddRange(["-cpu", cpu]);
        args.AddRange(
        [
            "-m", string.Create(CultureInfo.InvariantCulture, $"{launch.MemoryBytes >> 20}M"),
            "-smp", launch.MaxCpus > launch.Cpus ? string.Create(CultureInfo.InvariantCulture, $"{launch.Cpus},maxcpus={launch.MaxCpus}")
                : launch.Cpus.ToString(CultureInfo.InvariantCulture),
            "-nodefaults",
            "-no-user-config",
        ]);
        if (machine.Firmware is { } firmware)
            args.AddRange(["-bios", firmware]);
        args.AddRange(
        [
            // Monitor.
            "-chardev", $"socket,id=qmp,path={Escape(paths.Qmp)},server=on,wait=off",
            "-mon", "chardev=qmp,mode=control",
            // Serial console on a socket, everything it prints also in the console log.
            "-chardev", $"socket,id=console,path={Escape(paths.Console)},server=on,wait=off,logfile={Escape(paths.ConsoleLog)},logappend=on",
            .. machine.SerialConsole,
            "-display", "none",
        ]);
        // Graphical console: a VGA adapter shown over VNC on a unix socket, which the daemon relays, and where vm.vnc.address
        // asks, also on a loopback TCP port. Its password is set over QMP once QEMU runs; until then QEMU lets no client in.
        if (machine.Display)
        {
            args.AddRange(["-device", "VGA,id=video0", "-vnc", $"unix:{Escape(paths.Vnc)}"]);
            if (launch.Vnc is { } vnc)
                args.AddRange(["-vnc", TcpDisplay(vnc)]);
        }
        args.AddRange(
        [
            // Paravirtual devices.
            "-object", "rng-random,id=rng0,filename=/dev/urandom",
            "-device", $"{machine.Virtio("rng")},rng=rng0",
            "-device", $"{machine.Virtio("balloon")},id=balloon0",
            "-chardev", $"socket,id={AgentChardev},path={Escape(paths.GuestAgent)},server=on,wait=off",
            "-device", $"{machine.Virtio("serial")},id=serial0",
            "-device", $"virtserialport,bus=serial0.0,chardev={AgentChardev},name=org.qemu.guest_agent.0",
        ]);
        var ports = machine.Pci ? HotplugPorts : 0;
        for (var port = 0; port < ports; port++)
            args.AddRange(["-device", $"pcie-root-port,id={PortId(port)},chassis={(port + 1).ToString(CultureInfo.InvariantCulture)}"]);
        foreach (var (nic, index) in launch.Nics.Select((n, i) => (n, i)))
        {
            var bus = index < ports ? $",bus={PortId(index)}" : "";
            args.AddRange(
            [
                "-netdev", $"tap,id={Escape(NetdevId(nic))},ifname={nic.HostInterface},script=no,downscript=no",
                "-device", $"{machine.Virtio("net")},id={Escape(NicId(nic))},netdev={Escape(NetdevId(nic))},mac={nic.Hwaddr}," +
                    $"host_mtu={nic.Mtu.ToString(CultureInfo.InvariantCulture)}{bus}",
            ]);
        }
        switch (launch.Boot)
        {
            case DiskBoot disk:
                args.AddRange(RootDriveArguments(machine, disk.Path, disk.Format, ",bootindex=0"));
                break;
            case KernelBoot kernel:
                args.AddRange(["-kernel", kernel.Kernel, "-initrd", kernel.Initrd, "-append", kernel.CommandLine]);
                if (kernel.RootDisk is not null)
                    args.AddRange(RootDriveArguments(machine, kernel.RootDisk, "qcow2", "")); // -kernel holds boot index 0
                break;
            default:
                throw new ArgumentException($"unknown boot {launch.Boot.GetType().Name}", nameof(launch));
        }
        if (launch.Seed is not null) // after the root disk, so that the root stays /dev/vda
            args.AddRange(["-drive", $"file={Escape(launch.Seed)},format=raw,if=none,id=seed,readonly=on", "-device", $"{machine.Virtio("blk")},drive=seed"]);
        foreach (var (disk, index) in launch.Disks.Select((d, i) => (d, launch.Nics.Count + i)))
        {
            var bus = index < ports ? $",bus={PortId(index)}" : "";
            args.AddRange(
            [
                "-blockdev", $"driver=raw,node-name={Escape(DiskNodeId(disk))},read-only={(disk.ReadOnly ? "on" : "off")}," +
                    $"file.driver=file,file.filename={Escape(disk.Source)},discard=unmap",
                "-device", $"{machine.Virtio("blk")},id={Escape(DiskId(disk))},drive={Escape(DiskNodeId(disk))},serial={Escape(DiskSerial(disk))}{bus}",
            ]);
        }
        args.AddRange(["-daemonize", "-pidfile", paths.PidFile]);
        return args;
    }

    /// <summary>
    /// -vnc HOST:DISPLAY, QEMU's display number being the port less 5900; with a range, to= lets QEMU take the first free one.
    /// </summary>
    private static string TcpDisplay(VncDisplay.Listen vnc)
    {
        var host = vnc.Host.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{vnc.Host}]" : vnc.Host.ToString();
        var to = vnc.LastPort > vnc.FirstPort ? $",to={DisplayNumber(vnc.LastPort)}" : "";
        return $"{host}:{DisplayNumber(vnc.FirstPort)},id={TcpDisplayId},password=on{to}";
    }

    private static string DisplayNumber(int port) => (port - VncDisplay.FirstPort).ToString(CultureInfo.InvariantCulture);

    /// <summary>The root disk: the first virtio-blk device, /dev/vda in a Linux guest.</summary>
    private static string[] RootDriveArguments(QemuMachine machine, string path, string format, string bootIndex) =>
    [
        "-drive", $"file={Escape(path)},format={format},if=none,id={RootDrive},discard=unmap",
        "-device", $"{machine.Virtio("blk")},drive={RootDrive}{bootIndex}",
    ];

    /// <summary>A value inside a QEMU option list: a comma is written twice.</summary>
    internal static string Escape(string value) => value.Replace(",", ",,", StringComparison.Ordinal);
}
