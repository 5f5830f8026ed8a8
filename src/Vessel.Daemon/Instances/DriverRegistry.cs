using Vessel.Core;
using Vessel.Core.Api;
using Vessel.Core.Drivers;
using Vessel.Core.Model;

namespace Vessel.Daemon.Instances;

/// <summary>
/// The engines, by instance type, each probed once at start. A type without an engine, or whose engine
/// cannot work on this host, is reported and refused with a clear error, never faked.
/// </summary>
public sealed class DriverRegistry
{
    private static readonly Dictionary<InstanceType, string> Missing = new()
    {
        [InstanceType.Container] = "container instances are not supported by this vesseld: it runs without a container engine",
        [InstanceType.VirtualMachine] = "virtual-machine instances are not supported by this vesseld: it runs without a VM engine",
    };

    private readonly Dictionary<InstanceType, (IInstanceDriver Driver, DriverInfo Info)> _drivers;

    public DriverRegistry(IEnumerable<IInstanceDriver> drivers, ILogger<DriverRegistry> logger)
    {
        _drivers = drivers.ToDictionary(d => d.Type, d => (d, d.Probe()));
        foreach (var (type, (_, info)) in _drivers)
            Log.EngineProbed(logger, type.Name(), info.Name, info.Version, info.Operational, info.Detail);
    }

    /// <summary>The engine for the type; throws 501 when there is none or it cannot work here.</summary>
    public IInstanceDriver Get(InstanceType type)
    {
        if (!_drivers.TryGetValue(type, out var entry))
            throw new NotSupportedYetException(Missing[type]);
        if (!entry.Info.Operational)
            throw new NotSupportedYetException($"{type.Name()} instances cannot run on this host: {entry.Info.Detail}");
        return entry.Driver;
    }

    public IEnumerable<IInstanceDriver> All => _drivers.Values.Select(d => d.Driver);

    public IInstanceDriver? Find(InstanceType type) =>
        _drivers.TryGetValue(type, out var entry) && entry.Info.Operational ? entry.Driver : null;

    public IReadOnlyList<EngineView> Engines =>
    [
        .. Enum.GetValues<InstanceType>().Select(type => _drivers.TryGetValue(type, out var entry)
            ? new EngineView(type.Name(), entry.Info.Name, entry.Info.Version, entry.Info.Operational, entry.Info.Detail)
            : new EngineView(type.Name(), "none", "", false, Missing[type])),
    ];
}
