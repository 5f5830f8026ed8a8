using System.Globalization;

namespace Vessel.Core.Validation;

public static class CpuSet
{
    /// <summary>Parses a cpuset list such as 0-3,5 into its CPU ids, in order and without repeats.</summary>
    public static IReadOnlyList<int> Parse(string field, string text)
    {
        var cpus = new SortedSet<int>();
        foreach (var part in text.Split(','))
        {
            var bounds = part.Split('-');
            if (bounds.Length is < 1 or > 2 || !TryCpu(bounds[0], out var first))
                throw Invalid(field, text);
            var last = first;
            if (bounds.Length == 2 && (!TryCpu(bounds[1], out last) || last < first))
                throw Invalid(field, text);
            for (var cpu = first; cpu <= last; cpu++)
                cpus.Add(cpu);
        }
        return [.. cpus];
    }

    public static string Format(IEnumerable<int> cpus) => string.Join(',', cpus);

    private static bool TryCpu(string text, out int cpu) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out cpu) && cpu < 4096;

    private static BadRequestException Invalid(string field, string text) =>
        new($"{field}: \"{text}\" is not a CPU count or a CPU set such as 0-1,3");
}
