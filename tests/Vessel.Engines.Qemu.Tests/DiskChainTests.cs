using System.Diagnostics;
using Vessel.Core;

namespace Vessel.Engines.Qemu.Tests;

/// <summary>A VM's disk chain (root disk, then the bases it reads) as real qemu-img makes it, and chains a backup could forge.</summary>
public sealed class DiskChainTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("vessel-chain-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private void QemuImg(params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo("qemu-img", args) { WorkingDirectory = _directory, RedirectStandardError = true })!;
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, errors);
    }

    private string Disk(string name, string? backing = null)
    {
        if (backing is null)
            QemuImg("create", "-q", "-f", "qcow2", name, "1M");
        else
            QemuImg("create", "-q", "-f", "qcow2", "-u", "-b", backing, "-F", "qcow2", name, "1M");
        return Path.Combine(_directory, name);
    }

    [Fact]
    public void TheChain_IsTheRootDiskThenTheBasesItReads_TopFirst()
    {
        var lower = VmImages.NewBaseName();
        var upper = VmImages.NewBaseName();
        Disk(lower);
        Disk(upper, lower);
        Disk(VmImages.RootDisk, upper);
        Disk(VmImages.NewBaseName()); // not read by the chain

        Assert.Equal([VmImages.RootDisk, upper, lower], VmImages.Chain(_directory).Select(Path.GetFileName));
        Assert.Equal(upper, VmImages.BackingFileOf(Path.Combine(_directory, VmImages.RootDisk)));
    }

    [Fact]
    public void AForgedChain_IsRefused_Looping_Missing_OrThroughALink()
    {
        var a = VmImages.NewBaseName();
        var b = VmImages.NewBaseName();
        Disk(a, b);
        Disk(b, a);
        Disk(VmImages.RootDisk, a);
        Assert.Contains("loop", Assert.Throws<BadRequestException>(() => VmImages.Chain(_directory)).Message, StringComparison.Ordinal);

        File.Delete(Path.Combine(_directory, b));
        Assert.Contains($"reads the base disk {b}, which is missing", Assert.Throws<BadRequestException>(() => VmImages.Chain(_directory)).Message,
            StringComparison.Ordinal);

        File.Delete(Path.Combine(_directory, a));
        File.CreateSymbolicLink(Path.Combine(_directory, a), "/etc/hostname");
        Assert.Contains($"{a} is not a regular file", Assert.Throws<BadRequestException>(() => VmImages.Chain(_directory)).Message, StringComparison.Ordinal);
    }
}
