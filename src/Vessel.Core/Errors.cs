namespace Vessel.Core;

/// <summary>An error the user caused or can act on; StatusCode is the HTTP status the API answers with.</summary>
public class VesselException(int statusCode, string message, Exception? inner = null) : Exception(message, inner)
{
    public int StatusCode { get; } = statusCode;
}

public sealed class BadRequestException(string message) : VesselException(400, message);

/// <summary>A TCP client that did not prove who it is (no valid token, no trusted certificate).</summary>
public sealed class UnauthorizedException(string message) : VesselException(401, message);

public sealed class NotFoundException(string message) : VesselException(404, message);

public sealed class ConflictException(string message) : VesselException(409, message);

/// <summary>A feature that does not exist yet, or an engine this host cannot run.</summary>
public sealed class NotSupportedYetException(string message) : VesselException(501, message);

/// <summary>The filesystem under a storage pool has no room left (or a quota is reached): 507 Insufficient Storage.</summary>
public sealed class StorageFullException(string message, Exception inner) : VesselException(507, message, inner)
{
    private const int NoSpace = 28, QuotaExceeded = 122; // ENOSPC, EDQUOT

    /// <summary>
    /// True for a write that failed for want of space: an IOException carrying ENOSPC or EDQUOT as .NET reports them, or
    /// the message of a tool (cp, tar, qemu-img) that said so. GNU tar reports a short write ("Wrote only 8704 of 10240
    /// bytes") without the errno, and a disk gives a short write only when it is full.
    /// </summary>
    public static bool IsCause(Exception e) =>
        e is not StorageFullException &&
        (e is IOException { HResult: NoSpace or QuotaExceeded } ||
         e.Message.Contains("No space left on device", StringComparison.Ordinal) || e.Message.Contains("Disk quota exceeded", StringComparison.Ordinal) ||
         System.Text.RegularExpressions.Regex.IsMatch(e.Message, @"tar: .*: Wrote only \d+ of \d+ bytes"));
}
