using Vessel.Core.Drivers;
using Vessel.Engines.Container;
using Vessel.Engines.Qemu;
using Vessel.Daemon;
using Vessel.Daemon.Api;
using Vessel.Daemon.Operations;
using Vessel.Networking;

DaemonOptions options;
try
{
    options = DaemonOptions.Parse(args, Environment.GetEnvironmentVariable);
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync($"vesseld: {e.Message}\n{DaemonOptions.Usage}");
    return 2;
}

try
{
    const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    // Others may pass through (not list) the state directory: an unprivileged container's root user, mapped to
    // an unprivileged host uid, has to reach its image and its volume, as in Incus.
    Directory.CreateDirectory(options.StateDirectory).UnixFileMode = ownerOnly | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
    Directory.CreateDirectory(options.RunDirectory, ownerOnly);
    Directory.CreateDirectory(options.LogDirectory, ownerOnly);
    using var pidLock = PidFileLock.Acquire(options.PidFile);
    if (File.Exists(options.SocketPath))
        File.Delete(options.SocketPath); // left by a daemon that was killed; the lock proves none runs now

    var containers = new ContainerDriver(ShimPath(), CgroupRoot(options));
    IInstanceDriver[] engines = [containers, new QemuDriver()];
    var networkDriver = new BridgeNetworkDriver(Path.Combine(options.StateDirectory, "networks"), Path.Combine(options.RunDirectory, "networks"));
    await using var app = DaemonHost.Build(options, engines, networkDriver);
    await DaemonHost.ReconcileAsync(app, CancellationToken.None);
    await app.StartAsync();
    File.SetUnixFileMode(options.SocketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    Log.Serving(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Vessel.Daemon"), ServerApi.Version, options.SocketPath, options.StateDirectory);
    await app.WaitForShutdownAsync();
    await app.Services.GetRequiredService<OperationManager>().DrainAsync(TimeSpan.FromSeconds(5));
    containers.RemoveEmptyCgroupRoot();
    return 0;
}
catch (DaemonStartException e)
{
    await Console.Error.WriteLineAsync($"vesseld: {e.Message}");
    return 1;
}

// The default daemon's containers live in cgroup vessel/NAME; a daemon on other directories (tests, a second
// daemon) gets its own root, so that instance names never meet in the host's cgroup tree.
static string CgroupRoot(DaemonOptions options) => options.StateDirectory == "/var/lib/vessel"
    ? "vessel"
    : "vessel-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(options.StateDirectory)))[..12];

// vessel-shim is published beside the daemon: OUT/daemon/vesseld and OUT/shim/vessel-shim.
static string ShimPath() => Environment.GetEnvironmentVariable("VESSEL_SHIM")
    ?? Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "shim", "vessel-shim"));
