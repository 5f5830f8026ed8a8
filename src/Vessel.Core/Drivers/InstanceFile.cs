using System.Globalization;

namespace Vessel.Core.Drivers;

/// <summary>
/// The mode and owner a file pushed into an instance gets (ids as the instance sees them). A path names a file as the
/// instance sees it: absolute, at most 4096 bytes, no NUL.
/// </summary>
public sealed record InstanceFile(UnixFileMode Mode, uint Uid, uint Gid)
{
    public static InstanceFile Default { get; } = new((UnixFileMode)0b110_100_100, 0, 0);

    /// <exception cref="BadRequestException">The path is missing, relative, too long or holds a NUL.</exception>
    public static string ValidatePath(string? path)
    {
        if (string.IsNullOrEmpty(path))
            throw new BadRequestException("path: the absolute path of the file in the instance is required");
        if (path[0] != '/')
            throw new BadRequestException($"path: \"{path}\" is not absolute");
        if (path.Contains('\0', StringComparison.Ordinal) || System.Text.Encoding.UTF8.GetByteCount(path) > 4096)
            throw new BadRequestException("path: at most 4096 bytes and no NUL");
        if (path.EndsWith('/'))
            throw new BadRequestException($"path: \"{path}\" names a directory, not a file");
        return path;
    }

    /// <summary>A mode in octal as chmod takes it (644, 0755, 4755); null for none.</summary>
    /// <exception cref="BadRequestException">It is not 1 to 4 octal digits.</exception>
    public static UnixFileMode? ParseMode(string field, string? text)
    {
        if (text is null)
            return null;
        if (text.Length is 0 or > 4 || text.Any(c => c is < '0' or > '7'))
            throw new BadRequestException($"{field}: \"{text}\" is not a file mode; use octal digits such as 644 or 0755");
        return (UnixFileMode)Convert.ToInt32(text, 8);
    }

    /// <summary>A uid or gid; null for none.</summary>
    /// <exception cref="BadRequestException">It is not a whole number below 2^32 - 1.</exception>
    public static uint? ParseId(string field, string? text) =>
        text is null ? null
        : uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id != uint.MaxValue ? id
        : throw new BadRequestException($"{field}: \"{text}\" is not a numeric id");
}
