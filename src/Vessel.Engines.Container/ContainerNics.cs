using System.Globalization;
using System.Text;
using Vessel.Core.Drivers;
using Vessel.Linux;

namespace Vessel.Engines.Container;

/// <summary>Makes a container's veth pairs, one end inside it, and configures that end there.</summary>
internal static class ContainerNics
{
    private static readonly string Ip = HostCommand.Resolve("ip"), Nsenter = HostCommand.Resolve("nsenter");

    /// <summary>Makes each nic's veth pair with one end already in the namespace of the process, the other on its bridge, in one ip batch.</summary>
    public static async Task CreateAsync(int pid, IReadOnlyList<ContainerNic> nics, CancellationToken cancellationToken)
    {
        if (nics.Count == 0)
            return;
        var commands = string.Concat(nics.Select(n =>
            $"link add name {n.Host} mtu {n.Mtu} type veth peer name {n.Name} address {n.Hwaddr} mtu {n.Mtu} netns {pid}\n" +
            $"link set dev {n.Host} master {n.Bridge} up\n"));
        await HostCommand.RunCheckedAsync(Ip, ["-batch", "-"], commands, cancellationToken);
    }

    /// <summary>
    /// Gives the moved nics their addresses and brings them up; the first with a router gets the default route. At
    /// start (<paramref name="atStart"/>) that is one ip batch; a nic added later keeps a default route that exists.
    /// </summary>
    public static async Task ConfigureAsync(int pid, IReadOnlyList<ContainerNic> nics, bool atStart, CancellationToken cancellationToken)
    {
        if (nics.Count == 0)
            return;
        var commands = new StringBuilder();
        foreach (var nic in nics)
        {
            if (nic.Address is { } address)
                commands.Append(CultureInfo.InvariantCulture, $"addr add {address} dev {nic.Name}\n");
            if (nic.Address6 is { } address6)
                commands.Append(CultureInfo.InvariantCulture, $"addr add {address6} dev {nic.Name} nodad\n");
            commands.Append(CultureInfo.InvariantCulture, $"link set dev {nic.Name} up\n");
        }
        var routes = new StringBuilder();
        var verb = atStart ? "replace" : "add";
        if (nics.FirstOrDefault(n => n.Gateway is not null) is { } v4)
            routes.Append(CultureInfo.InvariantCulture, $"route {verb} default via {v4.Gateway} dev {v4.Name}\n");
        if (nics.FirstOrDefault(n => n.Gateway6 is not null) is { } v6)
            routes.Append(CultureInfo.InvariantCulture, $"route {verb} ::/0 via {v6.Gateway6} dev {v6.Name}\n");
        if (atStart)
        {
            await InNamespaceAsync(pid, commands.Append(routes).ToString(), cancellationToken);
            return;
        }
        await InNamespaceAsync(pid, commands.ToString(), cancellationToken);
        // A default route the container has already stays: -force goes on past "File exists".
        if (routes.Length > 0)
            await HostCommand.RunAsync(Nsenter, ["-t", pid.ToString(CultureInfo.InvariantCulture), "-n", Ip, "-force", "-batch", "-"], routes.ToString(),
                cancellationToken: cancellationToken);
    }

    /// <summary>Adds a nic to a running container.</summary>
    public static async Task AttachAsync(int pid, NicAttachment nic, CancellationToken cancellationToken)
    {
        var inside = ContainerNic.From(nic);
        await CreateAsync(pid, [inside], cancellationToken);
        await ConfigureAsync(pid, [inside], atStart: false, cancellationToken);
    }

    /// <summary>Deletes the nic inside the container, which takes its host end with it.</summary>
    public static Task DetachAsync(int pid, NicAttachment nic, CancellationToken cancellationToken) =>
        InNamespaceAsync(pid, $"link del dev {nic.Name}\n", cancellationToken);

    private static Task InNamespaceAsync(int pid, string commands, CancellationToken cancellationToken) =>
        HostCommand.RunCheckedAsync(Nsenter, ["-t", pid.ToString(CultureInfo.InvariantCulture), "-n", Ip, "-batch", "-"], commands, cancellationToken);
}
