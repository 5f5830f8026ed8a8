using System.Text;

namespace Vessel.Storage.Images;

/// <summary>
/// The host's Debian archive entries, re-pointed at another suite. mmdebstrap given no mirror uses
/// deb.debian.org, not the host's sources, so Vessel reads the host's sources.list and sources.list.d/ (deb822
/// .sources and one-line .list files, as apt does) and hands mmdebstrap a deb822 file: the host's
/// bookworm, bookworm-updates and bookworm-security become SUITE, SUITE-updates and SUITE-security on the same URIs,
/// with the same components and keyring. The file also becomes the image's own apt source.
/// </summary>
internal static class AptSources
{
    /// <summary>One source: one deb822 paragraph, or one line of a sources.list.</summary>
    internal sealed record Entry(IReadOnlyList<string> Types, IReadOnlyList<string> Uris, IReadOnlyList<string> Suites,
        IReadOnlyList<string> Components, string? SignedBy, bool Trusted, bool Enabled = true);

    private static readonly string[] ArchiveComponents = ["main", "contrib", "non-free", "non-free-firmware"];
    private static readonly string[] SuiteSuffixes = ["", "-updates", "-security"];
    private static readonly string[] SuitesWithoutUpdates = ["sid", "unstable", "experimental", "rc-buggy"];

    /// <summary>Every source the host's apt reads, in apt's order: sources.list, then sources.list.d/ by name.</summary>
    public static IReadOnlyList<Entry> ReadHost(string aptDirectory)
    {
        var entries = new List<Entry>();
        var list = Path.Combine(aptDirectory, "sources.list");
        if (File.Exists(list))
            entries.AddRange(ParseOneLine(File.ReadAllText(list)));
        var parts = Path.Combine(aptDirectory, "sources.list.d");
        if (Directory.Exists(parts))
        {
            foreach (var file in Directory.EnumerateFiles(parts).Order(StringComparer.Ordinal))
            {
                if (file.EndsWith(".list", StringComparison.Ordinal))
                    entries.AddRange(ParseOneLine(File.ReadAllText(file)));
                else if (file.EndsWith(".sources", StringComparison.Ordinal))
                    entries.AddRange(ParseDeb822(File.ReadAllText(file)));
            }
        }
        return entries;
    }

    /// <summary>deb822 paragraphs: "Field: value" lines, continuation lines indented, '#' lines ignored.</summary>
    public static IReadOnlyList<Entry> ParseDeb822(string text)
    {
        var entries = new List<Entry>();
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? last = null;
        foreach (var raw in text.ReplaceLineEndings("\n").Split('\n').Append(""))
        {
            if (raw.StartsWith('#'))
                continue;
            if (raw.Trim().Length == 0)
            {
                if (fields.Count > 0)
                    entries.Add(FromFields(fields));
                fields.Clear();
                last = null;
            }
            else if (raw[0] is ' ' or '\t')
            {
                if (last is not null)
                    fields[last] += "\n" + raw.Trim();
            }
            else if (raw.IndexOf(':', StringComparison.Ordinal) is var colon and > 0)
            {
                last = raw[..colon].Trim();
                fields[last] = raw[(colon + 1)..].Trim();
            }
        }
        return entries;

        static Entry FromFields(Dictionary<string, string> fields)
        {
            IReadOnlyList<string> Words(string name) => fields.TryGetValue(name, out var value) ? value.Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries) : [];
            bool Yes(string name, bool absent) => fields.TryGetValue(name, out var value) ? value.Trim().ToLowerInvariant() is "yes" or "true" or "1" : absent;
            return new Entry(Words("Types"), Words("URIs"), Words("Suites"), Words("Components"),
                fields.TryGetValue("Signed-By", out var signedBy) ? signedBy : null, Yes("Trusted", false), Yes("Enabled", true));
        }
    }

    /// <summary>One-line sources: <c>deb [option=value …] URI SUITE COMPONENT…</c>, '#' to the end of a line ignored.</summary>
    public static IReadOnlyList<Entry> ParseOneLine(string text)
    {
        var entries = new List<Entry>();
        foreach (var raw in text.ReplaceLineEndings("\n").Split('\n'))
        {
            var line = raw.Split('#', 2)[0];
            var words = new Queue<string>(line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries));
            var type = words.Count < 2 ? null : words.Dequeue();
            if (type is not ("deb" or "deb-src"))
                continue;
            var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (words.Peek().StartsWith('['))
            {
                var bracket = new StringBuilder();
                while (words.Count > 0)
                {
                    var word = words.Dequeue();
                    bracket.Append(' ').Append(word);
                    if (word.EndsWith(']'))
                        break;
                }
                foreach (var option in bracket.ToString().Trim(' ', '[', ']').Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    var pair = option.Split('=', 2);
                    options[pair[0]] = pair.Length == 2 ? pair[1] : "";
                }
            }
            if (words.Count < 2)
                continue;
            var uri = words.Dequeue();
            var suite = words.Dequeue();
            options.TryGetValue("signed-by", out var signedBy);
            entries.Add(new Entry([type], [uri], [suite], [.. words], signedBy?.Replace(',', ' '),
                options.TryGetValue("trusted", out var trusted) && trusted == "yes"));
        }
        return entries;
    }

    /// <summary>
    /// A deb822 sources file for <paramref name="suite"/> from the host's Debian archive entries, or null when the
    /// host has none. An entry counts as Debian's when it is an enabled "deb" entry, its components are among main,
    /// contrib, non-free and non-free-firmware, its keyring (if it names one) is a debian-archive-* file, and its
    /// suites are a release (bookworm, stable…) or that release's -updates or -security; third-party repositories,
    /// backports and deb-src entries are left out.
    /// </summary>
    public static string? Render(IEnumerable<Entry> host, string suite)
    {
        var withUpdates = !SuitesWithoutUpdates.Contains(suite) && !suite.Contains('-', StringComparison.Ordinal);
        var paragraphs = new List<string>();
        foreach (var entry in host)
        {
            if (!IsDebianArchive(entry))
                continue;
            var suites = entry.Suites
                .Select(s => s.IndexOf('-', StringComparison.Ordinal) is var dash and > 0 ? s[dash..] : "")
                .Where(suffix => SuiteSuffixes.Contains(suffix) && (withUpdates || suffix.Length == 0))
                .Select(suffix => suite + suffix)
                .Distinct(StringComparer.Ordinal)
                .ToList();
            if (suites.Count == 0)
                continue;
            var paragraph = new StringBuilder()
                .Append("Types: deb\n")
                .Append("URIs: ").AppendJoin(' ', entry.Uris).Append('\n')
                .Append("Suites: ").AppendJoin(' ', suites).Append('\n')
                .Append("Components: ").AppendJoin(' ', entry.Components).Append('\n');
            if (entry.SignedBy is not null)
                paragraph.Append("Signed-By: ").Append(entry.SignedBy).Append('\n');
            if (entry.Trusted)
                paragraph.Append("Trusted: yes\n");
            var text = paragraph.ToString();
            if (!paragraphs.Contains(text))
                paragraphs.Add(text);
        }
        return paragraphs.Count == 0 ? null : string.Join('\n', paragraphs);
    }

    private static bool IsDebianArchive(Entry entry) =>
        entry.Enabled
        && entry.Types.Contains("deb")
        && entry.Uris.Count > 0
        && entry.Components.Count > 0
        && entry.Components.All(c => ArchiveComponents.Contains(c))
        && (entry.SignedBy is null || entry.SignedBy.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .All(key => key.StartsWith('/') && Path.GetFileName(key).StartsWith("debian-archive", StringComparison.Ordinal)));
}
