using Vessel.Core.Model;

namespace Vessel.Core.Api;

/// <summary>POST /1.0/instances.</summary>
public sealed record InstancesPost
{
    public string? Name { get; init; }
    public InstanceType Type { get; init; } = InstanceType.Container;
    public InstanceSource? Source { get; init; }
    public Dictionary<string, string>? Config { get; init; }
    public Dictionary<string, Dictionary<string, string>>? Devices { get; init; }
    public string? Pool { get; init; }
    public bool Ephemeral { get; init; }
    /// <summary>Start the instance once it is created (what `vessel launch` asks for).</summary>
    public bool Start { get; init; }
}

public sealed record InstanceSource(string? Alias = null, string? Fingerprint = null);

/// <summary>PATCH /1.0/instances/{name}: config keys to set, and keys mapped to null to unset.</summary>
public sealed record InstancePatch
{
    public Dictionary<string, string?>? Config { get; init; }
    public Dictionary<string, Dictionary<string, string>?>? Devices { get; init; }
}

/// <summary>PUT /1.0/instances/{name}/state.</summary>
public sealed record InstanceStatePut
{
    public string? Action { get; init; }
    public bool Force { get; init; }
    /// <summary>Seconds to wait for a clean shutdown before killing; -1 waits forever.</summary>
    /// <remarks>set, not init: the JSON source generator gives a missing init-only property default(int), not 30 (dotnet/runtime#84484).</remarks>
    public int Timeout { get; set; } = 30;
}

/// <summary>POST /1.0/images/aliases.</summary>
public sealed record ImageAliasPost(string? Name, string? Target, string? Description = null);

/// <summary>POST /1.0/storage-pools.</summary>
public sealed record StoragePoolPost(string? Name, string? Driver, string? Source = null, string? Description = null);

/// <summary>POST /1.0/images/build: make a known image on this host (busybox now; debian with the VM engine).</summary>
public sealed record ImageBuildPost(string? Name, InstanceType Type = InstanceType.Container);
