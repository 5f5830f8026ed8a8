using Vessel.Core;
using Vessel.Core.Validation;

namespace Vessel.Engines.Qemu;

/// <summary>
/// What differs between the machine types Vessel runs (vm.machine, <see cref="MachineTypes"/>), each on the QEMU of its
/// guest architecture. q35 (x86_64): PCIe with root ports for nic hotplug, an ISA serial port (ttyS0), a VGA adapter over
/// VNC. microvm (x86_64): no PCI; every device on virtio-mmio, which the guest finds through ACPI (the Debian cloud kernel
/// has no virtio_mmio.device= parsing), ACPI also carrying the power button; an ISA serial port and RTC; no display, no
/// hotplug, and no firmware that boots a disk: it boots a Linux kernel directly. virt (aarch64): PCIe with root ports, its
/// PL011 UART as the serial console (ttyAMA0), no display (Debian's arm64 cloud kernel has no virtio-gpu driver), and UEFI
/// firmware that starts the kernel, or a disk image's own bootloader from the removable-media path \EFI\BOOT\BOOTAA64.EFI
/// (its variables live in memory only, so no boot entry is needed or kept): only through it does the guest get ACPI and so a power button (booted straight from
/// a device tree, the power button is a GPIO key, which Debian's arm64 cloud kernel has no driver for); it costs about
/// 0.1 s of boot under TCG. Only q35 can add and remove vCPUs while the guest runs.
/// </summary>
public sealed record QemuMachine
{
    public required string Name { get; init; }
    public required string Architecture { get; init; }
    /// <summary>The -machine argument.</summary>
    public required string Option { get; init; }
    /// <summary>Devices sit on PCI(e) and nics can be hotplugged into root ports; else on virtio-mmio, fixed at start.</summary>
    public required bool Pci { get; init; }
    /// <summary>A graphical console (VGA over VNC).</summary>
    public bool Display => MachineTypes.HasDisplay(Name);
    /// <summary>vCPUs can be added and removed while the guest runs (ACPI CPU hotplug); only q35 has it (QEMU 7.2).</summary>
    public bool CpuHotplug => Name == MachineTypes.Q35;
    /// <summary>The firmware (-bios) when not QEMU's default.</summary>
    public string? Firmware { get; init; }

    /// <summary>UEFI for aarch64, from Debian's qemu-efi-aarch64.</summary>
    public const string Aarch64Firmware = "/usr/share/qemu-efi-aarch64/QEMU_EFI.fd";

    /// <exception cref="BadRequestException">vm.machine does not fit the guest's architecture.</exception>
    public static QemuMachine For(string architecture, IReadOnlyDictionary<string, string> config) =>
        MachineTypes.Resolve(architecture, config) switch
        {
            MachineTypes.Q35 => new() { Name = MachineTypes.Q35, Architecture = architecture, Option = "q35", Pci = true },
            MachineTypes.Microvm => new() { Name = MachineTypes.Microvm, Architecture = architecture, Option = "microvm,acpi=on,rtc=on", Pci = false },
            var virt => new() { Name = virt, Architecture = architecture, Option = "virt,gic-version=max", Pci = true, Firmware = Aarch64Firmware },
        };

    public string Binary => BinaryOf(Architecture);

    public static string BinaryOf(string architecture) => $"qemu-system-{architecture}";

    /// <summary>The Debian package that has the QEMU of <paramref name="architecture"/>.</summary>
    public static string PackageOf(string architecture) => architecture == "aarch64" ? "qemu-system-arm" : "qemu-system-x86";

    /// <summary>A virtio device's QEMU driver on this machine's bus: virtio-net-pci, or virtio-net-device on virtio-mmio.</summary>
    public string Virtio(string device) => Pci ? $"virtio-{device}-pci" : $"virtio-{device}-device";

    /// <summary>
    /// -cpu: the host's CPU under KVM; under TCG QEMU's default for x86_64, and for aarch64 "max" (every feature TCG
    /// emulates) with QEMU's own pointer-authentication hash: a guest boots about 3.5 times faster than with the architected one (QARMA).
    /// </summary>
    public string? Cpu(string accelerator) => accelerator == "kvm" ? "host" : Architecture == "aarch64" ? "max,pauth-impdef=on" : null;

    /// <summary>The serial console on the chardev "console": an ISA UART on x86_64, virt's own PL011 on aarch64.</summary>
    public IReadOnlyList<string> SerialConsole => Architecture == "aarch64" ? ["-serial", "chardev:console"] : ["-device", "isa-serial,chardev=console"];
}
