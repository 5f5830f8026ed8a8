namespace Vessel.Linux.Tests;

/// <summary>A throwaway host tree in a temp directory, with programs that answer --version from a table.</summary>
internal sealed class FakeHost : IDisposable
{
    private readonly Dictionary<string, string> _versions = [];

    public FakeHost()
    {
        Root = Directory.CreateTempSubdirectory("vessel-linux-").FullName;
    }

    public string Root { get; }

    public Func<string, string?> ProbeKvm { get; set; } = _ => "fake: no KVM";

    public FakeHost File(string hostPath, string content)
    {
        var path = Path.Join(Root, hostPath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, content);
        return this;
    }

    public FakeHost Dir(string hostPath)
    {
        Directory.CreateDirectory(Path.Join(Root, hostPath));
        return this;
    }

    public FakeHost Program(string hostPath, string? versionLine = null, bool executable = true, string script = "")
    {
        File(hostPath, $"#!/bin/sh\n{script}\n");
        var path = Path.Join(Root, hostPath);
        const UnixFileMode readWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        System.IO.File.SetUnixFileMode(path, executable ? readWrite | UnixFileMode.UserExecute : readWrite);
        if (versionLine is not null)
        {
            _versions[path] = versionLine;
        }

        return this;
    }

    public HostFiles Files() => new(Root, "/usr/local/bin:/usr/bin:/bin")
    {
        RunVersion = path => _versions.GetValueOrDefault(path),
        ProbeKvm = ProbeKvm,
    };

    public HostCheck Check(string name) => HostProbe.Run(Files()).Single(check => check.Name == name);

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
