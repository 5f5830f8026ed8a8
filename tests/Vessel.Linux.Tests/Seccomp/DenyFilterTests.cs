using System.Text;
using Vessel.Linux.Seccomp;
using Vessel.Linux.Spawn;

namespace Vessel.Linux.Tests.Seccomp;

/// <summary>Filters installed for real in spawned processes, checked by what the process can and cannot do.</summary>
public sealed class DenyFilterTests
{
    private static (int ExitCode, string Output) RunFiltered(byte[] filter, string script)
    {
        var (read, write) = Fds.Pipe();
        int pid;
        using (write)
        {
            using var child = RawSpawn.Start(new SpawnOptions
            {
                Path = "/bin/sh",
                Arguments = ["sh", "-c", script],
                Environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
                Fds = [(Fds.Number(write), 1), (Fds.Number(write), 2)],
                NoNewPrivileges = true,
                SeccompFilter = filter,
            });
            pid = child.Pid;
        }
        using var output = new StreamReader(new FileStream(read, FileAccess.Read), Encoding.UTF8);
        var text = output.ReadToEnd();
        return (Processes.WaitForExit(pid), text);
    }

    [Fact]
    public void RefusedCall_FailsWithEperm_OthersWork()
    {
        const int mkdir = 83, mkdirat = 258;
        var dir = Path.Combine(Path.GetTempPath(), $"vessel-seccomp-{Guid.NewGuid():N}");
        var filter = DenyFilter.Build([new DenyFilter.Refuse(mkdir), new DenyFilter.Refuse(mkdirat)]);

        var (code, output) = RunFiltered(filter, $"mkdir {dir}; echo after");

        Assert.Equal(0, code);
        Assert.Contains("Operation not permitted", output);
        Assert.EndsWith("after\n", output);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void IoctlRefusedByRequest_FailsWithEperm_OtherRequestsReachTheKernel()
    {
        const int ioctl = 16;
        const uint tcgets = 0x5401, tiocgwinsz = 0x5413;
        var filter = DenyFilter.Build([new DenyFilter.RefuseIfArgIn(ioctl, 1, [tiocgwinsz, tcgets])]);

        // stty asks the terminal settings with TCGETS; /dev/null answers ENOTTY unless the filter answers first.
        var (_, refused) = RunFiltered(filter, "stty -F /dev/null");
        var (_, passed) = RunFiltered(DenyFilter.Build([new DenyFilter.RefuseIfArgIn(ioctl, 1, [tiocgwinsz])]), "stty -F /dev/null");

        Assert.Contains("Operation not permitted", refused);
        Assert.Contains("Inappropriate ioctl for device", passed);
    }

    [Fact]
    public void DockerDefault_RefusesNamespacesMountsAndKeyrings_ButRunsAShell()
    {
        var (code, output) = RunFiltered(DockerDefault.Filter(),
            "unshare -U true 2>/dev/null && echo unshare-ok; " +
            "mount -t tmpfs none /mnt 2>/dev/null && echo mount-ok; " +
            "keyctl show 2>/dev/null | grep -q . && echo keyctl-ok; " +
            "ls / >/dev/null && echo ls-ok; id -u");

        Assert.Equal(0, code);
        Assert.Equal("ls-ok\n0\n", output);
    }

    [Fact]
    public void Program_HasAHeaderForTheArchitectureAndEndsAllowing()
    {
        var bytes = DockerDefault.Filter();

        Assert.Equal(0, bytes.Length % 8);
        Assert.Equal(BpfProgram.LoadWordAbsolute, BitConverter.ToUInt16(bytes, 0));
        Assert.Equal(4u, BitConverter.ToUInt32(bytes, 4));
        Assert.Equal(BpfProgram.Return, BitConverter.ToUInt16(bytes, bytes.Length - 8));
        Assert.Equal(DenyFilter.Allow, BitConverter.ToUInt32(bytes, bytes.Length - 4));
    }
}
