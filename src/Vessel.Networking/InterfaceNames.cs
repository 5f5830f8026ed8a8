using System.Security.Cryptography;
using System.Text;

namespace Vessel.Networking;

/// <summary>
/// Host interface names of nics, derived from instance and device so that a leftover from a crash is found
/// again by name. Linux allows 15 characters: a two-letter kind and 12 hex digits.
/// </summary>
public static class InterfaceNames
{
    /// <summary>The host end of a container's veth pair, on the bridge.</summary>
    public static string VethHost(string instance, string device) => "vs" + Hash(instance, device);

    public static string Tap(string instance, string device) => "vt" + Hash(instance, device);

    /// <summary>The ifb device that shapes what the instance sends through the nic whose host end is given.</summary>
    public static string Ifb(string hostInterface) => "vi" + hostInterface[2..];

    private static string Hash(string instance, string device) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{instance.ToLowerInvariant()}/{device}")))[..12];
}
