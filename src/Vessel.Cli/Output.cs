using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Vessel.Cli;

public enum OutputFormat { Table, Json, Csv }

/// <summary>Tables as Incus draws them, plus csv; json is written by each command from the API's own types.</summary>
public static class Output
{
    public static OutputFormat ParseFormat(string? text) => text switch
    {
        null or "table" => OutputFormat.Table,
        "json" => OutputFormat.Json,
        "csv" => OutputFormat.Csv,
        _ => throw new UsageException($"--format: \"{text}\" is not table, json or csv"),
    };

    /// <summary>Prints a list as --format asks: the API's own JSON, or a table or csv of the given columns.</summary>
    public static void List<T>(Arguments arguments, List<T> items, JsonTypeInfo<List<T>> json, string[] headers, Func<T, IReadOnlyList<string>> row)
    {
        var format = ParseFormat(arguments.Option("--format") ?? arguments.Option("-f"));
        Console.Out.Write(format == OutputFormat.Json
            ? JsonSerializer.Serialize(items, json) + "\n"
            : Table(headers, items.Select(row), format));
    }

    public static string Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows, OutputFormat format)
    {
        var all = rows.ToList();
        var text = new StringBuilder();
        if (format == OutputFormat.Csv)
        {
            foreach (var row in all)
                text.AppendJoin(',', row.Select(Csv)).Append('\n');
            return text.ToString();
        }
        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length))).ToArray();
        var line = "+" + string.Join("+", widths.Select(w => new string('-', w + 2))) + "+\n";
        text.Append(line);
        AppendRow(text, headers, widths, center: true);
        text.Append(line);
        foreach (var row in all)
            AppendRow(text, row, widths, center: false);
        if (all.Count > 0)
            text.Append(line);
        return text.ToString();
    }

    private static void AppendRow(StringBuilder text, IReadOnlyList<string> cells, int[] widths, bool center)
    {
        text.Append('|');
        for (var i = 0; i < cells.Count; i++)
        {
            var pad = widths[i] - cells[i].Length;
            var left = center ? pad / 2 : 0;
            text.Append(' ').Append(' ', left).Append(cells[i]).Append(' ', pad - left).Append(" |");
        }
        text.Append('\n');
    }

    private static string Csv(string cell) =>
        cell.IndexOfAny([',', '"', '\n']) >= 0 ? $"\"{cell.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : cell;

    public static string Time(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy/MM/dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static string Short(string? fingerprint) => fingerprint is null ? "" : fingerprint[..Math.Min(12, fingerprint.Length)];
}
