using Microsoft.Win32.SafeHandles;
using Vessel.Linux;

namespace Vessel.Engines.Qemu;

/// <summary>
/// A VM's console log, kept under a size limit. QEMU appends everything the serial console prints to it (its chardev
/// logfile, opened O_APPEND) for as long as the VM runs, with or without a daemon, so nothing is lost when the guest
/// dies or the daemon does. The driver cuts the log down to its newest half whenever it has grown past the limit: on
/// every watch tick and when it adopts a VM (so a log that grew while no daemon ran is cut as soon as one runs again).
/// The cut removes whole blocks from the front in place (fallocate COLLAPSE_RANGE: atomic against QEMU's appends on
/// ext4 and xfs), so the log may begin inside a line; where the file system cannot, the newest half is copied to the
/// front and the file shortened, losing what QEMU wrote during that copy.
/// </summary>
public static class ConsoleLog
{
    public const long DefaultLimit = 1 << 20;

    private const long Block = 4096;
    private static readonly Lock Cutting = new();

    /// <summary>Cuts the log at <paramref name="path"/> to the newest half of <paramref name="limit"/> if it is longer than that; true if it cut.</summary>
    public static bool Trim(string path, long limit)
    {
        lock (Cutting)
        {
            using var handle = OpenExisting(path);
            var length = handle is null ? 0 : RandomAccess.GetLength(handle);
            if (handle is null || length <= limit)
                return false;
            var cut = (length - limit / 2) / Block * Block;
            if (cut > 0 && Fds.TryCollapseFront(handle, cut))
                return true;
            var keep = new byte[(int)Math.Min(limit / 2, length)];
            var read = RandomAccess.Read(handle, keep, length - keep.Length);
            RandomAccess.Write(handle, keep.AsSpan(0, read), 0);
            RandomAccess.SetLength(handle, read);
            return true;
        }
    }

    public static async Task<string> ReadAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            await using var log = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(log);
            return await reader.ReadToEndAsync(cancellationToken);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return "";
        }
    }

    private static SafeFileHandle? OpenExisting(string path)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }
}
