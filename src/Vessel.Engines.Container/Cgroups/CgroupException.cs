namespace Vessel.Engines.Container.Cgroups;

/// <summary>A cgroup operation failed; the message names the controller or file and the value involved.</summary>
public sealed class CgroupException(string message, Exception? inner = null) : Exception(message, inner);
