using Vessel.Core;
using Vessel.Core.Validation;

namespace Vessel.Storage.Btrfs;

/// <summary>The size of a loop-file pool: the size setting within its range, or Incus's default (a fifth of the free space, 5 to 30 GiB).</summary>
public static class PoolSize
{
    public const long Minimum = 256L << 20, Maximum = 16L << 40;
    private const long DefaultMinimum = 5L << 30, DefaultMaximum = 30L << 30;

    /// <param name="freeBytes">Free space of the filesystem that will hold the loop file (sparse: it only grows as the pool fills).</param>
    public static long Of(string? setting, long freeBytes)
    {
        if (setting is null)
            return Math.Clamp(freeBytes / 5, DefaultMinimum, DefaultMaximum);
        var bytes = Sizes.Parse("size", setting);
        if (bytes is < Minimum or > Maximum)
            throw new BadRequestException($"size: {setting} is out of range; a btrfs pool is {Sizes.Format(Minimum)} to {Sizes.Format(Maximum)}");
        return bytes;
    }
}
