namespace Vessel.IntegrationTests;

/// <summary>The published binaries under test: $VESSEL_BIN_DIR, else artifacts/bin of this checkout (scripts/test.sh makes both).</summary>
public static class Binaries
{
    public static string Directory { get; } = Find();

    /// <summary>This checkout, for what the tests run from source (the web UI's browser test).</summary>
    public static string Repository { get; } = FindRepository() ?? throw new InvalidOperationException("not inside a Vessel checkout");

    public static string Vessel => Path.Combine(Directory, "cli", "vessel");
    public static string Vesseld => Path.Combine(Directory, "daemon", "vesseld");

    private static string Find()
    {
        var dir = Environment.GetEnvironmentVariable("VESSEL_BIN_DIR")
            ?? (FindRepository() is { } repository ? Path.Combine(repository, "artifacts", "bin") : "artifacts/bin");
        if (!File.Exists(Path.Combine(dir, "cli", "vessel")) || !File.Exists(Path.Combine(dir, "daemon", "vesseld")))
            throw new InvalidOperationException($"no published vessel/vesseld under {dir}: run scripts/test.sh, which publishes them");
        return dir;
    }

    private static string? FindRepository()
    {
        var probe = new DirectoryInfo(AppContext.BaseDirectory);
        while (probe is not null && !File.Exists(Path.Combine(probe.FullName, "Vessel.sln")))
            probe = probe.Parent;
        return probe?.FullName;
    }
}
