using System.Text.Json.Serialization;

namespace Vessel.Core.Model;

/// <summary>The one lifecycle every engine shares. Starting and Stopping are the transitional states.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<InstanceStatus>))]
public enum InstanceStatus
{
    Stopped,
    Starting,
    Running,
    Stopping,
    Frozen,
    Error,
}
