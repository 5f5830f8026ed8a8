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
    private async Task<GuestAgentClient> AgentOfAsync(InstanceContext context, CancellationToken cancellationToken, TimeSpan? connectTimeout = null)
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
                var agent = await GuestAgentClient.ConnectAsync(paths.GuestAgent, connectTimeout ?? AgentTimeout, cancellationToken);
                _agents[name] = agent;
                return agent;
            }
            catch (TimeoutException)
            {
                if (await QueryStatusAsync(context, cancellationToken) == "paused")
                    throw new ConflictException($"virtual machine \"{name}\" is paused; its guest agent answers once it is resumed");
                throw GuestAgent.Unavailable(name, $"it did not answer within {(connectTimeout ?? AgentTimeout).TotalSeconds:0} s");
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

    /// <summary>How long a copy or snapshot of a running VM waits for its agent before it cuts the disk without freezing the guest's filesystems.</summary>
    private static readonly TimeSpan FreezeAgentTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Runs <paramref name="cut"/> with the guest's filesystems frozen (guest-fsfreeze-freeze, then -thaw), so that the disk
    /// taken then is as clean as after a sync. A guest whose agent does not answer at once, or cannot freeze, is cut as a
    /// crash would leave it. The thaw comes whatever happened: a freeze that timed out may still take hold in the guest.
    /// </summary>
    private async Task WithGuestFrozenAsync(InstanceContext context, Func<Task> cut, CancellationToken cancellationToken)
    {
        if (!await AgentPortOpenAsync(context, cancellationToken))
        {
            await cut(); // no agent in the guest: waiting for one to answer would only cost the timeout
            return;
        }
        GuestAgentClient agent;
        try
        {
            agent = await AgentOfAsync(context, cancellationToken, FreezeAgentTimeout);
        }
        catch (VesselException e) when (e.StatusCode is 503 or 409) // no agent, or a paused guest that writes nothing
        {
            await cut();
            return;
        }
        var frozen = false;
        try
        {
            await agent.ExecuteAsync("guest-fsfreeze-freeze", cancellationToken: cancellationToken);
            frozen = true;
        }
        catch (Exception e) when (e is GuestAgentException or TimeoutException or GuestAgentClosedException)
        {
        }
        try
        {
            await cut();
        }
        catch
        {
            await ThawAsync(context, frozen);
            throw;
        }
        await ThawAsync(context, frozen);
    }

    /// <summary>
    /// Whether a program in the guest holds the agent's virtio-serial port open (QEMU's chardev then has its frontend open):
    /// a guest without qemu-guest-agent, or one that has not started it yet, never answers.
    /// </summary>
    private async Task<bool> AgentPortOpenAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        var vm = await MonitorOfAsync(context, cancellationToken);
        foreach (var chardev in (await vm.Monitor.ExecuteAsync("query-chardev", cancellationToken: cancellationToken)).EnumerateArray())
        {
            if (chardev.GetProperty("label").GetString() == QemuCommandLine.AgentChardev)
                return !chardev.TryGetProperty("frontend-open", out var open) || open.GetBoolean(); // a QEMU that does not tell: ask the agent
        }
        return false;
    }

    /// <summary>Thaws the guest's filesystems; failing to is an error only when they were surely frozen.</summary>
    private async Task ThawAsync(InstanceContext context, bool frozen)
    {
        try
        {
            await (await AgentOfAsync(context, CancellationToken.None)).ExecuteAsync("guest-fsfreeze-thaw", cancellationToken: CancellationToken.None);
        }
        catch (Exception e) when (e is VesselException or GuestAgentException or TimeoutException or GuestAgentClosedException)
        {
            if (frozen)
                throw new VesselException(503, $"the filesystems of virtual machine \"{context.Instance.Name}\" were frozen for a copy or snapshot and " +
                    $"did not thaw ({e.Message}); they stay frozen until its guest agent runs guest-fsfreeze-thaw or it restarts");
        }
    }

    /// <summary>Drops the agent connection of a VM that stopped or is going.</summary>
    private async Task ReleaseAgentAsync(string name)
    {
        if (_agents.TryRemove(name, out var agent))
            await agent.DisposeAsync();
    }
}
