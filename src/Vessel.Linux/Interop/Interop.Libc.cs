namespace Vessel.Linux;

/// <summary>
/// Every native function Vessel calls, one concern per file. Results are returned raw; callers turn a
/// failure into a LinuxException with LinuxException.ThrowIfFailed.
/// </summary>
internal static partial class Interop
{
    internal const string Libc = "libc";
}
