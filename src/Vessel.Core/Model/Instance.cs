namespace Vessel.Core.Model;

public sealed record Instance
{
    public required string Name { get; init; }
    public required InstanceType Type { get; init; }
    public InstanceStatus Status { get; init; } = InstanceStatus.Stopped;
    /// <summary>Why the instance is in Error, or what it is waiting for.</summary>
    public string? StatusReason { get; init; }
    public string Architecture { get; init; } = "x86_64";
    public IReadOnlyDictionary<string, string> Config { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Devices { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>();
    /// <summary>Fingerprint of the image the instance was made from.</summary>
    public string? Image { get; init; }
    public required string Pool { get; init; }
    public bool Ephemeral { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset StatusChangedAt { get; init; }
}
