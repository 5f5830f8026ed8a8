using System.Globalization;
using Vessel.Core.Drivers;
using Vessel.Core.Validation;
using Vessel.Linux;

namespace Vessel.Networking;

/// <summary>
/// A nic's limits.ingress and limits.egress through tc on its host end: what the host sends into the nic is
/// shaped by a token bucket (tbf); what the instance sends is redirected from the host end's ingress to an
/// ifb device and shaped there (policing needs act_police, which not every kernel has; mirred and ifb are common).
/// </summary>
internal static class BandwidthLimits
{
    public static async Task ApplyAsync(string tc, string ip, NicAttachment nic, CancellationToken cancellationToken)
    {
        var device = nic.HostInterface;
        if (nic.IngressLimit is { } ingress)
        {
            var (rate, burst) = Parse("limits.ingress", ingress);
            await HostCommand.RunCheckedAsync(tc, ["qdisc", "replace", "dev", device, "root", "tbf", "rate", rate, "burst", burst, "latency", "50ms"],
                cancellationToken: cancellationToken);
        }
        if (nic.EgressLimit is { } egress)
        {
            var (rate, burst) = Parse("limits.egress", egress);
            var ifb = InterfaceNames.Ifb(device);
            await HostCommand.RunCheckedAsync(ip, ["-batch", "-"], $"link add name {ifb} type ifb\nlink set dev {ifb} up\n", cancellationToken);
            await HostCommand.RunCheckedAsync(tc, ["qdisc", "replace", "dev", ifb, "root", "tbf", "rate", rate, "burst", burst, "latency", "50ms"],
                cancellationToken: cancellationToken);
            await HostCommand.RunCheckedAsync(tc, ["qdisc", "replace", "dev", device, "handle", "ffff:", "ingress"], cancellationToken: cancellationToken);
            await HostCommand.RunCheckedAsync(tc, ["filter", "replace", "dev", device, "parent", "ffff:", "protocol", "all", "u32", "match", "u32", "0", "0",
                "action", "mirred", "egress", "redirect", "dev", ifb], cancellationToken: cancellationToken);
        }
    }

    /// <summary>tc's rate in bit/s and a burst of 50 ms of traffic (at least 32 KiB), in bytes.</summary>
    private static (string Rate, string Burst) Parse(string field, string value)
    {
        var bits = BitRates.Parse(field, value);
        var burst = Math.Max(bits / 8 / 20, 32 * 1024);
        return ($"{bits.ToString(CultureInfo.InvariantCulture)}bit", burst.ToString(CultureInfo.InvariantCulture));
    }
}
