namespace Vessel.Daemon.Auth;

/// <summary>
/// A browser's login cookie: HttpOnly, Secure, SameSite=Strict, holding a random session id (never the token); the daemon
/// keeps the id's SHA-256 with the token it logged in with.
/// </summary>
internal static class SessionCookie
{
    // __Host-: the browser keeps it to this origin only (Secure, Path=/, no Domain); a cookie over plain HTTP (the --tcp
    // development listener) cannot carry the prefix.
    private static string Name(HttpRequest request) => request.IsHttps ? "__Host-vessel_session" : "vessel_session";

    // Before sessions the cookie held the token itself; a browser that still has one is told to drop it.
    private static string TokenCookieName(HttpRequest request) => request.IsHttps ? "__Host-vessel_token" : "vessel_token";

    public static string? Read(HttpRequest request) => request.Cookies[Name(request)] is { Length: > 0 } id ? id : null;

    public static void Set(HttpContext context, string sessionId, DateTimeOffset? expires)
    {
        var request = context.Request;
        context.Response.Cookies.Append(Name(request), sessionId, new CookieOptions
        {
            HttpOnly = true,
            Secure = request.IsHttps,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            Expires = expires,
        });
        if (request.Cookies.ContainsKey(TokenCookieName(request)))
            Delete(context, TokenCookieName(request));
    }

    public static void Clear(HttpContext context) => Delete(context, Name(context.Request));

    private static void Delete(HttpContext context, string name) =>
        context.Response.Cookies.Delete(name, new CookieOptions { Path = "/", Secure = context.Request.IsHttps });
}
