namespace Vessel.Linux;

/// <summary>Puts a terminal in raw mode (every key goes through as typed) until disposed.</summary>
public sealed unsafe class RawTerminal : IDisposable
{
    private const int TermiosSize = 128, TcsaNow = 0;
    private readonly int _fd;
    private readonly byte[] _saved = new byte[TermiosSize];

    private RawTerminal(int fd)
    {
        _fd = fd;
        fixed (byte* saved = _saved)
            LinuxException.ThrowIfFailed(Interop.Tcgetattr(fd, saved), "tcgetattr");
        var raw = (byte[])_saved.Clone();
        fixed (byte* termios = raw)
        {
            Interop.Cfmakeraw(termios);
            LinuxException.ThrowIfFailed(Interop.Tcsetattr(fd, TcsaNow, termios), "tcsetattr");
        }
    }

    /// <summary>Raw mode on the fd when it is a terminal; null when it is not (a pipe or file).</summary>
    public static RawTerminal? Enter(int fd) => Interop.Isatty(fd) == 1 ? new RawTerminal(fd) : null;

    public void Dispose()
    {
        fixed (byte* saved = _saved)
            Interop.Tcsetattr(_fd, TcsaNow, saved);
    }
}
