namespace Vessel.Linux;

/// <summary>Network interfaces of the calling thread's network namespace.</summary>
public static class NetworkInterfaces
{
    public static bool Exists(string name) => Interop.IfNameToIndex(name) != 0;
}
