using System.Text.Json;
using Vessel.Core.Api;
using Vessel.Core.Model;

namespace Vessel.Daemon.Api;

/// <summary>
/// The instance list as JSON, serialised once per store snapshot: the store hands out the same immutable
/// list until a write replaces it, so a list that is read thousands of times a second is encoded once.
/// </summary>
public sealed class InstanceListJson
{
    private sealed record Entry(IReadOnlyList<Instance> Snapshot, byte[] Paths, byte[] Full);

    private Entry? _entry;

    public byte[] Get(IReadOnlyList<Instance> snapshot, bool recursion)
    {
        var entry = _entry;
        if (entry is null || !ReferenceEquals(entry.Snapshot, snapshot))
        {
            entry = new Entry(snapshot,
                JsonSerializer.SerializeToUtf8Bytes(snapshot.Select(i => $"/1.0/instances/{i.Name}").ToList(), VesselJson.Wire.ListString),
                JsonSerializer.SerializeToUtf8Bytes(snapshot.ToList(), VesselJson.Wire.ListInstance));
            _entry = entry;
        }
        return recursion ? entry.Full : entry.Paths;
    }
}
