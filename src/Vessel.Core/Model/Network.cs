namespace Vessel.Core.Model;

/// <summary>A managed bridge network: its bridge has the network's name, its config follows Incus's keys.</summary>
public sealed record Network
{
    public required string Name { get; init; }
    public string Description { get; init; } = "";
    /// <summary>Keys of <see cref="Validation.NetworkConfigSchema"/>; ipv4.address holds the chosen subnet, never "auto".</summary>
    public IReadOnlyDictionary<string, string> Config { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<NetworkForward> Forwards { get; init; } = [];
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>Traffic to ListenAddress:ListenPort on the host goes to the instance's address on the network, TargetPort.</summary>
public sealed record NetworkForward
{
    public required string ListenAddress { get; init; }
    public required int ListenPort { get; init; }
    /// <summary>tcp or udp.</summary>
    public required string Protocol { get; init; }
    public required string Instance { get; init; }
    public required int TargetPort { get; init; }
    public string Description { get; init; } = "";
}
