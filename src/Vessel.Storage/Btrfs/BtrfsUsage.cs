using System.Globalization;
using Vessel.Core.Model;

namespace Vessel.Storage.Btrfs;

/// <summary>Reads what btrfs says is used, by the whole filesystem and by one subvolume.</summary>
public static class BtrfsUsage
{
    /// <summary>
    /// Reads `btrfs filesystem usage -b`: the device size and what is used on it (data plus its metadata, DUP counted twice),
    /// which statfs cannot tell: its free space is a guess that hides metadata reservations and RAID profiles.
    /// </summary>
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

    /// <summary>
    /// The exclusive bytes in `btrfs qgroup show --raw -f`'s row of a level-0 qgroup ("0/257  16384  8192  path"): what the
    /// subvolume holds alone, as of the filesystem's last commit.
    /// </summary>
    public static long Exclusive(string qgroupShow)
    {
        foreach (var line in qgroupShow.Split('\n'))
        {
            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields is [var id, _, var exclusive, ..] && id.StartsWith("0/", StringComparison.Ordinal))
                return long.Parse(exclusive, NumberStyles.None, CultureInfo.InvariantCulture);
        }
        throw new InvalidDataException($"btrfs qgroup show printed no qgroup: {qgroupShow.Split('\n').FirstOrDefault()}");
    }

    private static long Number(string line)
    {
        var value = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim().Split([' ', '\t'], 2)[0];
        return long.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
    }

    private static InvalidDataException Unreadable(string text) =>
        new($"btrfs filesystem usage printed no device size or use: {text.Split('\n').FirstOrDefault()}");
}
