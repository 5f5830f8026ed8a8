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
/// A browser's login: its cookie holds a random session id, of which only the SHA-256 is kept. It lasts as long as its token
/// (deleting the token deletes its sessions) or until logout.
/// </summary>
public sealed record AuthSession
{
    /// <summary>Lower-case hex SHA-256 of the session id.</summary>
    public required string Hash { get; init; }
    public required string TokenId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
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
