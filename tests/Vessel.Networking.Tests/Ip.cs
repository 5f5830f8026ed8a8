using Vessel.Core.Model;

namespace Vessel.Networking.Tests;

/// <summary>Addresses and subnets from text, for test data.</summary>
internal static class Ip
{
    public static uint Address(string text) => Ipv4Cidr.TryParseAddress(text, out var address) ? address : throw new FormatException(text);

    public static Ipv4Cidr Cidr(string text) => Ipv4Cidr.TryParse(text, out var cidr) ? cidr : throw new FormatException(text);
}
