namespace Vessel.IntegrationTests;

/// <summary>The published binaries under test: $VESSEL_BIN_DIR, else artifacts/bin of this checkout (scripts/test.sh makes both).</summary>
public static class Binaries
{
    public static string Directory { get; } = Find();

    public static string Vessel => Path.Combine(Directory, "cli", "vessel");
    public static string Vesseld => Path.Combine(Directory, "daemon", "vesseld");

    private static string Find()
    {
        var dir = Environment.GetEnvironmentVariable("VESSEL_BIN_DIR");
        if (dir is null)
        {
            var probe = new DirectoryInfo(AppContext.BaseDirectory);
            while (probe is not null && !File.Exists(Path.Combine(probe.FullName, "Vessel.sln")))
                probe = probe.Parent;
            dir = probe is null ? "artifacts/bin" : Path.Combine(probe.FullName, "artifacts", "bin");
        }
        if (!File.Exists(Path.Combine(dir, "cli", "vessel")) || !File.Exists(Path.Combine(dir, "daemon", "vesseld")))
            throw new InvalidOperationException($"no published vessel/vesseld under {dir}: run scripts/test.sh, which publishes them");
        return dir;
    }
}
