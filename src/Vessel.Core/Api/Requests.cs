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
    /// <summary>The network eth0 joins when no nic device is given: a name, "none", or null for vsbr0 when that exists.</summary>
    public string? Network { get; init; }
    public bool Ephemeral { get; init; }
    /// <summary>Start the instance once it is created (what `vessel launch` asks for).</summary>
    public bool Start { get; init; }
}

/// <summary>
/// Where a new instance comes from: an image (Alias or Fingerprint), or a copy of Instance (at its Snapshot when given),
/// linked (sharing the source's blocks where the pool can) unless Full.
/// </summary>
public sealed record InstanceSource(string? Alias = null, string? Fingerprint = null, string? Instance = null, string? Snapshot = null, bool Full = false);

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
/// <param name="Config">Settings used when the pool is made, e.g. btrfs's size=30GiB for a loop file.</param>
public sealed record StoragePoolPost(string? Name, string? Driver, string? Source = null, string? Description = null,
    Dictionary<string, string>? Config = null);

/// <summary>POST /1.0/storage-pools/POOL/volumes: ContentType filesystem (the default) or block; Config holds size.</summary>
public sealed record StorageVolumePost(string? Name, string? ContentType = null, Dictionary<string, string>? Config = null, string? Description = null);

/// <summary>PATCH /1.0/storage-pools/POOL/volumes/NAME: config keys to set (a null value unsets), and the description.</summary>
public sealed record StorageVolumePatch(Dictionary<string, string?>? Config = null, string? Description = null);

/// <summary>PATCH /1.0/storage-pools/NAME: settings to change (a loop-file btrfs pool's size).</summary>
public sealed record StoragePoolPatch(Dictionary<string, string>? Config = null);

/// <summary>POST /1.0/images/publish: an instance, or one of its snapshots ("NAME/SNAP"), made into an image.</summary>
public sealed record ImagePublishPost(string? Source, string? Alias = null, string? Description = null);

/// <summary>
/// POST /1.0/images/build: make a known image on this host: busybox or debian, each as a container or a VM image;
/// Architecture (x86_64, aarch64) null for the host's.
/// </summary>
public sealed record ImageBuildPost(string? Name, InstanceType Type = InstanceType.Container, string? Suite = null, List<string>? Include = null,
    string? Architecture = null)
{
    /// <summary>
    /// The alias the built image gets: debian/12 for Debian bookworm as in design.md, else the name; an architecture asked
    /// for by name is appended (busybox/aarch64), as image servers name the variants of one image.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Alias
    {
        get
        {
            var alias = Name != "debian" ? Name ?? "" : (Suite ?? "bookworm") switch
            {
                "bookworm" => "debian/12",
                "trixie" => "debian/13",
                var other => $"debian/{other}",
            };
            return Architecture is null ? alias : $"{alias}/{Architecture}";
        }
    }
}

/// <summary>The first message on the exec WebSocket (/1.0/instances/{name}/exec): what to run and how.</summary>
public sealed record ExecPost
{
    public List<string>? Command { get; init; }
    public Dictionary<string, string>? Environment { get; init; }
    public string? Cwd { get; init; }
    public uint User { get; init; }
    public uint Group { get; init; }
    public bool Terminal { get; init; }
    public int Columns { get; init; }
    public int Rows { get; init; }
}

/// <summary>
/// Text messages on the exec WebSocket. Binary messages carry the streams: first byte 0 stdin (an empty payload
/// is end-of-file), 1 stdout, 2 stderr.
/// </summary>
public sealed record ExecControl
{
    /// <summary>
    /// exit (with Code), resize (with Columns and Rows), error (with Error and ErrorCode), or input-at-start: the command
    /// starts once stdin has ended and gets all of it then (a VM's guest agent cannot stream it), so a client with nothing
    /// to send ends stdin at once.
    /// </summary>
    public required string Type { get; init; }
    public int? Code { get; init; }
    public int? Columns { get; init; }
    public int? Rows { get; init; }
    public string? Error { get; init; }
    public int? ErrorCode { get; init; }
}

/// <summary>POST /1.0/networks.</summary>
public sealed record NetworksPost(string? Name, Dictionary<string, string>? Config = null, string? Description = null);

/// <summary>PATCH /1.0/networks/{name}: config keys to set, and keys mapped to null to unset.</summary>
public sealed record NetworkPatch(Dictionary<string, string?>? Config = null, string? Description = null);

/// <summary>POST /1.0/networks/{name}/forwards.</summary>
public sealed record NetworkForwardPost
{
    public string? ListenAddress { get; init; }
    public int ListenPort { get; init; }
    public string? Protocol { get; init; }
    public string? Instance { get; init; }
    public int TargetPort { get; init; }
    public string? Description { get; init; }
}

/// <summary>POST /1.0/instances/{name}/snapshots.</summary>
/// <param name="Name">Null for the next name by the instance's snapshots.pattern (snap0, snap1, … by default).</param>
/// <param name="Expiry">How long to keep it, in snapshots.expiry's syntax (3d, "1w 12H"), or "never"; null for the instance's snapshots.expiry.</param>
/// <param name="ExpiresAt">When to delete it, as Incus's expires_at; at most one of Expiry and ExpiresAt.</param>
public sealed record SnapshotsPost(string? Name, bool Stateful = false, string? Description = null, string? Expiry = null, DateTimeOffset? ExpiresAt = null);

/// <summary>POST /1.0/auth/login: a token, exchanged for a session cookie.</summary>
public sealed record LoginPost(string? Token);

/// <param name="Expiry">How long the token works, in the expiry syntax of snapshots (30d, 12H, "1w 3d"); null or empty for no end.</param>
public sealed record TokensPost(string? Description = null, string? Expiry = null);

/// <param name="Certificate">The client certificate in PEM.</param>
public sealed record CertificatesPost(string? Name, string? Certificate);

/// <summary>PATCH /1.0: server settings to change; a null value unsets the key.</summary>
public sealed record ServerPatch(Dictionary<string, string?>? Config = null);
