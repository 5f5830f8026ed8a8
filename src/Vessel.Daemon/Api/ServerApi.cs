using Vessel.Core;
using Vessel.Core.Api;
using Vessel.Core.State;
using Vessel.Daemon.Auth;
using Vessel.Core.Validation;
using Vessel.Daemon.Instances;
using Vessel.Linux;
using Vessel.Storage;

namespace Vessel.Daemon.Api;

/// <summary>GET /1.0 (the daemon and its host), PATCH /1.0 (server settings), GET /1.0/resources (how busy the host is) and GET /1.0/doctor (what this host can run, with fixes).</summary>
internal static class ServerApi
{
    public const string ApiVersion = "1.0";

    public static string Version { get; } =
        typeof(ServerApi).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private static async Task<Dictionary<string, string>> ConfigAsync(IStateStore store, CancellationToken ct)
    {
        var config = new Dictionary<string, string>();
        foreach (var key in ServerConfigSchema.Keys)
            if (await store.GetSettingAsync(key, ct) is { } value)
                config[key] = value;
        return config;
    }

    public static void Map(IEndpointRouteBuilder api)
    {
        api.MapGet("", async (DriverRegistry drivers, IStateStore store, ServerCertificate certificate, CancellationToken ct) => Http.Json(new ServerInfo
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
            Config = await ConfigAsync(store, ct),
            CertificateFingerprint = certificate.Fingerprint,
        }, VesselJson.Wire.ServerInfo));
        api.MapPatch("", async (HttpRequest request, IStateStore store, HttpsListener https, CancellationToken ct) =>
        {
            var patch = await Http.ReadJsonAsync(request, VesselJson.Wire.ServerPatch);
            foreach (var (key, value) in patch.Config ?? [])
            {
                if (value is not null)
                    ServerConfigSchema.ValidateKey(key, value);
                else if (!ServerConfigSchema.Keys.Contains(key))
                    throw new BadRequestException($"unknown server config key \"{key}\"; known: {string.Join(", ", ServerConfigSchema.Keys)}");
            }
            foreach (var (key, value) in patch.Config ?? [])
            {
                if (key == ServerConfigSchema.HttpsAddress)
                    await https.ListenAsync(value is null ? null : ServerConfigSchema.ParseEndpoint(key, value), ct);
                if (value is null)
                    await store.DeleteSettingAsync(key, ct);
                else
                    await store.SetSettingAsync(key, value, ct);
            }
            return Http.Json(await ConfigAsync(store, ct), VesselJson.Wire.DictionaryStringString);
        });

        api.MapGet("/resources", () =>
        {
            var load = HostLoad.Read();
            return Http.Json(new ResourcesView(HostResources.Current.CpuCount, load.LoadAverage, load.MemoryTotalBytes, load.MemoryAvailableBytes,
                load.SwapTotalBytes, load.SwapFreeBytes, load.UptimeSeconds), VesselJson.Wire.ResourcesView);
        });

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
