using Microsoft.Data.Sqlite;
using Vessel.Core;
using Vessel.Core.Model;

namespace Vessel.State;

public sealed partial class SqliteStateStore
{
    private const string TokenColumns = "id, hash, description, created_at, expires_at";
    private const string CertificateColumns = "fingerprint, name, certificate, created_at";

    public Task<IReadOnlyList<AuthToken>> ListTokensAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<AuthToken>>(c => Query(c, null, $"SELECT {TokenColumns} FROM auth_tokens ORDER BY created_at, id", ReadToken), cancellationToken);

    public Task<AuthToken?> FindTokenAsync(string hash, CancellationToken cancellationToken = default) =>
        ReadAsync(c => Query(c, null, $"SELECT {TokenColumns} FROM auth_tokens WHERE hash = $h", ReadToken, ("$h", hash)).FirstOrDefault(), cancellationToken);

    private static AuthToken ReadToken(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        Hash = r.GetString(1),
        Description = r.GetString(2),
        CreatedAt = Time(r, 3),
        ExpiresAt = r.IsDBNull(4) ? null : Time(r, 4),
    };

    public Task CreateTokenAsync(AuthToken token, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) => Execute(c, t, $"INSERT INTO auth_tokens ({TokenColumns}) VALUES ($i, $h, $d, $c, $e)", ("$i", token.Id), ("$h", token.Hash),
            ("$d", token.Description), ("$c", Time(token.CreatedAt)), ("$e", token.ExpiresAt is { } e ? Time(e) : null)),
            cancellationToken, () => $"a token with id \"{token.Id}\" exists already");

    public Task DeleteTokenAsync(string id, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) =>
        {
            if (Execute(c, t, "DELETE FROM auth_tokens WHERE id = $i", ("$i", id)) == 0)
                throw new NotFoundException($"no token has the id \"{id}\"");
        }, cancellationToken);

    public Task CreateSessionAsync(AuthSession session, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) => Execute(c, t, "INSERT INTO auth_sessions (hash, token_id, created_at, last_seen_at) VALUES ($h, $i, $c, $s)",
            ("$h", session.Hash), ("$i", session.TokenId), ("$c", Time(session.CreatedAt)), ("$s", Time(session.LastSeenAt))),
            cancellationToken, () => $"no token has the id \"{session.TokenId}\" (deleted while logging in?)");

    public Task<(AuthSession Session, AuthToken Token)?> FindSessionAsync(string hash, CancellationToken cancellationToken = default) =>
        ReadAsync(c => Query<(AuthSession, AuthToken)?>(c, null,
            "SELECT t.id, t.hash, t.description, t.created_at, t.expires_at, s.created_at, s.last_seen_at " +
            "FROM auth_sessions s JOIN auth_tokens t ON t.id = s.token_id WHERE s.hash = $h",
            r =>
            {
                var token = ReadToken(r);
                return (new AuthSession { Hash = hash, TokenId = token.Id, CreatedAt = Time(r, 5), LastSeenAt = Time(r, 6) }, token);
            }, ("$h", hash)).FirstOrDefault(), cancellationToken);

    public Task TouchSessionAsync(string hash, DateTimeOffset seenAt, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) => Execute(c, t, "UPDATE auth_sessions SET last_seen_at = $s WHERE hash = $h", ("$h", hash), ("$s", Time(seenAt))),
            cancellationToken);

    public Task PruneSessionsAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) => Execute(c, t, "DELETE FROM auth_sessions WHERE last_seen_at <= $idle OR created_at <= $age",
            ("$idle", Time(now - AuthSession.IdleLimit)), ("$age", Time(now - AuthSession.AgeLimit))), cancellationToken);

    public Task DeleteSessionAsync(string hash, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) => Execute(c, t, "DELETE FROM auth_sessions WHERE hash = $h", ("$h", hash)), cancellationToken);

    public Task<IReadOnlyList<TrustedCertificate>> ListCertificatesAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<TrustedCertificate>>(c => Query(c, null, $"SELECT {CertificateColumns} FROM trusted_certificates ORDER BY name",
            ReadCertificate), cancellationToken);

    public Task<TrustedCertificate?> GetCertificateAsync(string fingerprint, CancellationToken cancellationToken = default) =>
        ReadAsync(c => Query(c, null, $"SELECT {CertificateColumns} FROM trusted_certificates WHERE fingerprint = $f", ReadCertificate,
            ("$f", fingerprint)).FirstOrDefault(), cancellationToken);

    private static TrustedCertificate ReadCertificate(SqliteDataReader r) => new()
    {
        Fingerprint = r.GetString(0),
        Name = r.GetString(1),
        Certificate = r.GetString(2),
        CreatedAt = Time(r, 3),
    };

    public Task AddCertificateAsync(TrustedCertificate certificate, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) => Execute(c, t, $"INSERT INTO trusted_certificates ({CertificateColumns}) VALUES ($f, $n, $p, $c)",
            ("$f", certificate.Fingerprint), ("$n", certificate.Name), ("$p", certificate.Certificate), ("$c", Time(certificate.CreatedAt))),
            cancellationToken, () => $"the certificate {certificate.Fingerprint} is trusted already");

    public Task DeleteCertificateAsync(string fingerprint, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) =>
        {
            if (Execute(c, t, "DELETE FROM trusted_certificates WHERE fingerprint = $f", ("$f", fingerprint)) == 0)
                throw new NotFoundException($"no trusted certificate has the fingerprint \"{fingerprint}\"");
        }, cancellationToken);
}
