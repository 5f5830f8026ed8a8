using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Core.Model;
using Vessel.Core.State;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Vessel.Daemon.Api;
using Vessel.Daemon.Auth;
using Vessel.Daemon.Events;
using Vessel.Daemon.Instances;
using Vessel.Daemon.Networks;
using Vessel.Daemon.Operations;
using Vessel.State;
using Vessel.Storage;

namespace Vessel.Daemon;

/// <summary>Wires the daemon together: services, API routes, and the reconciliation that runs before it serves.</summary>
public static class DaemonHost
{
    /// <param name="time">The clock of scheduled snapshots and expiries; tests pass a fake one.</param>
    public static WebApplication Build(DaemonOptions options, IEnumerable<IInstanceDriver> engines, INetworkDriver networkDriver, TimeProvider? time = null)
    {
        // No appsettings.json reload: watching for it puts an inotify watch on every directory below the working directory
        // (all of / under systemd), and any file written there would wake the daemon.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ "; o.UseUtcTimestamp = true; });
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        var certificate = ServerCertificate.LoadOrCreate(options.StateDirectory);
        var https = new HttpsListener(certificate);
        builder.WebHost.UseKestrelHttpsConfiguration(); // the slim builder leaves HTTPS endpoints from configuration out
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.ListenUnixSocket(options.SocketPath);
            if (options.TcpEndpoint is { } tcp)
                kestrel.Listen(tcp);
            kestrel.ConfigureHttpsDefaults(tls =>
            {
                // Any client certificate is let through TLS; AuthMiddleware trusts only the ones on its list.
                tls.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
                tls.AllowAnyClientCertificate();
            });
            kestrel.Configure(https.Configuration, reloadOnChange: true);
        });

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(certificate);
        services.AddSingleton(https);
        services.AddSingleton<IStateStore>(_ => new SqliteStateStore(options.DatabasePath));
        services.AddSingleton(sp => new ImageStore(options.ImagesDirectory, sp.GetRequiredService<IStateStore>()));
        services.AddSingleton<IStorageDriver>(new DirStorageDriver(options.PoolsDirectory));
        services.AddSingleton<IStorageDriver>(new BtrfsStorageDriver(options.PoolsDirectory, options.DisksDirectory));
        foreach (var engine in engines)
            services.AddSingleton(engine);
        services.AddSingleton(networkDriver);
        services.AddSingleton<NetworkService>();
        services.AddSingleton<EventHub>();
        services.AddSingleton<OperationManager>();
        services.AddSingleton<DriverRegistry>();
        services.AddSingleton<StoragePools>();
        services.AddSingleton<StorageVolumes>();
        services.AddSingleton<InstanceService>();
        services.AddSingleton(time ?? TimeProvider.System);
        services.AddSingleton<SnapshotScheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<SnapshotScheduler>()); // started by app.StartAsync, after ReconcileAsync
        services.AddSingleton<RequestCounters>();
        services.AddSingleton<InstanceListJson>();

        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            context.Response.Headers.XContentTypeOptions = "nosniff"; // a guest's console log is text, never a page
            await next(context);
            context.RequestServices.GetRequiredService<RequestCounters>().Count(context.Response.StatusCode);
        });
        app.UseMiddleware<ErrorMiddleware>();
        app.UseMiddleware<AuthMiddleware>();
        app.UseWebSockets();
        WebUi.Map(app, options.UiDirectory);
        var api = app.MapGroup("/1.0");
        ServerApi.Map(api);
        AuthApi.Map(api);
        InstancesApi.Map(api);
        SnapshotsApi.Map(api);
        BackupsApi.Map(api);
        ExecApi.Map(api);
        ConsoleApi.Map(api);
        FilesApi.Map(api);
        ImagesApi.Map(api);
        StoragePoolsApi.Map(api);
        NetworksApi.Map(api);
        OperationsApi.Map(api);
        EventsApi.Map(api);
        MetricsApi.Map(api);
        return app;
    }

    public const string BootIdSetting = "host.boot_id";

    /// <summary>Brings the store in line with the host before the first request is served.</summary>
    public static async Task ReconcileAsync(WebApplication app, CancellationToken cancellationToken)
    {
        var services = app.Services;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Vessel.Daemon.Startup");
        var store = services.GetRequiredService<IStateStore>();
        var options = services.GetRequiredService<DaemonOptions>();

        foreach (var operation in await store.FailUnfinishedOperationsAsync("interrupted: vesseld stopped while the operation ran", cancellationToken))
            Log.OperationInterrupted(logger, operation.Id, operation.Description);
        foreach (var path in await services.GetRequiredService<ImageStore>().RemoveLeftoversAsync(cancellationToken))
            Log.LeftoverRemoved(logger, path);

        var pools = services.GetRequiredService<StoragePools>();
        if ((await store.ListPoolsAsync(cancellationToken)).Count == 0)
        {
            var pool = await pools.CreateAsync(new Vessel.Core.Api.StoragePoolPost("default", "dir", options.DefaultPoolSource,
                "The default pool, made on first start"), cancellationToken);
            Log.DefaultPoolCreated(logger, pool.Source);
        }
        await pools.MountAllAsync((pool, e) => Log.PoolNotMounted(logger, pool.Name, e.Message), cancellationToken);
        // A new boot id means the host rebooted since the last daemon ran: instances that ran then are started again.
        var bootId = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        var lastBootId = await store.GetSettingAsync(BootIdSetting, cancellationToken);
        await services.GetRequiredService<NetworkService>().RestoreAsync(logger, cancellationToken);
        await services.GetRequiredService<HttpsListener>().RestoreAsync(store, logger, cancellationToken);
        var instances = services.GetRequiredService<InstanceService>();
        instances.WatchEngines(logger);
        await instances.ReconcileAsync(logger, hostRebooted: lastBootId is not null && lastBootId != bootId, cancellationToken);
        await store.SetSettingAsync(BootIdSetting, bootId, cancellationToken);
    }
}
