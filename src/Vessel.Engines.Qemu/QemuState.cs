using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vessel.Engines.Qemu;

/// <summary>
/// Written to the run directory once QEMU runs: its pid with its start time (a reused pid has a later one) and the
/// memory it booted with, the ceiling for balloon changes, what it runs on (machine type, QEMU, accelerator) and where
/// its display listens on TCP.
/// Re-adoption after a daemon restart starts from here.
/// </summary>
public sealed record QemuState
{
    public required int Pid { get; init; }
    public required long StartTime { get; init; }
    public required long MemoryBytes { get; init; }
    public string? Machine { get; init; }
    /// <summary>Where the display listens on TCP (vm.vnc.address), e.g. 127.0.0.1:5901; null when it does not.</summary>
    public string? VncAddress { get; init; }
    /// <summary>
    /// A vCPU was taken out while it ran. QEMU 7.2 then corrupts its heap when it loads a saved state ("corrupted size vs.
    /// prev_size" and it is gone, seen with loadvm too), so a stateful restore starts a QEMU of its own first.
    /// </summary>
    public bool CpuUnplugged { get; init; }

    /// <summary>Both name one QEMU process, whatever else was recorded about it since.</summary>
    public bool IsSameProcess(QemuState other) => Pid == other.Pid && StartTime == other.StartTime;

    public static QemuState? Read(QemuPaths paths)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(paths.StateFile), QemuJson.Default.QemuState);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or JsonException)
        {
            return null;
        }
    }

    public void Write(QemuPaths paths)
    {
        var partial = paths.StateFile + ".partial";
        File.WriteAllText(partial, JsonSerializer.Serialize(this, QemuJson.Default.QemuState));
        File.Move(partial, paths.StateFile, overwrite: true);
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(QemuState))]
internal sealed partial class QemuJson : JsonSerializerContext;
