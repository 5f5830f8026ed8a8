using System.Net;

namespace Vessel.Daemon;

/// <summary>Where the daemon keeps its state, sockets and logs; everything can be moved so tests run side by side.</summary>
public sealed record DaemonOptions(string StateDirectory, string RunDirectory, string LogDirectory, IPEndPoint? TcpEndpoint, string UiDirectory)
{
    public string DatabasePath => Path.Combine(StateDirectory, "vessel.db");
    public string ImagesDirectory => Path.Combine(StateDirectory, "images");
    public string PoolsDirectory => Path.Combine(StateDirectory, "pools");
    public string DefaultPoolSource => Path.Combine(PoolsDirectory, "default");
    /// <summary>Loop files of btrfs pools made without a source (NAME.img).</summary>
    public string DisksDirectory => Path.Combine(StateDirectory, "disks");
    public string SocketPath => Path.Combine(RunDirectory, "vessel.sock");
    public string PidFile => Path.Combine(RunDirectory, "vesseld.pid");
    public string InstanceRunDirectory(string name) => Path.Combine(RunDirectory, "instances", name);

    public const string Usage = """
        usage: vesseld [--dir DIR] [--run-dir DIR] [--log-dir DIR] [--ui-dir DIR] [--tcp 127.0.0.1:PORT]
          --dir      state: database, images, default pool  (env VESSEL_DIR, default /var/lib/vessel)
          --run-dir  API socket, pid file, instance sockets (env VESSEL_RUN_DIR, default /run/vessel)
          --log-dir  per-instance console logs             (env VESSEL_LOG_DIR, default /var/log/vessel)
          --ui-dir   the built web UI                         (env VESSEL_UI_DIR, default ../ui beside vesseld)
          --tcp      also serve the API over plain HTTP on a loopback address without authentication, for benchmarks
                     only: any local user could use it, so it needs VESSEL_UNAUTHENTICATED_TCP=1. The real TCP listener,
                     HTTPS with tokens or client certificates, is the server setting core.https_address.
        """;

    public static DaemonOptions Parse(string[] args, Func<string, string?> environment)
    {
        var state = environment("VESSEL_DIR") ?? "/var/lib/vessel";
        var run = environment("VESSEL_RUN_DIR") ?? "/run/vessel";
        var log = environment("VESSEL_LOG_DIR") ?? "/var/log/vessel";
        var ui = environment("VESSEL_UI_DIR") ?? Path.Combine(AppContext.BaseDirectory, "..", "ui");
        IPEndPoint? tcp = null;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--dir": state = Value(); break;
                case "--run-dir": run = Value(); break;
                case "--log-dir": log = Value(); break;
                case "--ui-dir": ui = Value(); break;
                case "--tcp":
                    tcp = ParseLoopback(Value());
                    if (environment("VESSEL_UNAUTHENTICATED_TCP") != "1")
                        throw new ArgumentException("--tcp: this plain HTTP listener has no authentication and would give every local user root; " +
                            "set VESSEL_UNAUTHENTICATED_TCP=1 to accept that (benchmarks on a machine of your own)");
                    break;
                default: throw new ArgumentException($"unknown argument \"{args[i]}\"");
            }
        }
        return new DaemonOptions(Path.GetFullPath(state), Path.GetFullPath(run), Path.GetFullPath(log), tcp, Path.GetFullPath(ui));
    }

    private static IPEndPoint ParseLoopback(string text)
    {
        if (!IPEndPoint.TryParse(text, out var endpoint) || endpoint.Port == 0)
            throw new ArgumentException($"--tcp: \"{text}\" is not an address:port such as 127.0.0.1:8443");
        if (!IPAddress.IsLoopback(endpoint.Address))
            throw new ArgumentException($"--tcp: {endpoint.Address} is not a loopback address; this listener has no authentication (core.https_address has)");
        return endpoint;
    }
}
