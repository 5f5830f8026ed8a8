using System.Text.Json.Serialization;

namespace Vessel.Engines.Container;

/// <summary>
/// Everything the shim and the init helper need to start one container, written by the driver to the
/// instance's run directory. The init helper reads it from an inherited fd, not by path: inside the
/// container's user namespace it could not open the run directory.
/// </summary>
public sealed record ContainerSpec
{
    public required string Name { get; init; }
    /// <summary>Where the root filesystem is: an overlay of the image under the upper directory is mounted there, or, without
    /// an image directory, it is the root itself (a btrfs snapshot), bound on itself.</summary>
    public required string Rootfs { get; init; }
    public string? ImageDirectory { get; init; }
    public string? UpperDirectory { get; init; }
    public string? WorkDirectory { get; init; }
    /// <summary>Privileged containers share the host's user namespace; the others get <see cref="Idmap"/>.</summary>
    public bool Privileged { get; init; }
    public Idmap Idmap { get; init; } = Idmap.Default;
    public required string CgroupPath { get; init; }
    public IReadOnlyList<string> Command { get; init; } = ["/sbin/init"];
    public IReadOnlyList<string> Environment { get; init; } = [];
    /// <summary>The signal that asks this container's init to shut down cleanly.</summary>
    public int StopSignal { get; init; } = Signals.Pwr;
    public required string ConsoleLog { get; init; }
    /// <summary>veth pairs the shim makes, one end in the container's network namespace, before its init runs.</summary>
    public IReadOnlyList<ContainerNic> Nics { get; init; } = [];
    /// <summary>Custom volumes (host directories) and where the container sees them.</summary>
    public IReadOnlyList<VolumeMount> Mounts { get; init; } = [];
    /// <summary>cloud-init's NoCloud files by name, for /var/lib/cloud/seed/nocloud-net; null when no cloud-init.* key is set.</summary>
    public IReadOnlyDictionary<string, string>? CloudInitSeed { get; init; }
}

/// <summary>
/// A veth pair: Host on the Bridge, Name inside the container with its MAC and what it is given there:
/// addresses with their prefix (10.42.7.2/24, fd42::…/64), routers, and the nameserver for resolv.conf.
/// </summary>
public sealed record ContainerNic(string Host, string Bridge, string Name, string Hwaddr, int Mtu)
{
    public string? Address { get; init; }
    public string? Gateway { get; init; }
    public string? Address6 { get; init; }
    public string? Gateway6 { get; init; }
    public string? Nameserver { get; init; }
    public string? Domain { get; init; }

    public static ContainerNic From(Vessel.Core.Drivers.NicAttachment nic) => new(nic.HostInterface, nic.Network, nic.Name, nic.Hwaddr, nic.Mtu)
    {
        Address = nic.Ipv4?.ToString(),
        Gateway = nic.Gateway is { } gateway ? Vessel.Core.Model.Ipv4Cidr.FormatAddress(gateway) : null,
        Address6 = nic.Ipv6?.ToString(),
        Gateway6 = nic.Gateway6 is { } gateway6 ? Vessel.Core.Model.Ipv6Cidr.FormatAddress(gateway6) : null,
        Nameserver = nic.Nameserver is { } nameserver ? Vessel.Core.Model.Ipv4Cidr.FormatAddress(nameserver) : null,
        Domain = nic.Domain,
    };
}

/// <summary>A host directory bind-mounted at Target, an absolute path inside the container.</summary>
public sealed record VolumeMount(string Source, string Target, bool ReadOnly);

/// <summary>Container uid/gid 0..Size-1 are host Base..Base+Size-1 (one shared range, as Incus does by default).</summary>
public sealed record Idmap(uint Base, uint Size)
{
    public static Idmap Default { get; } = new(1_000_000, 65_536);

    public string MapLine => $"0 {Base} {Size}\n";
}

public static class Signals
{
    public const int Kill = 9, Usr2 = 12, Term = 15, Pwr = 30, RtMinPlus3 = 37;
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(ContainerSpec))]
[JsonSerializable(typeof(ShimState))]
internal sealed partial class ContainerJson : JsonSerializerContext;
