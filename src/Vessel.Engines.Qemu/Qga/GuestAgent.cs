using Vessel.Core;

namespace Vessel.Engines.Qemu.Qga;

/// <summary>
/// The guest agent of one VM as the driver's requests use it: each call takes the VM's current connection (a new one after
/// a failure), and an agent that stops answering or a connection that ends becomes a 503 that names the agent.
/// </summary>
internal sealed class GuestAgent(string vmName, Func<CancellationToken, Task<GuestAgentClient>> connection)
{
    public string VmName => vmName;

    /// <exception cref="GuestAgentException">The agent refused the command.</exception>
    /// <exception cref="VesselException">503: the agent does not answer; 409: the VM is not running or paused.</exception>
    public async Task<T> CallAsync<T>(Func<GuestAgentClient, Task<T>> call, CancellationToken cancellationToken)
    {
        var agent = await connection(cancellationToken);
        try
        {
            return await call(agent);
        }
        catch (Exception e) when (e is TimeoutException or GuestAgentClosedException)
        {
            throw Unavailable(vmName, e.Message);
        }
    }

    public Task CallAsync(Func<GuestAgentClient, Task> call, CancellationToken cancellationToken) =>
        CallAsync(async agent =>
        {
            await call(agent);
            return true;
        }, cancellationToken);

    /// <summary>503, naming the agent: the guest has not booted far enough, or has no qemu-guest-agent.</summary>
    public static VesselException Unavailable(string vmName, string why) =>
        new(503, $"the guest agent of virtual machine \"{vmName}\" is unavailable: {why}. qemu-guest-agent has to run in the guest " +
            "(the debian image starts it at boot, about 15 s under TCG; the busybox image has none)");
}
