using Vessel.Core.Api;

namespace Vessel.Cli.Commands;

/// <summary>vessel auth: the tokens and client certificates that may use the API (and the web UI) over HTTPS.</summary>
internal static class AuthCommands
{
    private const string Usage = """
        vessel auth token create [--description TEXT] [--expiry 30d|12H|"1w 3d"]
               auth token list [--format table|json|csv] | token delete ID
               auth certificate add NAME FILE.pem | certificate list [--format ...] | certificate delete FINGERPRINT
        """;

    public static async Task RunAsync(ApiClient api, string[] args)
    {
        var a = Arguments.Parse(args.Skip(2), [], ["--format", "-f", "--description", "--expiry"]);
        switch ((args.ElementAtOrDefault(0), args.ElementAtOrDefault(1)))
        {
            case ("token", "create"):
                a.ExpectPositionals(0, 0, Usage);
                var created = await api.SendAsync(HttpMethod.Post, "/1.0/auth/tokens",
                    ApiClient.Json(new TokensPost(a.Option("--description"), a.Option("--expiry")), VesselJson.Wire.TokensPost), VesselJson.Wire.TokenCreated);
                Console.Error.WriteLine($"Token {created.Id} made{(created.ExpiresAt is { } e ? $", valid until {Output.Time(e)}" : "")}; " +
                    "it is shown this once (only its hash is kept):");
                Console.WriteLine(created.Token);
                break;
            case ("token", "list"):
                a.ExpectPositionals(0, 0, Usage);
                var tokens = await api.GetAsync("/1.0/auth/tokens", VesselJson.Wire.ListTokenView);
                Output.List(a, tokens, VesselJson.Wire.ListTokenView, ["ID", "DESCRIPTION", "CREATED", "EXPIRES"],
                    t => [t.Id, t.Description, Output.Time(t.CreatedAt), t.ExpiresAt is { } x ? (t.Expired ? "EXPIRED " : "") + Output.Time(x) : "never"]);
                break;
            case ("token", "delete"):
                a.ExpectPositionals(1, 1, Usage);
                await api.SendAsync(HttpMethod.Delete, $"/1.0/auth/tokens/{Uri.EscapeDataString(a.Positionals[0])}");
                break;
            case ("certificate", "add"):
                a.ExpectPositionals(2, 2, Usage);
                var pem = await File.ReadAllTextAsync(a.Positionals[1]);
                var added = await api.SendAsync(HttpMethod.Post, "/1.0/auth/certificates",
                    ApiClient.Json(new CertificatesPost(a.Positionals[0], pem), VesselJson.Wire.CertificatesPost), VesselJson.Wire.CertificateView);
                Console.WriteLine($"Trusted {added.Name}: {added.Subject}, fingerprint {added.Fingerprint}");
                break;
            case ("certificate", "list"):
                a.ExpectPositionals(0, 0, Usage);
                var certificates = await api.GetAsync("/1.0/auth/certificates", VesselJson.Wire.ListCertificateView);
                Output.List(a, certificates, VesselJson.Wire.ListCertificateView, ["NAME", "FINGERPRINT", "SUBJECT", "EXPIRES"],
                    c => [c.Name, c.Fingerprint[..12], c.Subject, Output.Time(c.NotAfter)]);
                break;
            case ("certificate", "delete"):
                a.ExpectPositionals(1, 1, Usage);
                await api.SendAsync(HttpMethod.Delete, $"/1.0/auth/certificates/{Uri.EscapeDataString(a.Positionals[0])}");
                break;
            default:
                throw new UsageException($"usage: {Usage}");
        }
    }
}
