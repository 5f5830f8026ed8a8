using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Vessel.Core.Api;

namespace Vessel.Daemon.Tests;

/// <summary>The HTTPS listener (core.https_address), tokens, login cookies, client certificates and the web UI's files.</summary>
public sealed class AuthApiTests : IAsyncLifetime
{
    private TestDaemon _daemon = null!;
    private int _port;

    public async Task InitializeAsync()
    {
        _daemon = await TestDaemon.StartAsync(new FakeDriver());
        _port = FreePort();
        Assert.Equal(HttpStatusCode.OK, (await ListenAsync($"127.0.0.1:{_port}")).StatusCode);
    }

    public async Task DisposeAsync() => await _daemon.DisposeAsync();

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private Task<HttpResponseMessage> ListenAsync(string? address) =>
        _daemon.SendJsonAsync(HttpMethod.Patch, "/1.0", address is null ? """{"config": {"core.https_address": null}}"""
            : $$$"""{"config": {"core.https_address": "{{{address}}}"}}""");

    private HttpClient Https(string? token = null, X509Certificate2? certificate = null, CookieContainer? cookies = null)
    {
        var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true, UseCookies = cookies is not null };
        if (cookies is not null)
            handler.CookieContainer = cookies;
        if (certificate is not null)
            handler.ClientCertificates.Add(certificate);
        var client = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{_port}") };
        if (token is not null)
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private async Task<TokenCreated> CreateTokenAsync(string json = "{}")
    {
        var response = await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/auth/tokens", json);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await TestDaemon.ReadAsync(response, VesselJson.Wire.TokenCreated);
    }

    [Fact]
    public async Task Tcp_WithoutCredentials_Answers401_WhileTheUnixSocketNeedsNone()
    {
        using var anonymous = Https();
        Assert.Contains("not logged in", await TestDaemon.ErrorAsync(await anonymous.GetAsync("/1.0/instances"), HttpStatusCode.Unauthorized));
        var unix = await TestDaemon.ReadAsync(await _daemon.Http.GetAsync("/1.0/auth"), VesselJson.Wire.AuthView);
        Assert.Equal("unix", unix.Method);
    }

    [Fact]
    public async Task BearerToken_IsAccepted_UntilItIsDeleted()
    {
        var token = await CreateTokenAsync("""{"description": "ci"}""");
        Assert.StartsWith("vessel_", token.Token, StringComparison.Ordinal);
        using var client = Https(token.Token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/1.0/instances")).StatusCode);
        var listed = JsonSerializer.Deserialize(await _daemon.Http.GetStringAsync("/1.0/auth/tokens"), VesselJson.Wire.ListTokenView)!;
        Assert.Equal("ci", Assert.Single(listed).Description);
        Assert.DoesNotContain(token.Token, await _daemon.Http.GetStringAsync("/1.0/auth/tokens"), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await _daemon.Http.DeleteAsync($"/1.0/auth/tokens/{token.Id}")).StatusCode);
        Assert.Contains("not valid or has expired", await TestDaemon.ErrorAsync(await client.GetAsync("/1.0/instances"), HttpStatusCode.Unauthorized));
    }

    [Fact]
    public async Task WrongOrExpiredToken_IsRefused()
    {
        using var wrong = Https("vessel_wrong");
        Assert.Contains("not valid or has expired", await TestDaemon.ErrorAsync(await wrong.GetAsync("/1.0"), HttpStatusCode.Unauthorized));

        var shortLived = await CreateTokenAsync("""{"expiry": "1S"}""");
        await Task.Delay(1100);
        using var expired = Https(shortLived.Token);
        Assert.Contains("not valid or has expired", await TestDaemon.ErrorAsync(await expired.GetAsync("/1.0"), HttpStatusCode.Unauthorized));
    }

    private static Task<HttpResponseMessage> PostLoginAsync(HttpClient browser, string token) =>
        browser.PostAsync("/1.0/auth/login", new StringContent($$"""{"token": "{{token}}"}""", System.Text.Encoding.UTF8, "application/json"));

