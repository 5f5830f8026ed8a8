using Vessel.Core;
using Vessel.Core.Api;
using Vessel.Core.State;

namespace Vessel.Daemon.Auth;

/// <summary>
/// Every API request over TCP proves who sent it: a trusted client certificate, or a token (Authorization: Bearer,
/// or the cookie a browser got at login). The unix socket is root-only and needs nothing. The web UI's files are public.
/// </summary>
internal sealed class AuthMiddleware(RequestDelegate next, IStateStore store, DaemonOptions options)
{
    public const string Cookie = "vessel_token";
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
        if (!context.Request.IsHttps && options.TcpEndpoint?.Port == connection.LocalPort)
            return new AuthView(true, "unauthenticated-tcp");
        if (connection.ClientCertificate is { } certificate
            && await store.GetCertificateAsync(Credentials.Fingerprint(certificate), context.RequestAborted) is { } trusted)
            return new AuthView(true, "certificate", CertificateFingerprint: trusted.Fingerprint);

        var header = context.Request.Headers.Authorization.ToString();
        var fromCookie = header.Length == 0;
        var secret = fromCookie ? context.Request.Cookies[Cookie]
            : header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..].Trim()
            : throw new UnauthorizedException("the Authorization header must be \"Bearer TOKEN\"");
        if (string.IsNullOrEmpty(secret))
            return null;
        if (await Credentials.FindTokenAsync(store, secret, context.RequestAborted) is not { } token)
        {
            if (fromCookie)
                context.Response.Cookies.Delete(Cookie);
            throw new UnauthorizedException("the token is not valid or has expired; log in again with a valid one");
        }
        if (fromCookie)
            RefuseCrossOrigin(context);
        return new AuthView(true, "token", TokenId: token.Id, ExpiresAt: token.ExpiresAt);
    }

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
