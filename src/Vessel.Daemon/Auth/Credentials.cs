using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Vessel.Core.Model;
using Vessel.Core.State;

namespace Vessel.Daemon.Auth;

/// <summary>How token secrets are made and hashed, and certificates named.</summary>
internal static class Credentials
{
    /// <summary>32 random bytes in base64url after a prefix that makes a leaked token easy to recognise.</summary>
    public static string NewToken() =>
        "vessel_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string NewTokenId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>The token with that secret, when it exists and has not expired.</summary>
    public static async Task<AuthToken?> FindTokenAsync(IStateStore store, string secret, CancellationToken cancellationToken) =>
        await store.FindTokenAsync(Hash(secret), cancellationToken) is { } token && !token.IsExpired(DateTimeOffset.UtcNow) ? token : null;

    public static string Fingerprint(X509Certificate2 certificate) => Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
}
