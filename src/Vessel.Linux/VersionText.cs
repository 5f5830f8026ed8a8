using System.Text.RegularExpressions;

namespace Vessel.Linux;

internal static partial class VersionText
{
    /// <summary>
    /// The first dotted version number in a <c>--version</c> line: "QEMU emulator version 7.2.13 (Debian
    /// 1:7.2+dfsg-7)" → "7.2.13", "nftables v1.0.6 (Lester Gooch #5)" → "1.0.6". Null when there is none.
    /// </summary>
    public static string? Parse(string? line)
    {
        if (line is null)
        {
            return null;
        }

        var match = DottedVersion().Match(line);
        return match.Success ? match.Groups[1].Value : null;
    }

    [GeneratedRegex(@"(?<![\w.:+~-])v?(\d+(?:\.\d+)+)")]
    private static partial Regex DottedVersion();
}
