using System.Globalization;

namespace Vessel.Linux;

/// <summary>What files and trees occupy on their filesystem: allocated blocks, not lengths (a sparse qcow2 holds far less than its size).</summary>
public static class DiskUsage
{
    private static readonly string Du = HostCommand.Resolve("du");

    /// <summary>The blocks allocated to one file (statx stx_blocks, in 512-byte units), not following a final symlink.</summary>
    public static long OfFile(string path)
    {
        Span<byte> status = stackalloc byte[256];
        Ownership.Statx(path, 0x400 /* STATX_BLOCKS */, status);
        return BitConverter.ToInt64(status[48..]) * 512; // stx_blocks
    }

    /// <summary>
    /// The blocks allocated to everything under DIRECTORY (du -s -x): hard links counted once, filesystems mounted inside
    /// left out. A walk: its cost grows with the number of files.
    /// </summary>
    public static async Task<long> OfTreeAsync(string directory, CancellationToken cancellationToken)
    {
        var result = await HostCommand.RunAsync(Du, ["-s", "-x", "-B1", "--", directory], cancellationToken: cancellationToken);
        // du exits 1 when a file went away during the walk (a running container deletes as it writes), and still prints the total.
        return ParseTotal(result.Output) ?? throw new HostCommandException($"du {directory}: {result.Errors.Trim()}");
    }

    /// <summary>
    /// A measurement that cannot be made is none (what it measures went meanwhile, or du or btrfs did not answer): the
    /// answer it is part of still stands.
    /// </summary>
    public static async Task<long?> OrNoneAsync(Func<Task<long?>> measure)
    {
        ArgumentNullException.ThrowIfNull(measure);
        try
        {
            return await measure();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or TimeoutException or LinuxException)
        {
            return null;
        }
    }

    /// <summary>The byte count at the start of du -s -B1's line ("4096\t/path"); null when there is none.</summary>
    internal static long? ParseTotal(string output)
    {
        var first = output.Split('\t', 2)[0];
        return long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) ? bytes : null;
    }
}
