using Vessel.Core.Drivers;
using Vessel.Daemon;
using Vessel.Daemon.Api;
using Vessel.Daemon.Operations;

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
    Directory.CreateDirectory(options.StateDirectory, ownerOnly);
    Directory.CreateDirectory(options.RunDirectory, ownerOnly);
    Directory.CreateDirectory(options.LogDirectory, ownerOnly);
    using var pidLock = PidFileLock.Acquire(options.PidFile);
    if (File.Exists(options.SocketPath))
        File.Delete(options.SocketPath); // left by a daemon that was killed; the lock proves none runs now

    // The engines register here as they land (container: issue 3, QEMU: issue 4).
    IInstanceDriver[] engines = [];
    await using var app = DaemonHost.Build(options, engines);
    await DaemonHost.ReconcileAsync(app, CancellationToken.None);
    await app.StartAsync();
    File.SetUnixFileMode(options.SocketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    Log.Serving(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Vessel.Daemon"), ServerApi.Version, options.SocketPath, options.StateDirectory);
    await app.WaitForShutdownAsync();
    await app.Services.GetRequiredService<OperationManager>().DrainAsync(TimeSpan.FromSeconds(5));
    return 0;
}
catch (DaemonStartException e)
{
    await Console.Error.WriteLineAsync($"vesseld: {e.Message}");
    return 1;
}
