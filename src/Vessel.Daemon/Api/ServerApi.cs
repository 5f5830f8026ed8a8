using Vessel.Core.Api;
using Vessel.Core.Validation;
using Vessel.Daemon.Instances;
using Vessel.Linux;
using Vessel.Storage;

namespace Vessel.Daemon.Api;

/// <summary>GET /1.0 (the daemon and its host) and GET /1.0/doctor (what this host can run, with fixes).</summary>
internal static class ServerApi
{
    public const string ApiVersion = "1.0";

    public static string Version { get; } =
        typeof(ServerApi).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public static void Map(IEndpointRouteBuilder api)
    {
        api.MapGet("", (DriverRegistry drivers) => Http.Json(new ServerInfo
        {
            ApiVersion = ApiVersion,
            Version = Version,
            Pid = Environment.ProcessId,
            Kernel = File.ReadAllText("/proc/sys/kernel/osrelease").Trim(),
            Architecture = ImageStore.HostArchitecture,
            Cpus = HostResources.Current.CpuCount,
            MemoryBytes = HostResources.Current.MemoryBytes,
            VmAcceleration = Acceleration.Detect().Reason,
            Engines = drivers.Engines,
        }, VesselJson.Wire.ServerInfo));

        api.MapGet("/doctor", (DriverRegistry drivers) =>
        {
            var checks = HostProbe.Run()
                .Select(c => new HostCheckView(c.Name, c.Status.ToString().ToLowerInvariant(), c.Detail, c.Fix))
                .Concat(drivers.Engines.Select(e => new HostCheckView($"engine {e.Type}", e.Operational ? "ok" : "warn",
                    e.Operational ? $"{e.Name} {e.Version}: {e.Detail}" : e.Detail,
                    e.Operational ? null : "comes with a later Vessel release")))
                .ToList();
            return Http.Json(checks, VesselJson.Wire.ListHostCheckView);
        });
    }
}
