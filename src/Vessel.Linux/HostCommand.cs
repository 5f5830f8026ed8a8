using System.Diagnostics;

namespace Vessel.Linux;

/// <summary>What a host program left: its exit code, stdout and stderr.</summary>
public sealed record HostCommandResult(int ExitCode, string Output, string Errors);

/// <summary>Runs host programs (qemu-img, mkfs.ext4, apt-get…) to their end, with stdin closed; a program cancelled or late is killed with its children.</summary>
public static class HostCommand
{
    /// <exception cref="System.ComponentModel.Win32Exception">The program cannot be started (not installed).</exception>
    /// <exception cref="TimeoutException">It ran longer than <paramref name="timeout"/> (Timeout.InfiniteTimeSpan: no limit).</exception>
    public static async Task<HostCommandResult> RunAsync(string program, IReadOnlyList<string> arguments, TimeSpan timeout,
        CancellationToken cancellationToken, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new IOException($"{program} did not start");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            if (cancellationToken.IsCancellationRequested)
                throw;
            throw new TimeoutException($"{program} did not finish within {timeout.TotalSeconds:0} s");
        }
        return new HostCommandResult(process.ExitCode, await output, await errors);
    }
}
