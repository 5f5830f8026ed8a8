using System.Globalization;
using Vessel.Core.Model;

namespace Vessel.Core.Validation;

/// <summary>One known instance config key: which instance type takes it (null: both) and how its value is checked.</summary>
public sealed record ConfigKey(string Name, string Rule, Action<string, string, HostResources> Check, InstanceType? OnlyFor = null)
{
    public static ConfigKey Bool(string name, InstanceType? onlyFor = null) =>
        new(name, "true or false", (key, value, _) =>
        {
            if (value is not ("true" or "false"))
                throw new BadRequestException($"{key}: \"{value}\" is not true or false");
        }, onlyFor);

    public static ConfigKey Integer(string name, long min, long max, string unit = "", InstanceType? onlyFor = null) =>
        new(name, $"{min} to {max}{unit}", (key, value, _) => ParseInteger(key, value, min, max, unit), onlyFor);

    public static ConfigKey OneOf(string name, IReadOnlyList<string> values, InstanceType? onlyFor = null) =>
        new(name, $"one of {string.Join(", ", values)}", (key, value, _) =>
        {
            if (!values.Contains(value))
                throw new BadRequestException($"{key}: \"{value}\" is not one of {string.Join(", ", values)}");
        }, onlyFor);

    public static ConfigKey Text(string name, int maxLength = 4096) => new(name, $"any text up to {maxLength} characters", (key, value, _) =>
        CheckLength(key, value, maxLength));

    public static void CheckLength(string key, string value, int maxLength)
    {
        if (value.Length > maxLength)
            throw new BadRequestException($"{key}: the value is {value.Length} characters long; at most {maxLength} are allowed");
    }

    public static long ParseInteger(string key, string value, long min, long max, string unit = "")
    {
        if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
            throw new BadRequestException($"{key}: \"{value}\" is not a whole number");
        if (n < min || n > max)
            throw new BadRequestException($"{key}: {n} is out of range; allowed is {min} to {max}{unit}");
        return n;
    }

    public void Validate(string value, InstanceType type, HostResources host)
    {
        if (OnlyFor is { } only && type != only)
            throw new BadRequestException($"{Name}: applies to {(only == InstanceType.Container ? "containers" : "virtual machines")} only");
        Check(Name, value, host);
    }
}
