using Vessel.Core;
using Vessel.Core.Model;

namespace Vessel.State.Tests;

public sealed class AuthTests : IDisposable
{
    private readonly TempStore _db = new();

    public void Dispose() => _db.Dispose();

    [Fact]
    public async Task Token_IsFoundByItsHash_KeepsItsExpiry_AndIsDeletedById()
    {
        var expires = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);
        await _db.Store.CreateTokenAsync(new AuthToken { Id = "a1", Hash = "h1", Description = "ci", CreatedAt = DateTimeOffset.UnixEpoch, ExpiresAt = expires });
        await _db.Store.CreateTokenAsync(new AuthToken { Id = "b2", Hash = "h2", CreatedAt = DateTimeOffset.UnixEpoch });

        var found = await _db.Store.FindTokenAsync("h1");
        Assert.Equal(("a1", "ci", (DateTimeOffset?)expires), (found!.Id, found.Description, found.ExpiresAt));
        Assert.Null((await _db.Store.FindTokenAsync("h2"))!.ExpiresAt);
        Assert.Null(await _db.Store.FindTokenAsync("nope"));

        await _db.Store.DeleteTokenAsync("a1");
        Assert.Equal(["b2"], (await _db.Store.ListTokensAsync()).Select(t => t.Id));
        await Assert.ThrowsAsync<NotFoundException>(() => _db.Store.DeleteTokenAsync("a1"));
    }

    [Fact]
    public async Task Session_FindsItsToken_EndsWithIt_AndNeedsOne()
    {
        var start = DateTimeOffset.UnixEpoch;
        await _db.Store.CreateTokenAsync(new AuthToken { Id = "a1", Hash = "h1", CreatedAt = start });
        await _db.Store.CreateSessionAsync(new AuthSession { Hash = "s1", TokenId = "a1", CreatedAt = start, LastSeenAt = start });
        await _db.Store.CreateSessionAsync(new AuthSession { Hash = "s2", TokenId = "a1", CreatedAt = start, LastSeenAt = start });
        var (session, token) = (await _db.Store.FindSessionAsync("s1"))!.Value;
        Assert.Equal(("s1", "a1", start, start, "a1"), (session.Hash, session.TokenId, session.CreatedAt, session.LastSeenAt, token.Id));
        Assert.Null(await _db.Store.FindSessionAsync("h1"));

        await _db.Store.TouchSessionAsync("s1", start.AddHours(1));
        Assert.Equal(start.AddHours(1), (await _db.Store.FindSessionAsync("s1"))!.Value.Session.LastSeenAt);

        await _db.Store.DeleteSessionAsync("s1");
        await _db.Store.DeleteSessionAsync("s1");
        Assert.Null(await _db.Store.FindSessionAsync("s1"));
        Assert.NotNull(await _db.Store.FindSessionAsync("s2"));

        await _db.Store.DeleteTokenAsync("a1");
        Assert.Null(await _db.Store.FindSessionAsync("s2"));
        await Assert.ThrowsAsync<ConflictException>(() =>
            _db.Store.CreateSessionAsync(new AuthSession { Hash = "s3", TokenId = "a1", CreatedAt = start, LastSeenAt = start }));
    }

    [Fact]
    public async Task PruneSessions_DeletesTheIdleAndTheOld_KeepsTheRest()
    {
        var now = DateTimeOffset.UnixEpoch.AddDays(30);
        await _db.Store.CreateTokenAsync(new AuthToken { Id = "a1", Hash = "h1", CreatedAt = DateTimeOffset.UnixEpoch });
        foreach (var (hash, age, idle) in new[] { ("fresh", 1, 0.5), ("idle", 1, 13.0), ("old", 24 * 7, 0.1) })
            await _db.Store.CreateSessionAsync(new AuthSession { Hash = hash, TokenId = "a1", CreatedAt = now.AddHours(-age), LastSeenAt = now.AddHours(-idle) });

        await _db.Store.PruneSessionsAsync(now);

        Assert.NotNull(await _db.Store.FindSessionAsync("fresh"));
        Assert.Null(await _db.Store.FindSessionAsync("idle"));
        Assert.Null(await _db.Store.FindSessionAsync("old"));
    }

    [Fact]
    public async Task Certificate_TrustedTwice_IsAConflict_AndDeletedByFingerprint()
    {
        var certificate = new TrustedCertificate { Fingerprint = "f00d", Name = "laptop", Certificate = "PEM", CreatedAt = DateTimeOffset.UnixEpoch };
        await _db.Store.AddCertificateAsync(certificate);
        await Assert.ThrowsAsync<ConflictException>(() => _db.Store.AddCertificateAsync(certificate with { Name = "again" }));
        Assert.Equal("laptop", (await _db.Store.GetCertificateAsync("f00d"))!.Name);

        await _db.Store.DeleteCertificateAsync("f00d");
        Assert.Empty(await _db.Store.ListCertificatesAsync());
        await Assert.ThrowsAsync<NotFoundException>(() => _db.Store.DeleteCertificateAsync("f00d"));
    }
}
