using System.Net;

namespace Vessel.Core.Validation;

/// <summary>The server's own settings (PATCH /1.0), named as in Incus.</summary>
public static class ServerConfigSchema
{
    /// <summary>Where the daemon serves the API and the web UI over HTTPS; unset means no TCP listener.</summary>
    public const string HttpsAddress = "core.https_address";

    public static IReadOnlyList<string> Keys { get; } = [HttpsAddress];

    public static void ValidateKey(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        switch (key)
        {
            case HttpsAddress: ParseEndpoint(key, value); break;
            default: throw new BadRequestException($"unknown server config key \"{key}\"; known: {string.Join(", ", Keys)}");
        }
    }

    /// <summary>ADDRESS:PORT such as 127.0.0.1:8443 or [::1]:8443; [::]:PORT and 0.0.0.0:PORT listen on every address.</summary>
    public static IPEndPoint ParseEndpoint(string key, string value)
    {
        if (!IPEndPoint.TryParse(value, out var endpoint) || endpoint.Port == 0 || !value.Contains(':', StringComparison.Ordinal)
            || value.EndsWith(']'))
            throw new BadRequestException($"{key}: \"{value}\" is not an address with a port, such as 127.0.0.1:8443 or [::1]:8443");
        return endpoint;
    }
}
