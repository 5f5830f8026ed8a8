namespace Vessel.Core.Model;

/// <summary>A token that logs a client in over TCP. Only the SHA-256 of its secret is kept; the secret is shown once.</summary>
public sealed record AuthToken
{
    public required string Id { get; init; }
    /// <summary>Lower-case hex SHA-256 of the secret.</summary>
    public required string Hash { get; init; }
    public string Description { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
    /// <summary>When it stops working; null for never.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    public bool IsExpired(DateTimeOffset now) => ExpiresAt is { } expires && expires <= now;
}

/// <summary>
/// A browser's login: its cookie holds a random session id, of which only the SHA-256 is kept. It ends at logout, with its
/// token (deleting the token deletes its sessions), after <see cref="IdleLimit"/> without a request and at
/// <see cref="AgeLimit"/> in any case.
/// </summary>
public sealed record AuthSession
{
    public static readonly TimeSpan IdleLimit = TimeSpan.FromHours(12), AgeLimit = TimeSpan.FromDays(7);

    /// <summary>Lower-case hex SHA-256 of the session id.</summary>
    public required string Hash { get; init; }
    public required string TokenId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    /// <summary>The last request it made, to the minute (<see cref="NeedsTouch"/>).</summary>
    public DateTimeOffset LastSeenAt { get; init; }

    public bool HasEnded(DateTimeOffset now) => now - LastSeenAt >= IdleLimit || now - CreatedAt >= AgeLimit;

    /// <summary>Whether a request now is worth a write: the time it was last seen is kept to the minute.</summary>
    public bool NeedsTouch(DateTimeOffset now) => now - LastSeenAt >= TimeSpan.FromMinutes(1);
}

/// <summary>A client certificate whose holder may use the API over TCP without a token.</summary>
public sealed record TrustedCertificate
{
    /// <summary>Lower-case hex SHA-256 of the certificate's DER bytes.</summary>
    public required string Fingerprint { get; init; }
    public required string Name { get; init; }
    /// <summary>The certificate in PEM.</summary>
    public required string Certificate { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}
