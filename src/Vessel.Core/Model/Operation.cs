using System.Text.Json.Serialization;

namespace Vessel.Core.Model;

[JsonConverter(typeof(JsonStringEnumConverter<OperationStatus>))]
public enum OperationStatus
{
    Pending,
    Running,
    Success,
    Failure,
    Cancelled,
}

/// <summary>A long action (create, start, import…) with an id, a status and an error, like Incus operations.</summary>
public sealed record Operation
{
    public required string Id { get; init; }
    public required string Description { get; init; }
    public OperationStatus Status { get; init; }
    /// <summary>API paths of what the operation acts on, e.g. /1.0/instances/web1.</summary>
    public IReadOnlyList<string> Resources { get; init; } = [];
    public string? Error { get; init; }
    public bool MayCancel { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    [JsonIgnore]
    public bool IsFinal => Status is OperationStatus.Success or OperationStatus.Failure or OperationStatus.Cancelled;
}
