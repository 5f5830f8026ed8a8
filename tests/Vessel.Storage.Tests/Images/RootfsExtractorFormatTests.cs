using System.Diagnostics;
using System.IO.Compression;
using Vessel.Core;
using Vessel.Storage.Images;

namespace Vessel.Storage.Tests.Images;

/// <summary>Every tarball format an image can come in unpacks to the same tree; broken ones are refused by name.</summary>
public sealed class RootfsExtractorFormatTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>A tree with a directory, a file larger than the decompressors' buffers, a link and an xattr.</summary>
    internal static byte[] SampleTar()
    {
        var big = new byte[300_000];
        new Random(7).NextBytes(big);
        return new TarBuilder()
            .Directory("etc/")
            .File("etc/hostname", "web\n")
            .Add(System.Formats.Tar.TarEntryType.RegularFile, "etc/blob", data: big)
            .Symlink("etc/mtab", "/proc/self/mounts")
            .Xattrs(("user.k", [0x80, (byte)'\n']))
            .Add(System.Formats.Tar.TarEntryType.RegularFile, "etc/tagged", data: "t"u8.ToArray())
            .ToArray();
    }

    internal static byte[] Compress(byte[] tar, string format)
    {
        switch (format)
        {
            case "tar":
                return tar;
            case "tar.gz":
            {
                using var output = new MemoryStream();
                using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
                    gzip.Write(tar);
                return output.ToArray();
            }
            case "tar.zst":
            {
                using var output = new MemoryStream();
                using (var zstd = new Vessel.Linux.ZstdCompressionStream(output, level: 3, leaveOpen: true))
                    zstd.Write(tar);
                return output.ToArray();
            }
            case "tar.xz":
                return Xz(tar);
            default:
                throw new ArgumentException(format, nameof(format));
        }
    }

    /// <summary>SharpCompress reads xz but cannot write it; xz-utils (on every Debian) does.</summary>
    private static byte[] Xz(byte[] data)
    {
        var start = new ProcessStartInfo("xz") { ArgumentList = { "-c", "-T1", "--block-size=65536" }, RedirectStandardInput = true, RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        using var output = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(output);
        process.StandardInput.BaseStream.Write(data);
        process.StandardInput.Close();
        copy.GetAwaiter().GetResult();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return output.ToArray();
    }

    [Theory]
    [InlineData("tar")]
    [InlineData("tar.gz")]
    [InlineData("tar.zst")]
    [InlineData("tar.xz")]
    public async Task EachFormat_RoundTrips(string format)
    {
        var tar = SampleTar();
        var archive = _temp.Combine("rootfs." + format);
        File.WriteAllBytes(archive, Compress(tar, format));
        var root = _temp.Combine("root");

        var result = await RootfsExtractor.ExtractAsync(archive, format, root, new ExtractOptions(), CancellationToken.None);

        Assert.Equal(new ExtractResult(5, 0), result);
        Assert.Equal("web\n", File.ReadAllText(Path.Combine(root, "etc/hostname")));
        var big = new byte[300_000];
        new Random(7).NextBytes(big);
        Assert.Equal(big, File.ReadAllBytes(Path.Combine(root, "etc/blob")));
        Assert.Equal("/proc/self/mounts", new FileInfo(Path.Combine(root, "etc/mtab")).LinkTarget);
        Assert.Equal(new byte[] { 0x80, (byte)'\n' }, NativeFile.GetXattr(Path.Combine(root, "etc/tagged"), "user.k"));
        Assert.Equal(ImageFormat.Detect(File.ReadAllBytes(archive).AsSpan(0, 512))?.Format, format);
    }

    [Theory]
    [InlineData("tar.gz")]
    [InlineData("tar.zst")]
    [InlineData("tar.xz")]
    public async Task CorruptCompressedData_IsRefusedNamingTheArchive(string format)
    {
        var bytes = Compress(SampleTar(), format);
        for (var i = bytes.Length / 3; i < bytes.Length * 2 / 3; i++)
            bytes[i] ^= 0x5a;
        var archive = _temp.Combine("rootfs." + format);
        File.WriteAllBytes(archive, bytes);

        var e = await Assert.ThrowsAsync<BadRequestException>(() =>
            RootfsExtractor.ExtractAsync(archive, format, _temp.Combine("root"), new ExtractOptions(), CancellationToken.None));

        Assert.StartsWith($"rootfs.{format}: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TruncatedTar_IsRefused()
    {
        var tar = SampleTar();
        var archive = _temp.Combine("rootfs.tar");
        File.WriteAllBytes(archive, tar[..(tar.Length / 2)]);

        var e = await Assert.ThrowsAsync<BadRequestException>(() =>
            RootfsExtractor.ExtractAsync(archive, "tar", _temp.Combine("root"), new ExtractOptions(), CancellationToken.None));

        Assert.StartsWith("rootfs.tar: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GarbageHeader_IsRefused()
    {
        var archive = _temp.Combine("rootfs.tar");
        var garbage = new byte[2048];
        new Random(1).NextBytes(garbage);
        File.WriteAllBytes(archive, garbage);

        var e = await Assert.ThrowsAsync<BadRequestException>(() =>
            RootfsExtractor.ExtractAsync(archive, "tar", _temp.Combine("root"), new ExtractOptions(), CancellationToken.None));

        Assert.StartsWith("rootfs.tar: not a readable tar archive: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownFormat_IsRefused()
    {
        var archive = _temp.Combine("disk.qcow2");
        File.WriteAllBytes(archive, [1]);

        var e = await Assert.ThrowsAsync<BadRequestException>(() =>
            RootfsExtractor.ExtractAsync(archive, "qcow2", _temp.Combine("root"), new ExtractOptions(), CancellationToken.None));

        Assert.Equal("disk.qcow2: format \"qcow2\" is not a tarball format (tar, tar.gz, tar.zst, tar.xz)", e.Message);
    }
}
