namespace Vessel.Engines.Container.Tests.Cgroups;

/// <summary>A /sys/block with one disk whose queue/scheduler reads as given.</summary>
internal sealed class FakeSysBlock : IDisposable
{
    public FakeSysBlock(string scheduler)
    {
        Path = Directory.CreateTempSubdirectory("vessel-sysblock-").FullName;
        Directory.CreateDirectory(System.IO.Path.Join(Path, "vda", "queue"));
        File.WriteAllText(System.IO.Path.Join(Path, "vda", "queue", "scheduler"), scheduler + "\n");
    }

    public string Path { get; }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
