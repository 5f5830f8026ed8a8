using System.Net;
using System.Security.Cryptography;

namespace Vessel.Core.Validation;

/// <summary>
/// vm.vnc.address: a VM's graphical console also on a TCP port, for ordinary VNC clients: 127.0.0.1:5901, a range
/// 127.0.0.1:5901-5910 or 127.0.0.1:auto (the first free port of 5900-5999). Only loopback addresses: VNC's password
/// authentication is DES over a challenge, no protection on a network; reach the port from elsewhere through an SSH tunnel.
/// Vessel keeps the password in volatile.vnc.password, made when the address is set and dropped when it is unset.
/// </summary>
public static class VncDisplay
{
    public const string AddressKey = "vm.vnc.address";
    public const string PasswordKey = "volatile.vnc.password";

    /// <summary>QEMU numbers VNC displays from port 5900: no port below it can be asked for.</summary>
    public const int FirstPort = 5900;
    private const int AutoLastPort = 5999;

    /// <summary>VNC authentication uses at most 8 characters of a password.</summary>
    public const int PasswordLength = 8;
    private const string PasswordCharacters = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

    public const string Rule = "a loopback address and a port of 5900-65535, a port range, or auto, such as 127.0.0.1:5901, 127.0.0.1:5901-5910, [::1]:auto";

    /// <summary>Where the display listens: the first free port from <see cref="FirstPort"/> to <see cref="LastPort"/>.</summary>
    public sealed record Listen(IPAddress Host, int FirstPort, int LastPort);

    /// <exception cref="BadRequestException">The value is no loopback address with a port, a range or auto; the message names the key.</exception>
    public static Listen Parse(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var colon = value.LastIndexOf(':');
        var host = colon > 0 ? value[..colon] : "";
        if (host.StartsWith('[') && host.EndsWith(']'))
            host = host[1..^1];
        else if (host.Contains(':'))
            throw new BadRequestException($"{key}: \"{value}\": write an IPv6 address in brackets, such as [::1]:5901");
        if (!IPAddress.TryParse(host, out var address))
            throw new BadRequestException($"{key}: \"{value}\" is not {Rule}");
        if (!IPAddress.IsLoopback(address))
            throw new BadRequestException($"{key}: {host} is not a loopback address; VNC's password authentication is too weak for a network, " +
                "so the display listens on loopback only (127.0.0.1 or ::1; reach it from elsewhere through an SSH tunnel)");
        var ports = value[(colon + 1)..];
        if (ports == "auto")
            return new Listen(address, FirstPort, AutoLastPort);
        var dash = ports.IndexOf('-', StringComparison.Ordinal);
        var first = Port(key, dash < 0 ? ports : ports[..dash]);
        var last = dash < 0 ? first : Port(key, ports[(dash + 1)..]);
        if (last < first)
            throw new BadRequestException($"{key}: the range {ports} ends before it begins");
        return new Listen(address, first, last);
    }

    private static int Port(string key, string text) =>
        (int)ConfigKey.ParseInteger(key, text, FirstPort, IPEndPoint.MaxPort, " (QEMU numbers VNC displays from port 5900)");

    /// <summary>An address as VNC clients take it: 127.0.0.1:5901, [::1]:5901.</summary>
    public static string Format(IPAddress host, int port) => new IPEndPoint(host, port).ToString();

    /// <summary>The config with a password where vm.vnc.address is set (a new one unless it has one) and none where it is not.</summary>
    public static Dictionary<string, string> WithPassword(IReadOnlyDictionary<string, string> config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var settled = config.ToDictionary();
        if (!settled.ContainsKey(AddressKey))
            settled.Remove(PasswordKey);
        else if (!settled.ContainsKey(PasswordKey))
            settled[PasswordKey] = RandomNumberGenerator.GetString(PasswordCharacters, PasswordLength);
        return settled;
    }
}
