namespace Vessel.Engines.Qemu.Qga;

/// <summary>The guest agent refused a command: <see cref="ErrorClass"/> is its error class (GenericError, CommandNotFound,
/// …), the message its description (for guest-file-open of a missing file: "failed to open file '/x' (mode: 'r'): No such
/// file or directory").</summary>
public sealed class GuestAgentException(string command, string errorClass, string description)
    : Exception($"guest agent {command} failed: {description}")
{
    public string Command { get; } = command;
    public string ErrorClass { get; } = errorClass;
    public string Description { get; } = description;
}

/// <summary>The connection to the guest agent's socket ended (QEMU exited, or the client was disposed) before an answer came.</summary>
public sealed class GuestAgentClosedException(string message, Exception? inner = null) : IOException(message, inner);
