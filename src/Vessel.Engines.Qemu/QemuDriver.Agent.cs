using System.Collections.Concurrent;
using System.Net.Sockets;
using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Engines.Qemu.Qga;

namespace Vessel.Engines.Qemu;

public sealed partial class QemuDriver
{
    /// <summary>How long the agent may take to answer, on connecting (the sync) and per command.</summary>
    private static readonly TimeSpan AgentTimeout = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, GuestAgentClient> _agents = new();
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _agentGates = new();

    /// <summary>
    /// The guest agent connection of a running VM: the one held, or a new one when there is none or the last one broke
    /// (a timeout leaves the stream out of step). QEMU serves the agent's socket to one client at a time, so there is one
    /// per VM, shared: the client runs one command at a time.
    /// </summary>
    /// <exception cref="ConflictException">The VM is not running, or paused (a paused guest cannot answer).</exception>
    /// <exception cref="VesselException">503: the agent does not answer (not installed, or the guest has not booted yet).</exception>
    private async Task<GuestAgentClient> AgentOfAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        var name = context.Instance.Name;
        var paths = PathsOf(context);
        if (RunningState(paths) is null)
            throw new ConflictException($"virtual machine \"{name}\" is not running");
        var gate = _agentGates.GetOrAdd(name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (_agents.TryGetValue(name, out var held))
            {
                if (!held.Broken)
                    return held;
                _agents.TryRemove(name, out _);
                await held.DisposeAsync();
            }
            try
            {
                var agent = await GuestAgentClient.ConnectAsync(paths.GuestAgent, AgentTimeout, cancellationToken);
                _agents[name] = agent;
                return agent;
            }
            catch (TimeoutException)
            {
                if (await QueryStatusAsync(context, cancellationToken) == "paused")
                    throw new ConflictException($"virtual machine \"{name}\" is paused; its guest agent answers once it is resumed");
                throw GuestAgent.Unavailable(name, $"it did not answer within {AgentTimeout.TotalSeconds:0} s");
            }
            catch (SocketException e)
            {
                throw new ConflictException($"the guest agent socket of virtual machine \"{name}\" is unavailable ({e.Message}); is it running?");
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The agent of a VM, for the calls of one request and for work that outlives it (an exec's polling).</summary>
    private GuestAgent AgentOf(InstanceContext context) => new(context.Instance.Name, ct => AgentOfAsync(context, ct));

    /// <summary>Drops the agent connection of a VM that stopped or is going.</summary>
    private async Task ReleaseAgentAsync(string name)
    {
        if (_agents.TryRemove(name, out var agent))
            await agent.DisposeAsync();
    }
}
