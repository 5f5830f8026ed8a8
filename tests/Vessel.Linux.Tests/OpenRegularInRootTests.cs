using Vessel.Linux;

namespace Vessel.Linux.Tests;

/// <summary>Files opened inside another root (a container's) for vessel file push/pull: nothing outside it, nothing but regular files.</summary>
public sealed class OpenRegularInRootTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("vessel-root-").FullName;
    private readonly string _outside = Path.Combine(Path.GetTempPath(), $"vessel-outside-{Guid.NewGuid():N}");

    public OpenRegularInRootTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "etc"));
        File.WriteAllText(Path.Combine(_root, "etc", "hosts"), "inside\n");
        File.WriteAllText(_outside, "outside\n");
        // Absolute and relative links that would leave the root if followed from the host's /.
        File.CreateSymbolicLink(Path.Combine(_root, "etc", "absolute"), _outside);
        File.CreateSymbolicLink(Path.Combine(_root, "etc", "escape"), "../../../../../../.." + _outside);
        File.CreateSymbolicLink(Path.Combine(_root, "etc", "to-hosts"), "/etc/hosts");
    }

    public void Dispose()
    {
        Directory.Delete(_root, recursive: true);
        File.Delete(_outside);
    }

    private string Read(string path)
    {
        using var stream = new FileStream(Fds.OpenRegularInRoot(_root, path, write: false, 0), FileAccess.Read);
        return new StreamReader(stream).ReadToEnd();
    }

    [Fact]
    public void Read_AFileAndALinkInside_ReadsThem()
    {
        Assert.Equal("inside\n", Read("etc/hosts"));
        Assert.Equal("inside\n", Read("etc/to-hosts"));
    }

    [Theory]
    [InlineData("etc/absolute")]
    [InlineData("etc/escape")]
    public void Read_LinksPointingOutside_StayInside(string path)
    {
        var error = Assert.Throws<LinuxException>(() => Read(path));

        Assert.Equal(Errno.ENOENT, error.Errno);
    }

    [Fact]
    public void Write_ANewFile_IsMadeWithTheModeGiven_AndAnOldOneEmptiedFirst()
    {
        using (var stream = new FileStream(Fds.OpenRegularInRoot(_root, "etc/new", write: true, (UnixFileMode)0b110_000_000), FileAccess.Write))
            stream.Write("new"u8);
        using (var stream = new FileStream(Fds.OpenRegularInRoot(_root, "etc/hosts", write: true, 0), FileAccess.Write))
            stream.Write("x"u8);

        Assert.Equal("new", File.ReadAllText(Path.Combine(_root, "etc", "new")));
        Assert.Equal((UnixFileMode)0b110_000_000, File.GetUnixFileMode(Path.Combine(_root, "etc", "new")));
        Assert.Equal("x", File.ReadAllText(Path.Combine(_root, "etc", "hosts")));
    }

    [Fact]
    public void Write_ThroughALinkPointingOutside_LandsInside()
    {
        Directory.CreateDirectory(Path.Combine(_root, Path.GetDirectoryName(_outside)!.TrimStart('/')));

        using (var stream = new FileStream(Fds.OpenRegularInRoot(_root, "etc/absolute", write: true, 0), FileAccess.Write))
            stream.Write("pushed"u8);

        Assert.Equal("outside\n", File.ReadAllText(_outside));
        Assert.Equal("pushed", File.ReadAllText(Path.Combine(_root, _outside.TrimStart('/'))));
    }

    [Fact]
    public void ReadAndWrite_AFifoOrADirectory_AreRefusedWithoutBlocking()
    {
        var fifo = Path.Combine(_root, "etc", "fifo");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo))
            mkfifo.WaitForExit();

        foreach (var path in new[] { "etc/fifo", "etc" })
        {
            Assert.Equal("not a regular file", Assert.Throws<IOException>(() => Fds.OpenRegularInRoot(_root, path, write: false, 0)).Message);
            Assert.Equal("not a regular file", Assert.Throws<IOException>(() => Fds.OpenRegularInRoot(_root, path, write: true, 0)).Message);
        }
    }

    [Fact]
    public void Write_ANewFileAsACreator_IsMadeAsThatUser_WithoutRootsPowers_ThenRootAgain()
    {
        var home = Path.Combine(_root, "home");
        Directory.CreateDirectory(home);
        Ownership.Set(home, 12345, 12345);
        File.SetUnixFileMode(home, (UnixFileMode)0b111_000_000);
        File.SetUnixFileMode(_root, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(Path.Combine(_root, "etc"), (UnixFileMode)0b111_101_101);

        using (Fds.OpenRegularInRoot(_root, "home/made", write: true, (UnixFileMode)0b110_000_000, (12345, 12345)))
        {
        }
        var refused = Assert.Throws<LinuxException>(() => Fds.OpenRegularInRoot(_root, "etc/made", write: true, 0, (12345, 12345)));
        using (Fds.OpenRegularInRoot(_root, "etc/by-root", write: true, 0))
        {
        }

        Assert.Equal(12345, Owner(Path.Combine(home, "made")));
        Assert.Equal(Errno.EACCES, refused.Errno);
        Assert.Equal(0, Owner(Path.Combine(_root, "etc", "by-root")));
    }

    private static int Owner(string path)
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%u", path]) { RedirectStandardOutput = true })!;
        return int.Parse(stat.StandardOutput.ReadToEnd().Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
