using System.Globalization;
using Vessel.Core;
using Vessel.Core.Model;
using Vessel.Core.Validation;

namespace Vessel.Engines.Qemu;

/// <summary>Everything the QEMU command line is made from, already checked: the builder itself decides nothing.</summary>
public sealed record QemuLaunch
{
    public const long DefaultMemoryBytes = 512L << 20;

    public required string Name { get; init; }
    public required QemuPaths Paths { get; init; }
    public required QemuBoot Boot { get; init; }
    /// <summary>"kvm" or "tcg".</summary>
    public required string Accelerator { get; init; }
    public required QemuMachine Machine { get; init; }
    public long MemoryBytes { get; init; } = DefaultMemoryBytes;
    public int Cpus { get; init; } = 1;
    /// <summary>The most vCPUs the guest can have while it runs (hotplug up to there): the host's CPUs where the machine can add them, else <see cref="Cpus"/>.</summary>
    public int MaxCpus { get; init; } = 1;
    /// <summary>The cloud-init seed image, attached read-only after the root disk; null for none.</summary>
    public string? Seed { get; init; }
    /// <summary>virtio-net nics on taps the network driver made.</summary>
    public IReadOnlyList<Vessel.Core.Drivers.NicAttachment> Nics { get; init; } = [];
    /// <summary>Block custom volumes, each a virtio-blk disk after the root disk and the seed.</summary>
    public IReadOnlyList<Vessel.Core.Drivers.DiskAttachment> Disks { get; init; } = [];
    /// <summary>The guest's SMBIOS system UUID (volatile.uuid), or null for QEMU's zero UUID.</summary>
    public Guid? Uuid { get; init; }
    /// <summary>The display also on a loopback TCP port with a password (vm.vnc.address), or null: on its unix socket only.</summary>
    public VncDisplay.Listen? Vnc { get; init; }

    /// <summary>
    /// Names a kernel-booted guest after the instance (systemd.hostname=NAME; a name is a DNS label) and gives it the
    /// instance's uuid as its machine-id (systemd.machine_id, which systemd prefers to the one in /etc/machine-id). Reads vm.machine (the
    /// guest architecture's default when unset), vm.accel (auto: KVM for a guest of the host's architecture where hardware
    /// virtualization is real, else TCG), vm.vnc.address, limits.memory (default 512MiB, a percentage of the host's memory allowed, never
    /// more than the host has) and limits.cpu (a count, or a set whose size is the count; pinning comes later).
    /// </summary>
    /// <param name="architecture">The guest's (its image's) architecture: x86_64 or aarch64.</param>
    /// <exception cref="Vessel.Core.BadRequestException">A key breaks its rule, or the image cannot boot on the machine; the message names the key.</exception>
    public static QemuLaunch FromConfig(string name, string architecture, IReadOnlyDictionary<string, string> config, QemuPaths paths, QemuBoot boot,
        QemuHost host)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(host);
        var machine = QemuMachine.For(architecture, config);
        var cpus = CpusFromConfig(config, host.Resources);
        var uuid = InstanceIdentity.Of(config);
        return new QemuLaunch
        {
            Name = name,
            Paths = paths,
            Boot = BootOn(machine, boot, name, uuid, host),
            Accelerator = AcceleratorFor(machine, config, host),
            Machine = machine,
            MemoryBytes = MemoryFromConfig(config, host.Resources),
            Cpus = cpus,
            MaxCpus = machine.CpuHotplug ? Math.Max(cpus, host.Resources.CpuCount) : cpus,
            Uuid = uuid,
            Vnc = config.TryGetValue(VncDisplay.AddressKey, out var vnc) ? VncDisplay.Parse(VncDisplay.AddressKey, vnc) : null,
        };
    }

    private static QemuBoot BootOn(QemuMachine machine, QemuBoot boot, string name, Guid? uuid, QemuHost host)
    {
        if (boot is not KernelBoot kernel)
        {
            return machine.Name switch
            {
                MachineTypes.Microvm => throw new BadRequestException(
                    $"{MachineTypes.MachineKey}: microvm boots a Linux kernel directly and this image is a disk with its own bootloader; use q35"),
                _ => boot,
            };
        }
        // systemd names the guest after the instance (the busybox init ignores the parameter). microvm's TSC calibration
        // against the PIT sometimes hangs under TCG; the host's clock given outright avoids it.
        var line = $"{kernel.CommandLine} systemd.hostname={name}";
        if (uuid is { } id)
            line += $" systemd.machine_id={id:N}";
        if (machine.Name == MachineTypes.Microvm && host.CpuKiloHertz > 0)
            line += string.Create(CultureInfo.InvariantCulture, $" tsc_early_khz={host.CpuKiloHertz}");
        return kernel with { CommandLine = line };
    }

    private static string AcceleratorFor(QemuMachine machine, IReadOnlyDictionary<string, string> config, QemuHost host)
    {
        var asked = config.GetValueOrDefault(MachineTypes.AccelKey, "auto");
        InstanceConfigSchema.ValidateKey(MachineTypes.AccelKey, asked, InstanceType.VirtualMachine, host.Resources);
        MachineTypes.Check(machine.Architecture, host.Architecture, config);
        return asked switch
        {
            "tcg" => "tcg",
            "auto" => machine.Architecture == host.Architecture && host.Acceleration.UseKvm ? "kvm" : "tcg",
            _ when !host.Acceleration.KvmDevice => throw new BadRequestException($"{MachineTypes.AccelKey}: KVM is not usable here: {host.Acceleration.Reason}"),
            _ => "kvm",
        };
    }

    public static long MemoryFromConfig(IReadOnlyDictionary<string, string> config, HostResources host)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(host);
        if (!config.TryGetValue("limits.memory", out var value))
            return DefaultMemoryBytes;
        InstanceConfigSchema.ValidateKey("limits.memory", value, InstanceType.VirtualMachine, host);
        var bytes = value.EndsWith('%')
            ? host.MemoryBytes * long.Parse(value[..^1], CultureInfo.InvariantCulture) / 100
            : Sizes.Parse("limits.memory", value);
        return bytes & ~((1L << 20) - 1); // QEMU sizes RAM in whole MiB here
    }

    public static int CpusFromConfig(IReadOnlyDictionary<string, string> config, HostResources host)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(host);
        if (!config.TryGetValue("limits.cpu", out var value))
            return 1;
        InstanceConfigSchema.ValidateKey("limits.cpu", value, InstanceType.VirtualMachine, host);
        return value.All(char.IsAsciiDigit) ? int.Parse(value, CultureInfo.InvariantCulture) : CpuSet.Parse("limits.cpu", value).Count;
    }
}
