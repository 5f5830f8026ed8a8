using System.Text.Json;

namespace Vessel.Engines.Qemu.Qmp;

/// <summary>An asynchronous QMP event: SHUTDOWN, POWERDOWN, STOP, RESUME, RESET, BALLOON_CHANGE, …</summary>
/// <param name="Data">The event's data object, or an empty object when it has none.</param>
public sealed record QmpEvent(string Name, JsonElement Data, DateTimeOffset Timestamp)
{
    /// <summary>A string member of the data, e.g. SHUTDOWN's "reason" (guest-shutdown, host-qmp-quit, host-signal…).</summary>
    public string? DataString(string name) =>
        Data.ValueKind == JsonValueKind.Object && Data.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
