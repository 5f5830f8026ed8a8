using System.Runtime.InteropServices;

namespace Vessel.Linux;

/// <summary>poll(2): waits until one of a few fds is ready, so one thread can serve them all.</summary>
public static unsafe class FdPoll
{
    /// <summary>POLLIN; POLLOUT; POLLERR, POLLHUP and POLLNVAL come back without being asked for.</summary>
    public const short In = 0x1, Out = 0x4;

    /// <summary>struct pollfd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Entry(int fd, short events)
    {
        public int Fd = fd;
        public short Events = events;
        public short Returned;
    }

    /// <summary>Waits (forever with -1) until an entry is ready, a signal interrupting it aside; false on timeout.</summary>
    public static bool Wait(Span<Entry> entries, int timeoutMilliseconds)
    {
        fixed (Entry* first = entries)
        {
            while (true)
            {
                var ready = Interop.Poll(first, (nuint)entries.Length, timeoutMilliseconds);
                if (ready >= 0)
                    return ready > 0;
                var errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                    throw new LinuxException("poll", errno);
            }
        }
    }
}
