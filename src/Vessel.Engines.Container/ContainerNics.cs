using System.Globalization;
using Vessel.Core.Drivers;
using Vessel.Core.Model;
using Vessel.Linux;

namespace Vessel.Engines.Container;

/// <summary>Moves veth ends into a container's network namespace and, for a running container, configures them there.</summary>
internal static class ContainerNics
{
    private static readonly HostFiles Host = new();
    private static readonly string Ip = Host.FindProgram("ip") ?? "ip", Nsenter = Host.FindProgram("nsenter") ?? "nsenter";

    /// <summary>Moves each nic's veth end into the namespace of the process and renames it, in one ip batch.</summary>
    public static void MoveInto(int pid, IReadOnlyList<ContainerNic> nics)
    {
        if (nics.Count == 0)
            return;
        var commands = string.Concat(nics.Select(n => $"link set dev {n.Peer} netns {pid} name {n.Name}\n"));
        HostCommand.RunCheckedAsync(Ip, ["-batch", "-"], commands).GetAwaiter().GetResult();
    }

    /// <summary>Adds a nic to a running container: moved in, given its address, up, and its gateway as default route if there is none.</summary>
    public static async Task AttachAsync(int pid, NicAttachment nic, CancellationToken cancellationToken)
    {
        MoveInto(pid, [new ContainerNic(nic.PeerInterface, nic.Name)]);
        var inside = new List<string>();
        if (nic.Ipv4 is { } address)
            inside.Add($"addr add {address} dev {nic.Name}");
        inside.Add($"link set {nic.Name} up");
        await InNamespaceAsync(pid, string.Join('\n', inside) + "\n", cancellationToken);
        if (nic.Gateway is { } gateway)
            await HostCommand.RunAsync(Nsenter, ["-t", pid.ToString(CultureInfo.InvariantCulture), "-n", Ip, "route", "add", "default", "via",
                Ipv4Cidr.FormatAddress(gateway), "dev", nic.Name], cancellationToken: cancellationToken); // fails harmlessly when one exists
    }

    /// <summary>Deletes the nic inside the container, which takes its host end with it.</summary>
    public static Task DetachAsync(int pid, NicAttachment nic, CancellationToken cancellationToken) =>
        InNamespaceAsync(pid, $"link del {nic.Name}\n", cancellationToken);

    private static Task InNamespaceAsync(int pid, string commands, CancellationToken cancellationToken) =>
        HostCommand.RunCheckedAsync(Nsenter, ["-t", pid.ToString(CultureInfo.InvariantCulture), "-n", Ip, "-batch", "-"], commands, cancellationToken);
}
