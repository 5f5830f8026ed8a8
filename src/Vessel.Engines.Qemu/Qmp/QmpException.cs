namespace Vessel.Engines.Qemu.Qmp;

/// <summary>QEMU refused a QMP command: <see cref="ErrorClass"/> is QEMU's error class (GenericError, CommandNotFound,
/// DeviceNotActive, …), the message is its description.</summary>
public sealed class QmpException(string command, string errorClass, string description)
    : Exception($"QMP {command} failed: {description} ({errorClass})")
{
    public string Command { get; } = command;
    public string ErrorClass { get; } = errorClass;
    public string Description { get; } = description;
}

/// <summary>The QMP connection ended (QEMU exited or closed the socket) before the answer came.</summary>
public sealed class QmpClosedException(string message, Exception? inner = null) : IOException(message, inner);
