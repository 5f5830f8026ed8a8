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
