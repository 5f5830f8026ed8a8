using Vessel.Core;
using Vessel.Core.Api;
using Vessel.Core.Model;
using Vessel.Core.State;

namespace Vessel.Daemon.Auth;

/// <summary>
/// Every API request over TCP proves who sent it: a trusted client certificate, or a token (Authorization: Bearer,
/// or the session cookie a browser got at login). The unix socket is root-only and needs nothing. The web UI's files are public.
/// </summary>
internal sealed class AuthMiddleware(RequestDelegate next, IStateStore store, DaemonOptions options)
{
    public const string LoginPath = "/1.0/auth/login";

    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/1.0"))
        {
            await next(context);
            return;
        }
        var client = await IdentifyAsync(context);
        if (client is null && !(context.Request.Path == LoginPath && HttpMethods.IsPost(context.Request.Method)))
            throw new UnauthorizedException("not logged in: send a token (Authorization: Bearer TOKEN; `vessel auth token create` makes one) " +
                "or a trusted client certificate");
        if (client is not null)
            context.Features.Set(client);
        await next(context);
    }

    private async Task<AuthView?> IdentifyAsync(HttpContext context)
    {
        var connection = context.Connection;
        if (connection.RemoteIpAddress is null) // a unix socket connection
            return new AuthView(true, "unix");
        if (!context.Request.IsHttps && options.TcpEndpoint is { } tcp && tcp.Port == connection.LocalPort && tcp.Address.Equals(connection.LocalIpAddress))
        {
            // No credentials here: a web page the user visits must not be able to use it (a forged request, DNS rebinding).
            if (context.Request.Headers.Origin.Count > 0 || !System.Net.IPAddress.TryParse(context.Request.Host.Host.Trim('[', ']'), out _))
                throw new VesselException(403, "the unauthenticated --tcp listener takes no browser requests (an Origin header, or a Host that is no address)");
            return new AuthView(true, "unauthenticated-tcp");
        }
        if (connection.ClientCertificate is { } certificate
            && await store.GetCertificateAsync(Credentials.Fingerprint(certificate), context.RequestAborted) is { } trusted)
            return new AuthView(true, "certificate", CertificateFingerprint: trusted.Fingerprint);

        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length == 0)
            return await IdentifySessionAsync(context);
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal))
            throw new UnauthorizedException("the Authorization header must be \"Bearer TOKEN\"");
        var secret = header["Bearer ".Length..].Trim();
        if (secret.Length == 0)
            return null;
        var token = await Credentials.FindTokenAsync(store, secret, context.RequestAborted)
            ?? throw new UnauthorizedException("the token is not valid or has expired; log in again with a valid one");
        return TokenView(token);
    }

    private async Task<AuthView?> IdentifySessionAsync(HttpContext context)
    {
        if (SessionCookie.Read(context.Request) is not { } session)
            return null;
        if (await Credentials.FindSessionTokenAsync(store, session, context.RequestAborted) is not { } token)
        {
            SessionCookie.Clear(context);
            throw new UnauthorizedException($"the session has ended (logged out, idle for {AuthSession.IdleLimit.TotalHours:0} hours, " +
                $"{AuthSession.AgeLimit.TotalDays:0} days old, or its token was deleted or has expired); log in again");
        }
        RefuseCrossOrigin(context);
        return TokenView(token);
    }

    private static AuthView TokenView(AuthToken token) => new(true, "token", TokenId: token.Id, ExpiresAt: token.ExpiresAt);

    /// <summary>
    /// A browser sends the cookie with whatever page makes the request; SameSite=Strict already keeps other sites' requests
    /// from carrying it, and an Origin that is not this server is refused as well (WebSockets have no SameSite of their own).
    /// </summary>
    private static void RefuseCrossOrigin(HttpContext context)
    {
        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length > 0 && !string.Equals(origin, $"{context.Request.Scheme}://{context.Request.Host}", StringComparison.OrdinalIgnoreCase))
            throw new VesselException(403, $"a request from {origin} may not use this server's login cookie");
    }
}
