namespace Vessel.Core.Validation;

public static class Names
{
    /// <summary>
    /// Instance, pool and snapshot names: a DNS label that starts with a letter (as in Incus, so that a
    /// name can never be mistaken for an address), letters, digits and dashes, at most 63 characters.
    /// </summary>
    public static void ValidateLabel(string field, string? name)
    {
        if (string.IsNullOrEmpty(name))
            throw new BadRequestException($"{field}: a name is required");
        if (name.Length > 63)
            throw new BadRequestException($"{field}: \"{Shorten(name)}\" is {name.Length} characters long; a name is at most 63");
        if (!char.IsAsciiLetter(name[0]))
            throw new BadRequestException($"{field}: \"{name}\" must start with a letter");
        if (name[^1] == '-')
            throw new BadRequestException($"{field}: \"{name}\" must not end with a dash");
        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-')
                throw new BadRequestException($"{field}: \"{name}\" may hold only letters, digits and dashes, not '{c}'");
        }
    }

    /// <summary>Network names: a label that is also the bridge's interface name, so at most 15 characters.</summary>
    public static void ValidateNetworkName(string field, string? name)
    {
        ValidateLabel(field, name);
        if (name!.Length > 15)
            throw new BadRequestException($"{field}: \"{name}\" is {name.Length} characters long; a network name is at most 15 (it names the bridge)");
    }

    /// <summary>Image aliases such as debian/12: letters, digits, '.', '_', '-' and '/' between parts.</summary>
    public static void ValidateAlias(string field, string? alias)
    {
        if (string.IsNullOrEmpty(alias))
            throw new BadRequestException($"{field}: an alias is required");
        if (alias.Length > 128)
            throw new BadRequestException($"{field}: an alias is at most 128 characters");
        foreach (var part in alias.Split('/'))
        {
            if (part.Length == 0 || part is "." or "..")
                throw new BadRequestException($"{field}: \"{alias}\" has an empty, '.' or '..' part");
            foreach (var c in part)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-'))
                    throw new BadRequestException($"{field}: \"{alias}\" may hold only letters, digits, '.', '_', '-' and '/', not '{c}'");
            }
        }
        if (IsFingerprintPrefix(alias))
            throw new BadRequestException($"{field}: \"{alias}\" looks like a fingerprint; pick an alias that is not only hex digits");
    }

    public static bool IsFingerprintPrefix(string value) =>
        value.Length is >= 8 and <= 64 && value.All(char.IsAsciiHexDigitLower);

    private static string Shorten(string s) => s.Length > 20 ? s[..20] + "…" : s;
}
