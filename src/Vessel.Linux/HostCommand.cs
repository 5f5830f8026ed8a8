using System.Diagnostics;

namespace Vessel.Linux;

/// <summary>Runs a host program (ip, nft, tc, qemu-img) to its end with an argument list, never a shell string.</summary>
public static class HostCommand
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    private static readonly HostFiles Host = new();

    /// <summary>
    /// The full path of a host program, searched also where root's PATH (or vessel-shim's none) does not look; its bare
    /// name when it is missing, so that running it says it cannot start.
    /// </summary>
    public static string Resolve(string name) => Host.FindProgram(name) ?? name;

    public sealed record Result(int Code, string Output, string Errors);

    /// <summary>
    /// Runs the program (30 s at most unless <paramref name="timeout"/> says otherwise; Timeout.InfiniteTimeSpan for no
    /// limit). A program that cannot start throws <see cref="HostCommandException"/>, one that runs late is killed with its
    /// children and throws <see cref="TimeoutException"/>; a nonzero exit does not throw.
    /// </summary>
    public static async Task<Result> RunAsync(string program, IReadOnlyList<string> arguments, string? input = null,
        TimeSpan? timeout = null, string? workingDirectory = null, CancellationToken cancellationToken = default)
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
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new HostCommandException($"{program} did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new HostCommandException($"{program} cannot run: {e.Message}");
        }
        using (process)
        {
            if (input is not null)
                await process.StandardInput.WriteAsync(input.AsMemory(), cancellationToken);
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var errors = process.StandardError.ReadToEndAsync(cancellationToken);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout ?? DefaultTimeout);
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
                throw new TimeoutException($"{program} did not finish within {(timeout ?? DefaultTimeout).TotalSeconds:0} s");
            }
            return new Result(process.ExitCode, await output, await errors);
        }
    }

    /// <summary>Runs the program and throws <see cref="HostCommandException"/> with its error output when it fails.</summary>
    public static Task<string> RunCheckedAsync(string program, IReadOnlyList<string> arguments, string? input = null,
        CancellationToken cancellationToken = default) => RunCheckedAsync(program, arguments, input, null, cancellationToken);

    /// <summary>As above, for as long as <paramref name="timeout"/> allows (Timeout.InfiniteTimeSpan: a tar of a whole volume).</summary>
    public static Task<string> RunCheckedAsync(string program, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken) =>
        RunCheckedAsync(program, arguments, null, timeout, cancellationToken);

    private static async Task<string> RunCheckedAsync(string program, IReadOnlyList<string> arguments, string? input, TimeSpan? timeout,
        CancellationToken cancellationToken)
    {
        var result = await RunAsync(program, arguments, input, timeout, cancellationToken: cancellationToken);
        if (result.Code != 0)
            throw new HostCommandException($"{program} {string.Join(' ', arguments)}: {FirstLines(result.Errors + result.Output)}");
        return result.Output;
    }

    private static string FirstLines(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(3);
        return string.Join("; ", lines) is { Length: > 0 } joined ? joined : "failed without a message";
    }
}

public sealed class HostCommandException(string message) : IOException(message);
