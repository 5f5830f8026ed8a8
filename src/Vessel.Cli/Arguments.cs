namespace Vessel.Cli;

/// <summary>
/// A parsed command line: positionals, --flags, --options with a value, and repeatable -c key=value.
/// Each command declares which flags and options it takes, so a typo is a usage error, not ignored.
/// </summary>
public sealed class Arguments
{
    private readonly Dictionary<string, List<string>> _options = [];
    private readonly HashSet<string> _flags = [];

    public List<string> Positionals { get; } = [];

    public static Arguments Parse(IEnumerable<string> args, string[] flags, string[] options)
    {
        var parsed = new Arguments();
        using var e = args.GetEnumerator();
        var rest = false;
        while (e.MoveNext())
        {
            var arg = e.Current;
            if (rest || arg == "-" || !arg.StartsWith('-'))
            {
                parsed.Positionals.Add(arg);
                continue;
            }
            if (arg == "--")
            {
                rest = true;
                continue;
            }
            var name = arg;
            string? value = null;
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                name = arg[..eq];
                value = arg[(eq + 1)..];
            }
            if (flags.Contains(name) && value is null)
            {
                parsed._flags.Add(name);
            }
            else if (options.Contains(name))
            {
                if (value is null)
                {
                    if (!e.MoveNext())
                        throw new UsageException($"{name} needs a value");
                    value = e.Current;
                }
                if (!parsed._options.TryGetValue(name, out var list))
                    parsed._options[name] = list = [];
                list.Add(value);
            }
            else
            {
                throw new UsageException($"unknown option \"{name}\"");
            }
        }
        return parsed;
    }

    public bool Flag(string name) => _flags.Contains(name);

    public string? Option(string name) => _options.TryGetValue(name, out var values) ? values[^1] : null;

    public IReadOnlyList<string> Options(string name) => _options.TryGetValue(name, out var values) ? values : [];

    public string Positional(int index, string what) =>
        index < Positionals.Count ? Positionals[index] : throw new UsageException($"missing {what}");

    public void ExpectPositionals(int min, int max, string usage)
    {
        if (Positionals.Count < min || Positionals.Count > max)
            throw new UsageException($"usage: {usage}");
    }

    /// <summary>key=value pairs, as given to -c or config set.</summary>
    public static KeyValuePair<string, string> KeyValue(string text)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
            throw new UsageException($"\"{text}\" is not key=value");
        return new(text[..eq], text[(eq + 1)..]);
    }
}
