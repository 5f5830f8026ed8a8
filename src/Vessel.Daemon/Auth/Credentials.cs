using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Vessel.Core.Model;
using Vessel.Core.State;

namespace Vessel.Daemon.Auth;

/// <summary>How token secrets and session ids are made and hashed, and certificates named.</summary>
internal static class Credentials
{
    /// <summary>32 random bytes in base64url after a prefix that makes a leaked token easy to recognise.</summary>
    public static string NewToken() => "vessel_" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static string NewTokenId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    /// <summary>A browser session's id: 256 random bits in base64url.</summary>
    public static string NewSessionId() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>The token with that secret, when it exists and has not expired.</summary>
    public static async Task<AuthToken?> FindTokenAsync(IStateStore store, string secret, CancellationToken cancellationToken) =>
        Unexpired(await store.FindTokenAsync(Hash(secret), cancellationToken));

    /// <summary>
    /// The token a browser session logged in with, when the session exists, has not ended and its token has not expired;
    /// notes the request as the session's last (to the minute), and deletes a session that has ended.
    /// </summary>
    public static async Task<AuthToken?> FindSessionTokenAsync(IStateStore store, string sessionId, CancellationToken cancellationToken)
    {
        var hash = Hash(sessionId);
        if (await store.FindSessionAsync(hash, cancellationToken) is not var (session, token))
            return null;
        var now = DateTimeOffset.UtcNow;
        if (session.HasEnded(now))
        {
            await store.DeleteSessionAsync(hash, cancellationToken);
            return null;
        }
        if (session.NeedsTouch(now))
            await store.TouchSessionAsync(hash, now, cancellationToken);
        return Unexpired(token);
    }

    private static AuthToken? Unexpired(AuthToken? token) => token is not null && !token.IsExpired(DateTimeOffset.UtcNow) ? token : null;

    public static string Fingerprint(X509Certificate2 certificate) => Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
}
