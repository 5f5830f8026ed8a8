namespace Vessel.IntegrationTests;

/// <summary>
/// Backups (zstd, the default) of a real container and a real VM, cut short or with a byte flipped: each import is refused
/// with what is wrong with the file, and leaves no instance, no image and no file in the pool or the image store.
/// </summary>
public sealed class DamagedBackupTests : IDisposable
{
    private readonly Host _host = new();

    public DamagedBackupTests() => _host.StartDaemon();

    public void Dispose() => _host.Dispose();

    private static void Ok(CliResult result) => Assert.True(result.ExitCode == 0, result.ToString());

    private const string CutShort = "Error: the backup file is cut short: the zstd data ends inside a frame\n";

    /// <summary>
    /// What a byte flipped inside the volume's random data gives: it decodes (zstd stores random data as it is) to other
    /// bytes, which the frame's checksum of its content catches at its end.
    /// </summary>
    private const string VolumeDamaged = "Error: the backup file is damaged: its compressed data does not decode (Restored data doesn't match checksum)\n";

    [Fact]
    public void ContainerBackup_CutShortOrWithAByteFlipped_IsRefusedSayingSo_AndLeavesNothing()
    {
        Ok(_host.Vessel("image", "build", "busybox"));
        Ok(_host.Vessel("launch", "busybox", "c1", "--network", "none"));
        // 4 MiB of the volume (8 with the snapshot's copy) after a 1 MiB image: the middle of the file is in the volume's data.
        Ok(_host.Vessel("exec", "c1", "--", "sh", "-c", "head -c 4194304 /dev/urandom > /root/data"));
        var sum = _host.Vessel("exec", "c1", "--", "md5sum", "/root/data").Stdout;
        Ok(_host.Vessel("snapshot", "create", "c1", "s1"));
        Ok(_host.Vessel("stop", "c1", "--force"));
        var backup = Path.Combine(_host.Root, "c1.backup");
        Ok(_host.Vessel("export", "c1", backup));
        Ok(_host.Vessel("delete", "c1"));
        Ok(_host.Vessel("image", "delete", "busybox")); // an import of the file has to bring the image back

        DamagedCopiesAreRefused(backup);

        Ok(_host.Vessel("import", backup));
        Ok(_host.Vessel("start", "c1"));
        Assert.Equal(sum, _host.Vessel("exec", "c1", "--", "md5sum", "/root/data").Stdout);
        Ok(_host.Vessel("delete", "--force", "c1"));
    }

    [Fact]
    public void VmBackup_CutShortOrWithAByteFlipped_IsRefusedSayingSo_AndLeavesNothing()
    {
        var blank = Path.Combine(_host.Root, "blank.qcow2");
        Ok(_host.Run("qemu-img", "create", "-f", "qcow2", blank, "64M"));
        Ok(_host.Vessel("image", "import", blank, "--vm", "--alias", "blank"));
        Ok(_host.Vessel("launch", "blank", "v1", "--vm", "--network", "none"));
        Ok(_host.Vessel("stop", "v1", "--force"));
        var disk = Path.Combine(_host.StateDirectory, "pools", "default", "virtual-machines", "v1", "root.qcow2");
        var random = Path.Combine(_host.Root, "random");
        File.WriteAllBytes(random, System.Security.Cryptography.RandomNumberGenerator.GetBytes(4 << 20));
        Ok(_host.Run("qemu-io", "-c", $"write -s {random} 1M 4M", "-c", "write -P 0x5a 8M 64k", disk));
        Ok(_host.Vessel("snapshot", "create", "v1", "s1"));
        var backup = Path.Combine(_host.Root, "v1.backup");
        Ok(_host.Vessel("export", "v1", backup));
        Ok(_host.Vessel("delete", "v1"));
        Ok(_host.Vessel("image", "delete", "blank"));

        DamagedCopiesAreRefused(backup);

        Ok(_host.Vessel("import", backup));
        Ok(_host.Run("qemu-io", "-r", "-c", "read -P 0x5a 8M 64k", disk));
        Assert.Contains("s1", _host.Vessel("snapshot", "list", "v1").Stdout, StringComparison.Ordinal);
        Ok(_host.Vessel("delete", "v1"));
    }

    /// <summary>Imports of the backup cut at its middle, cut 4 KiB before its end, and with its middle byte flipped.</summary>
    private void DamagedCopiesAreRefused(string backup)
    {
        var files = PoolAndImageFiles();
        var bytes = File.ReadAllBytes(backup);
        var flipped = (byte[])bytes.Clone();
        flipped[bytes.Length / 2] ^= 0xff;

        Assert.Equal(CutShort, Refused(bytes[..(bytes.Length / 2)], files));
        Assert.Equal(CutShort, Refused(bytes[..^4096], files));
        Assert.Equal(VolumeDamaged, Refused(flipped, files));
    }

    /// <summary>Imports the bytes, which must be refused with nothing made; returns what the user is told.</summary>
    private string Refused(byte[] damaged, List<string> files)
    {
        var file = Path.Combine(_host.Root, "damaged.backup");
        File.WriteAllBytes(file, damaged);
        var import = _host.Vessel("import", file, "broken");
        Assert.Equal(1, import.ExitCode);
        Assert.Equal("[]", _host.Vessel("list", "--format", "json").Stdout.Trim());
        Assert.Equal("[]", _host.Vessel("image", "list", "--format", "json").Stdout.Trim());
        Assert.Equal(files, PoolAndImageFiles());
        return import.Stderr;
    }

    /// <summary>Every file and directory in the pools and the image store (its staging directory included).</summary>
    private List<string> PoolAndImageFiles() =>
    [
        .. Below("pools").Concat(Below("images")).Order(StringComparer.Ordinal),
    ];

    private IEnumerable<string> Below(string directory)
    {
        var path = Path.Combine(_host.StateDirectory, directory);
        return Directory.Exists(path) ? Directory.EnumerateFileSystemEntries(path, "*", SearchOption.AllDirectories) : [];
    }
}
