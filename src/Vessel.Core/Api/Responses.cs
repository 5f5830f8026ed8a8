using Vessel.Core.Model;

namespace Vessel.Core.Api;

/// <summary>The one error shape of the API.</summary>
public sealed record ErrorResponse(string Error, int ErrorCode);

/// <summary>GET /1.0/instances/{name}/state: what runs now and what it uses, and where a VM's display listens on TCP.</summary>
public sealed record InstanceStateView(InstanceStatus Status, string? StatusReason, int? Pid, InstanceUsage? Usage, string? UsageUnavailable,
    string? Machine = null, string? VncAddress = null);

/// <summary>GET /1.0: the daemon and the host it runs on.</summary>
public sealed record ServerInfo
{
    public required string ApiVersion { get; init; }
    public required string Version { get; init; }
    public required int Pid { get; init; }
    public required string Kernel { get; init; }
    public required string Architecture { get; init; }
    public required int Cpus { get; init; }
    public required long MemoryBytes { get; init; }
    public required string VmAcceleration { get; init; }
    public required IReadOnlyList<EngineView> Engines { get; init; }
    /// <summary>The server's settings, such as core.https_address.</summary>
    public required IReadOnlyDictionary<string, string> Config { get; init; }
    /// <summary>SHA-256 of the HTTPS certificate, for clients to pin.</summary>
    public required string CertificateFingerprint { get; init; }
}

/// <summary>GET /1.0/instances?recursion=2: each instance with its state and usage.</summary>
public sealed record InstanceWithState(Instance Instance, InstanceStateView State);

/// <summary>GET /1.0/resources: the host's capacity and how busy it is now.</summary>
public sealed record ResourcesView(int Cpus, double[] LoadAverage, long MemoryTotalBytes, long MemoryAvailableBytes, long SwapTotalBytes,
    long SwapFreeBytes, double UptimeSeconds);

/// <param name="Method">How this client proved who it is: unix (the root-only socket), token, certificate, or
/// unauthenticated-tcp (the benchmark listener).</param>
public sealed record AuthView(bool Authenticated, string Method, string? TokenId = null, string? CertificateFingerprint = null,
    DateTimeOffset? ExpiresAt = null);

/// <summary>A token as listed: never its secret nor its hash.</summary>
public sealed record TokenView(string Id, string Description, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, bool Expired);

/// <summary>A token just made: the only time its secret is shown.</summary>
public sealed record TokenCreated(string Id, string Token, string Description, DateTimeOffset? ExpiresAt);

public sealed record CertificateView(string Fingerprint, string Name, string Subject, DateTimeOffset NotAfter, DateTimeOffset CreatedAt);

public sealed record EngineView(string Type, string Name, string Version, bool Operational, string Detail);

/// <summary>One line of `vessel doctor`.</summary>
public sealed record HostCheckView(string Name, string Status, string Detail, string? Fix);

public sealed record StoragePoolView(StoragePool Pool, PoolUsage Usage, int Instances);

/// <summary>A custom volume with the instances whose devices attach it, as /1.0/instances/NAME paths.</summary>
/// <param name="UsedBytes">What the volume occupies in its pool, on a request for the one volume (a list leaves it out).</param>
public sealed record StorageVolumeView(StorageVolume Volume, List<string> UsedBy, long? UsedBytes = null);

/// <summary>A network with what the host has of it: whether its bridge is up, and which instances use it.</summary>
public sealed record NetworkView(Network Network, bool Up, List<string> UsedBy, List<NetworkLease> Leases);

/// <summary>An instance nic's address on a network.</summary>
public sealed record NetworkLease(string Instance, string Device, string Hwaddr, string? Ipv4Address);

/// <summary>One entry of the event stream (GET /1.0/events, server-sent events).</summary>
public sealed record Event
{
    /// <summary>operation or lifecycle.</summary>
    public required string Type { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    /// <summary>For lifecycle events: instance-created, instance-started, image-deleted…</summary>
    public string? Action { get; init; }
    /// <summary>For lifecycle events: the API path of what changed.</summary>
    public string? Source { get; init; }
    public Operation? Operation { get; init; }
}
