using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Vessel.Core;
using Vessel.Core.Api;
using Vessel.Core.Model;
using Vessel.Core.State;
using Vessel.Core.Scheduling;
using Vessel.Core.Validation;
using Vessel.Daemon.Auth;

namespace Vessel.Daemon.Api;

/// <summary>
/// /1.0/auth: who the client is, a browser's login and logout (a session in an HttpOnly cookie), and the
/// tokens and client certificates that may use the API over TCP.
/// </summary>
internal static class AuthApi
{
    public static void Map(IEndpointRouteBuilder api)
    {
        var auth = api.MapGroup("/auth");
        auth.MapGet("", (HttpContext context) => Http.Json(Client(context), VesselJson.Wire.AuthView));
        auth.MapPost("/login", LoginAsync);
        auth.MapPost("/logout", async (HttpContext context, IStateStore store) =>
        {
            if (SessionCookie.Read(context.Request) is { } session)
                await store.DeleteSessionAsync(Credentials.Hash(session), context.RequestAborted);
            SessionCookie.Clear(context);
            return Results.Ok(new Dictionary<string, string>());
        });

        auth.MapGet("/tokens", async (IStateStore store, CancellationToken ct) =>
        {
            var now = DateTimeOffset.UtcNow;
            var tokens = (await store.ListTokensAsync(ct)).Select(t => new TokenView(t.Id, t.Description, t.CreatedAt, t.ExpiresAt, t.IsExpired(now))).ToList();
            return Http.Json(tokens, VesselJson.Wire.ListTokenView);
        });
        auth.MapPost("/tokens", CreateTokenAsync);
        auth.MapDelete("/tokens/{id}", async (string id, IStateStore store, CancellationToken ct) =>
        {
            await store.DeleteTokenAsync(id, ct);
            return Results.Ok(new Dictionary<string, string>());
        });

        auth.MapGet("/certificates", async (IStateStore store, CancellationToken ct) =>
            Http.Json((await store.ListCertificatesAsync(ct)).Select(View).ToList(), VesselJson.Wire.ListCertificateView));
        auth.MapPost("/certificates", AddCertificateAsync);
        auth.MapDelete("/certificates/{fingerprint}", async (string fingerprint, IStateStore store, CancellationToken ct) =>
        {
            await store.DeleteCertificateAsync(fingerprint.ToLowerInvariant(), ct);
            return Results.Ok(new Dictionary<string, string>());
        });
    }

    private static AuthView Client(HttpContext context) =>
        context.Features.Get<AuthView>() ?? throw new UnauthorizedException("not logged in");

    private static async Task<IResult> LoginAsync(HttpContext context, IStateStore store)
    {
        var post = await Http.ReadJsonAsync(context.Request, VesselJson.Wire.LoginPost);
        if (string.IsNullOrWhiteSpace(post.Token))
            throw new BadRequestException("token: a token is required");
        var token = await Credentials.FindTokenAsync(store, post.Token.Trim(), context.RequestAborted)
            ?? throw new UnauthorizedException("the token is not valid or has expired");
        var session = Credentials.NewSessionId();
        var now = DateTimeOffset.UtcNow;
        await store.PruneSessionsAsync(now, context.RequestAborted);
        await store.CreateSessionAsync(new AuthSession { Hash = Credentials.Hash(session), TokenId = token.Id, CreatedAt = now, LastSeenAt = now },
            context.RequestAborted);
        var ends = now + AuthSession.AgeLimit;
        SessionCookie.Set(context, session, token.ExpiresAt < ends ? token.ExpiresAt : ends);
        return Http.Json(new AuthView(true, "token", TokenId: token.Id, ExpiresAt: token.ExpiresAt), VesselJson.Wire.AuthView);
    }

    private static async Task<IResult> CreateTokenAsync(HttpRequest request, IStateStore store)
    {
        var post = await Http.ReadJsonAsync(request, VesselJson.Wire.TokensPost);
        var description = post.Description ?? "";
        if (description.Length > 256)
            throw new BadRequestException($"description: {description.Length} characters; at most 256 are allowed");
        var now = DateTimeOffset.UtcNow;
        var expiry = string.IsNullOrEmpty(post.Expiry) ? null : Expiry.Parse("expiry", post.Expiry);
        if (expiry is { Months: > 0 } or { Years: > 0 })
            throw new BadRequestException($"expiry: \"{post.Expiry}\" counts months or years (m, y); a token lasts S seconds, M minutes, H hours, " +
                "d days or w weeks (30M is thirty minutes), or without --expiry until it is deleted");
        DateTimeOffset? expires = expiry?.After(now);
        var secret = Credentials.NewToken();
        var token = new AuthToken { Id = Credentials.NewTokenId(), Hash = Credentials.Hash(secret), Description = description, CreatedAt = now, ExpiresAt = expires };
        await store.CreateTokenAsync(token, request.HttpContext.RequestAborted);
        return Http.Json(new TokenCreated(token.Id, secret, description, expires), VesselJson.Wire.TokenCreated, 201);
    }

    private static async Task<IResult> AddCertificateAsync(HttpRequest request, IStateStore store)
    {
        var post = await Http.ReadJsonAsync(request, VesselJson.Wire.CertificatesPost);
        Names.ValidateLabel("name", post.Name);
        if (string.IsNullOrWhiteSpace(post.Certificate))
            throw new BadRequestException("certificate: a PEM certificate is required");
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(post.Certificate);
        }
        catch (CryptographicException e)
        {
            throw new BadRequestException($"certificate: not a PEM certificate ({e.Message})");
        }
        using (certificate)
        {
            var trusted = new TrustedCertificate
            {
                Fingerprint = Credentials.Fingerprint(certificate),
                Name = post.Name!,
                Certificate = certificate.ExportCertificatePem(),
                CreatedAt = DateTimeOffset.UtcNow,
            };
            await store.AddCertificateAsync(trusted, request.HttpContext.RequestAborted);
            return Http.Json(View(trusted), VesselJson.Wire.CertificateView, 201);
        }
    }

    private static CertificateView View(TrustedCertificate trusted)
    {
        using var certificate = X509Certificate2.CreateFromPem(trusted.Certificate);
        return new CertificateView(trusted.Fingerprint, trusted.Name, certificate.Subject, certificate.NotAfter.ToUniversalTime(), trusted.CreatedAt);
    }
}
