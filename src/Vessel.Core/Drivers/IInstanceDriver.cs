using Vessel.Core.Model;

namespace Vessel.Core.Drivers;

/// <summary>
/// The contract every engine (containers, VMs) fulfils, so that the daemon, the CLI and the UI never ask
/// "is this a VM?" except to show it. Members are grouped as in Incus's instance interface.
/// </summary>
public interface IInstanceDriver
{
    InstanceType Type { get; }

    /// <summary>Asked once at daemon start; a driver that cannot work on this host says why instead of throwing.</summary>
    DriverInfo Probe();

    // Actions
    /// <summary>Makes the instance's root filesystem or disk from its image in the prepared root volume.</summary>
    Task CreateAsync(InstanceContext instance, CancellationToken cancellationToken);
    Task StartAsync(InstanceContext instance, CancellationToken cancellationToken);
    /// <summary>Asks the guest to shut down, and kills it after the timeout (at once when force is set).</summary>
    Task StopAsync(InstanceContext instance, TimeSpan timeout, bool force, CancellationToken cancellationToken);
    Task FreezeAsync(InstanceContext instance, CancellationToken cancellationToken);
    Task UnfreezeAsync(InstanceContext instance, CancellationToken cancellationToken);
    /// <summary>Removes everything the engine made for the instance outside its root volume.</summary>
    Task DeleteAsync(InstanceContext instance, CancellationToken cancellationToken);

    // Config
    /// <summary>Applies a config change to a running instance; throws NotSupportedYetException for keys it cannot change live.</summary>
    Task ApplyConfigAsync(InstanceContext instance, IReadOnlyDictionary<string, string> previousConfig, CancellationToken cancellationToken);

    // State
    /// <summary>What is really running, asked on daemon start (re-adoption) and for usage.</summary>
    Task<RuntimeState> GetStateAsync(InstanceContext instance, CancellationToken cancellationToken);
}

/// <summary>The instance with the host paths an engine works in.</summary>
public sealed record InstanceContext(Instance Instance, string RootVolumePath, string RunDirectory, string LogDirectory, string? ImagePath);

public sealed record RuntimeState(InstanceStatus Status, int? Pid = null, InstanceUsage? Usage = null);

public sealed record DriverInfo(string Name, string Version, bool Operational, string Detail);