    /// <summary>Logs a browser in; returns its cookie as a Cookie header sends it (name=session-id).</summary>
    private async Task<string> LogInAsync(string token)
    {
        using var browser = Https();
        var login = await PostLoginAsync(browser, token);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        return Assert.Single(login.Headers.GetValues("Set-Cookie")).Split(';')[0];
    }

    /// <summary>A request that carries this cookie and no other credentials.</summary>
    private async Task<HttpResponseMessage> SendWithCookieAsync(string cookie, HttpMethod? method = null, string path = "/1.0/auth")
    {
        using var client = Https();
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, path);
        request.Headers.Add("Cookie", cookie);
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task Login_SetsAnHttpOnlyStrictCookie_ThatOtherOriginsCannotUse()
    {
        var token = await CreateTokenAsync();
        var cookies = new CookieContainer();
        using var browser = Https(cookies: cookies);
        Assert.Contains("not valid", await TestDaemon.ErrorAsync(await PostLoginAsync(browser, "vessel_nope"), HttpStatusCode.Unauthorized));

        var login = await PostLoginAsync(browser, token.Token);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var setCookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("__Host-vessel_session=", setCookie, StringComparison.Ordinal);
        foreach (var attribute in new[] { "httponly", "secure", "samesite=strict", "path=/" })
            Assert.Contains(attribute, setCookie.ToLowerInvariant());

        var me = await TestDaemon.ReadAsync(await browser.GetAsync("/1.0/auth"), VesselJson.Wire.AuthView);
        Assert.Equal(("token", token.Id), (me.Method, me.TokenId));

        var forged = new HttpRequestMessage(HttpMethod.Get, "/1.0/instances");
        forged.Headers.Add("Origin", "https://elsewhere.example");
        Assert.Contains("may not use this server's login cookie", await TestDaemon.ErrorAsync(await browser.SendAsync(forged), HttpStatusCode.Forbidden));

        Assert.Equal(HttpStatusCode.OK, (await browser.PostAsync("/1.0/auth/logout", null)).StatusCode);
        await TestDaemon.ErrorAsync(await browser.GetAsync("/1.0/auth"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task LoginCookie_HoldsA256BitSessionId_NotTheToken()
    {
        var token = await CreateTokenAsync();
        var cookie = await LogInAsync(token.Token);
        var sessionId = cookie["__Host-vessel_session=".Length..];
        Assert.Equal(32, Base64Url.DecodeFromChars(sessionId).Length);
        Assert.DoesNotContain(token.Token["vessel_".Length..], cookie, StringComparison.Ordinal);
        Assert.NotEqual(cookie, await LogInAsync(token.Token));
    }

    [Fact]
    public async Task Logout_EndsTheSession_NotOnlyTheBrowsersCookie()
    {
        var token = await CreateTokenAsync();
        var cookie = await LogInAsync(token.Token);
        Assert.Equal(HttpStatusCode.OK, (await SendWithCookieAsync(cookie)).StatusCode);

        var logout = await SendWithCookieAsync(cookie, HttpMethod.Post, "/1.0/auth/logout");
        Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
        Assert.StartsWith("__Host-vessel_session=;", Assert.Single(logout.Headers.GetValues("Set-Cookie")), StringComparison.Ordinal);
        Assert.Contains("session has ended", await TestDaemon.ErrorAsync(await SendWithCookieAsync(cookie), HttpStatusCode.Unauthorized));
        using var bearer = Https(token.Token);
        Assert.Equal(HttpStatusCode.OK, (await bearer.GetAsync("/1.0/auth")).StatusCode);
    }

    [Fact]
    public async Task RevokedOrExpiredToken_EndsItsSessions()
    {
        var token = await CreateTokenAsync();
        var cookies = new[] { await LogInAsync(token.Token), await LogInAsync(token.Token) };
        Assert.Equal(HttpStatusCode.OK, (await SendWithCookieAsync(cookies[0])).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _daemon.Http.DeleteAsync($"/1.0/auth/tokens/{token.Id}")).StatusCode);
        foreach (var cookie in cookies)
            Assert.Contains("session has ended", await TestDaemon.ErrorAsync(await SendWithCookieAsync(cookie), HttpStatusCode.Unauthorized));

        var shortLived = await CreateTokenAsync("""{"expiry": "2S"}""");
        var expiring = await LogInAsync(shortLived.Token);
        Assert.Equal(HttpStatusCode.OK, (await SendWithCookieAsync(expiring)).StatusCode);
        await Task.Delay(2100);
        Assert.Contains("session has ended", await TestDaemon.ErrorAsync(await SendWithCookieAsync(expiring), HttpStatusCode.Unauthorized));
    }

    [Fact]
    public async Task Session_EndsAfter12IdleHours_OrAt7Days_AndARequestKeepsItAlive()
    {
        var token = await CreateTokenAsync();
        var idle = await LogInAsync(token.Token);
        var old = await LogInAsync(token.Token);
        var active = await LogInAsync(token.Token);
        SetSessionTimes(active, created: "-6 days", lastSeen: "-11 hours");
        SetSessionTimes(idle, created: "-1 day", lastSeen: "-12 hours");
        SetSessionTimes(old, created: "-7 days", lastSeen: "-1 minutes");

        Assert.Equal(HttpStatusCode.OK, (await SendWithCookieAsync(active)).StatusCode);
        Assert.Equal(1, SessionsSeenBefore("-10 hours")); // only the idle one: the request was noted, 12 more hours from now
        foreach (var ended in new[] { idle, old })
            Assert.Contains("idle for 12 hours, 7 days old", await TestDaemon.ErrorAsync(await SendWithCookieAsync(ended), HttpStatusCode.Unauthorized));
        Assert.Equal(1, SessionsSeenBefore("+1 minutes")); // the ended ones are gone
    }

    /// <summary>Moves a session's times back, as SQLite's datetime modifiers say (e.g. "-12 hours"), in the daemon's database.</summary>
    private void SetSessionTimes(string cookie, string created, string lastSeen)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(cookie[(cookie.IndexOf('=') + 1)..])));
        Assert.Equal(1, ExecuteOnDatabase("UPDATE auth_sessions SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', $c), " +
            "last_seen_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', $s) WHERE hash = $h", ("$c", created), ("$s", lastSeen), ("$h", hash)));
    }

    private long SessionsSeenBefore(string offset) =>
        ExecuteOnDatabase("SELECT count(*) FROM auth_sessions WHERE last_seen_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', $o)", ("$o", offset));

    /// <summary>The rows a statement changed, or the number a query returns.</summary>
    private long ExecuteOnDatabase(string sql, params (string Name, string Value)[] parameters)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_daemon.Options.DatabasePath}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value);
        return sql.StartsWith("SELECT", StringComparison.Ordinal) ? (long)command.ExecuteScalar()! : command.ExecuteNonQuery();
    }

    [Fact]
    public async Task UnknownSessionId_Is401_AndTheCookieIsCleared()
    {
        var unknown = await SendWithCookieAsync("__Host-vessel_session=" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32)));
        Assert.Contains("session has ended", await TestDaemon.ErrorAsync(unknown, HttpStatusCode.Unauthorized));
        Assert.StartsWith("__Host-vessel_session=;", Assert.Single(unknown.Headers.GetValues("Set-Cookie")), StringComparison.Ordinal);

        var token = await CreateTokenAsync(); // the token itself is no session id
        Assert.Contains("session has ended", await TestDaemon.ErrorAsync(await SendWithCookieAsync($"__Host-vessel_session={token.Token}"),
            HttpStatusCode.Unauthorized));
    }

    [Fact]
    public async Task Session_OutlivesADaemonRestart()
    {
        var token = await CreateTokenAsync();
        var cookie = await LogInAsync(token.Token);
        await _daemon.RestartAsync(new FakeDriver());
        var me = await TestDaemon.ReadAsync(await SendWithCookieAsync(cookie), VesselJson.Wire.AuthView);
        Assert.Equal(("token", token.Id), (me.Method, me.TokenId));
    }

    [Fact]
    public async Task TrustedClientCertificate_NeedsNoToken_AndAnUntrustedOneIsRefused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest("CN=laptop", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var client = Https(certificate: certificate);
        await TestDaemon.ErrorAsync(await client.GetAsync("/1.0"), HttpStatusCode.Unauthorized);

        var added = await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/auth/certificates",
            JsonSerializer.Serialize(new CertificatesPost("laptop", certificate.ExportCertificatePem()), VesselJson.Wire.CertificatesPost));
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        using var trusted = Https(certificate: certificate); // a new TLS session, so the certificate is sent again
        var me = await TestDaemon.ReadAsync(await trusted.GetAsync("/1.0/auth"), VesselJson.Wire.AuthView);
        Assert.Equal("certificate", me.Method);

        Assert.Contains("trusted already", await TestDaemon.ErrorAsync(await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/auth/certificates",
            JsonSerializer.Serialize(new CertificatesPost("again", certificate.ExportCertificatePem()), VesselJson.Wire.CertificatesPost)),
            HttpStatusCode.Conflict));
        Assert.Contains("not a PEM certificate", await TestDaemon.ErrorAsync(await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/auth/certificates",
            """{"name": "junk", "certificate": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"}"""), HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task HttpsAddress_MovesAndCloses_Live_AndComesBackAfterARestart()
    {
        var token = await CreateTokenAsync();
        var second = FreePort();
        Assert.Equal(HttpStatusCode.OK, (await ListenAsync($"127.0.0.1:{second}")).StatusCode);
        _port = second;
        using (var client = Https(token.Token))
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/1.0")).StatusCode);

        await _daemon.RestartAsync(new FakeDriver());
        using (var client = Https(token.Token))
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/1.0")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await ListenAsync(null)).StatusCode);
        using (var client = Https(token.Token))
            await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/1.0"));
        var server = await TestDaemon.ReadAsync(await _daemon.Http.GetAsync("/1.0"), VesselJson.Wire.ServerInfo);
        Assert.Empty(server.Config);
        Assert.Matches("^[0-9a-f]{64}$", server.CertificateFingerprint);
    }

    [Fact]
    public async Task HttpsAddress_BadOrTaken_IsRefused_AndTheListenerStays()
    {
        Assert.Contains("not an address with a port", await TestDaemon.ErrorAsync(await ListenAsync("127.0.0.1"), HttpStatusCode.BadRequest));
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var takenPort = ((IPEndPoint)taken.LocalEndpoint).Port;
        Assert.Contains("cannot listen on", await TestDaemon.ErrorAsync(await ListenAsync($"127.0.0.1:{takenPort}"), HttpStatusCode.Conflict));
        Assert.Contains("unknown server config key", await TestDaemon.ErrorAsync(
            await _daemon.SendJsonAsync(HttpMethod.Patch, "/1.0", """{"config": {"core.bogus": "1"}}"""), HttpStatusCode.BadRequest));

        var server = await TestDaemon.ReadAsync(await _daemon.Http.GetAsync("/1.0"), VesselJson.Wire.ServerInfo);
        Assert.Equal($"127.0.0.1:{_port}", server.Config["core.https_address"]);
        using var client = Https();
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/1.0")).StatusCode);
    }

    [Fact]
    public async Task JsonBody_WithoutItsContentType_IsRefused()
    {
        var forged = await _daemon.Http.PostAsync("/1.0/auth/tokens", new StringContent("{}")); // text/plain, as a cross-site form sends
        Assert.Contains("application/json", await TestDaemon.ErrorAsync(forged, HttpStatusCode.UnsupportedMediaType));
    }

    [Fact]
    public async Task TokenExpiry_MustBeADurationOfWeeksAtMost()
    {
        Assert.Contains("counts months or years", await TestDaemon.ErrorAsync(
            await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/auth/tokens", """{"expiry": "30m"}"""), HttpStatusCode.BadRequest));
        Assert.Contains("is not a number and a unit", await TestDaemon.ErrorAsync(
            await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/auth/tokens", """{"expiry": "soon"}"""), HttpStatusCode.BadRequest));
    }
}
