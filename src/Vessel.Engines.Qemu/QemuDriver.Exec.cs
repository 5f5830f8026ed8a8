using Vessel.Core;
using Vessel.Core.Drivers;

namespace Vessel.Engines.Qemu;

public sealed partial class QemuDriver
{
    /// <summary>Runs a command through the guest agent (see <see cref="AgentExecSession"/>); no terminal: the agent has no pty.</summary>
    public async Task<IExecSession> ExecAsync(InstanceContext context, ExecRequest request, CancellationToken cancellationToken)
    {
        var name = context.Instance.Name;
        if (request.Terminal)
            throw new NotSupportedYetException($"exec -t in virtual machine \"{name}\" is not supported yet: the guest agent has no terminal to give; run it without -t");
        if (request.Command.Count == 0)
            throw new BadRequestException("command: at least the program is required");
        await AgentOfAsync(context, cancellationToken); // refuse here, not halfway, when the agent does not answer
        return new AgentExecSession(AgentOf(context), request);
    }
}
