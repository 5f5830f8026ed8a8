using System.Globalization;
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
    public string Machine { get; init; } = "q35";
    public long MemoryBytes { get; init; } = DefaultMemoryBytes;
    public int Cpus { get; init; } = 1;
    /// <summary>The cloud-init seed image, attached read-only after the root disk; null for none.</summary>
    public string? Seed { get; init; }
    /// <summary>virtio-net nics on taps the network driver made.</summary>
    public IReadOnlyList<Vessel.Core.Drivers.NicAttachment> Nics { get; init; } = [];

    /// <summary>
    /// Names a kernel-booted guest after the instance (systemd.hostname=NAME; a name is a DNS label). Reads limits.memory (default 512MiB, a percentage of the host's memory allowed, never more than the host has)
    /// and limits.cpu (a count, or a set whose size is the count; pinning comes later).
    /// </summary>
    /// <exception cref="Vessel.Core.BadRequestException">A limit breaks its rule; the message names the key.</exception>
    public static QemuLaunch FromConfig(string name, IReadOnlyDictionary<string, string> config, QemuPaths paths, QemuBoot boot,
        bool useKvm, HostResources host)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(host);
        return new QemuLaunch
        {
            Name = name,
            Paths = paths,
            // systemd names the guest after the instance (the busybox init ignores the parameter).
            Boot = boot is KernelBoot kernel ? kernel with { CommandLine = $"{kernel.CommandLine} systemd.hostname={name}" } : boot,
            Accelerator = useKvm ? "kvm" : "tcg",
            MemoryBytes = MemoryFromConfig(config, host),
            Cpus = CpusFromConfig(config, host),
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

    private static int CpusFromConfig(IReadOnlyDictionary<string, string> config, HostResources host)
    {
        if (!config.TryGetValue("limits.cpu", out var value))
            return 1;
        InstanceConfigSchema.ValidateKey("limits.cpu", value, InstanceType.VirtualMachine, host);
        return value.All(char.IsAsciiDigit) ? int.Parse(value, CultureInfo.InvariantCulture) : CpuSet.Parse("limits.cpu", value).Count;
    }
}
