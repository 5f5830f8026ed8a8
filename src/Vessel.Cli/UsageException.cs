namespace Vessel.Cli;

/// <summary>The command line itself is wrong: exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>The daemon refused or failed: exit code 1.</summary>
public sealed class ApiException(string message, int status) : Exception(message)
{
    public int Status { get; } = status;
}
