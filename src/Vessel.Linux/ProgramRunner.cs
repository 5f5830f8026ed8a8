namespace Vessel.Linux;

internal static class ProgramRunner
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Runs <c>PROGRAM --version</c> and returns its first non-empty line (stdout, else stderr), or null.</summary>
    public static string? FirstLineOfVersion(string program)
    {
        try
        {
            var result = HostCommand.RunAsync(program, ["--version"], timeout: Timeout).GetAwaiter().GetResult();
            return FirstLine(result.Output) ?? FirstLine(result.Errors);
        }
        catch (Exception e) when (e is HostCommandException or TimeoutException)
        {
            return null;
        }
    }

    private static string? FirstLine(string text) =>
        text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
}
