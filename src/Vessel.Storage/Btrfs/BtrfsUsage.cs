using System.Globalization;
using Vessel.Core.Model;

namespace Vessel.Storage.Btrfs;

/// <summary>
/// Reads `btrfs filesystem usage -b`: the device size and what is used on it (data plus its metadata, DUP counted twice),
/// which statfs cannot tell: its free space is a guess that hides metadata reservations and RAID profiles.
/// </summary>
public static class BtrfsUsage
{
    public static PoolUsage Parse(string text)
    {
        long? size = null, used = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("Device size:", StringComparison.Ordinal))
                size = Number(line);
            else if (line.StartsWith("Used:", StringComparison.Ordinal) && used is null)
                used = Number(line);
        }
        return new PoolUsage(used ?? throw Unreadable(text), size ?? throw Unreadable(text));
    }

    private static long Number(string line)
    {
        var value = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim().Split([' ', '\t'], 2)[0];
        return long.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
    }

    private static InvalidDataException Unreadable(string text) =>
        new($"btrfs filesystem usage printed no device size or use: {text.Split('\n').FirstOrDefault()}");
}
