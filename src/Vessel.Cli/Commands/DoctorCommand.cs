using Vessel.Core.Api;

namespace Vessel.Cli.Commands;

internal static class DoctorCommand
{
    /// <summary>One line per check, ok/warn/fail, with the fix; fails (exit 1) when any check fails.</summary>
    public static async Task RunAsync(ApiClient api, string[] args)
    {
        Arguments.Parse(args, [], []).ExpectPositionals(0, 0, "vessel doctor");
        List<HostCheckView> checks;
        try
        {
            checks = await api.GetAsync("/1.0/doctor", VesselJson.Wire.ListHostCheckView);
        }
        catch (ApiException e) when (e.Status == 0)
        {
            Console.WriteLine($"fail  daemon: {e.Message}");
            Console.WriteLine("      fix: start it with the README's install command, or run vesseld");
            throw new ApiException("vesseld is not reachable", 0);
        }
        Console.WriteLine($"ok    daemon: vesseld answers at {api.SocketPath}");
        var width = checks.Max(c => c.Name.Length);
        foreach (var check in checks)
        {
            Console.WriteLine($"{check.Status,-5} {check.Name.PadRight(width)}  {check.Detail}");
            if (check.Fix is { } fix && check.Status != "ok")
                Console.WriteLine($"      {new string(' ', width)}  fix: {fix}");
        }
        var failed = checks.Count(c => c.Status == "fail");
        if (failed > 0)
            throw new ApiException($"{failed} check(s) failed", 0);
    }

    public static async Task VersionAsync(ApiClient api, string[] args)
    {
        Arguments.Parse(args, [], []).ExpectPositionals(0, 0, "vessel version");
        var client = typeof(DoctorCommand).Assembly.GetName().Version?.ToString(3);
        Console.WriteLine($"Client version: {client}");
        try
        {
            var server = await api.GetAsync("/1.0", VesselJson.Wire.ServerInfo);
            Console.WriteLine($"Server version: {server.Version} (API {server.ApiVersion})");
        }
        catch (ApiException e) when (e.Status == 0)
        {
            Console.WriteLine($"Server version: unreachable ({e.Message})");
        }
    }
}
