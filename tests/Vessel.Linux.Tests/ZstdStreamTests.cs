using System.Diagnostics;
using System.Text;

namespace Vessel.Linux.Tests;

public sealed class ZstdStreamTests
{
    /// <summary>Half random bytes, half text: compressible and not.</summary>
    private static byte[] Sample(int length)
    {
        var data = new byte[length];
        new Random(7).NextBytes(data.AsSpan(0, length / 2));
        var text = Encoding.ASCII.GetBytes("the quick brown fox jumps over the lazy dog ");
        for (var i = length / 2; i < length; i++)
            data[i] = text[i % text.Length];
        return data;
    }

    private static async Task<byte[]> CompressAsync(byte[] data, int workers, int chunk)
    {
        using var output = new MemoryStream();
        await using (var zstd = new ZstdCompressionStream(output, 3, workers, leaveOpen: true))
        {
            for (var at = 0; at < data.Length; at += chunk)
                await zstd.WriteAsync(data.AsMemory(at, Math.Min(chunk, data.Length - at)));
        }
        return output.ToArray();
    }

    private static byte[] Decompress(byte[] compressed, int chunk = 1 << 16)
    {
        using var zstd = new ZstdDecompressionStream(new MemoryStream(compressed));
        using var output = new MemoryStream();
        var buffer = new byte[chunk];
        int read;
        while ((read = zstd.Read(buffer)) > 0)
            output.Write(buffer, 0, read);
        return output.ToArray();
    }

    [Theory]
    [InlineData(0, 0, 4096)]
    [InlineData(5_000_000, 0, 1 << 20)]
    [InlineData(5_000_000, 2, 777)]
    [InlineData(100, 2, 1)]
    public async Task WhatIsCompressed_DecompressesToTheSameBytes(int length, int workers, int chunk)
    {
        var data = Sample(length);

        var compressed = await CompressAsync(data, workers, chunk);

        Assert.Equal(data, Decompress(compressed));
        Assert.Equal(data, Decompress(compressed, chunk: 1)); // output handed out a byte at a time
        await using var async = new ZstdDecompressionStream(new MemoryStream(compressed));
        using var copy = new MemoryStream();
        await async.CopyToAsync(copy);
        Assert.Equal(data, copy.ToArray());
    }

    [Fact]
    public async Task TheFrame_IsOneTheZstdToolReads_WithAChecksum()
    {
        var data = Sample(300_000);
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(file, await CompressAsync(data, 2, 4096));
            var list = Run("zstd", "-lv", file);
            Assert.Contains("Check: XXH64", list, StringComparison.Ordinal);
            var decoded = Run("zstd", "-dc", file);
            Assert.Equal(data.Length, decoded.Length); // ASCII and random bytes alike pass through Latin-1 one for one
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task FramesOneAfterTheOther_ReadAsOneStream()
    {
        var first = Sample(1000);
        var second = Encoding.ASCII.GetBytes("and then some more");

        var both = (await CompressAsync(first, 0, 4096)).Concat(await CompressAsync(second, 0, 4096)).ToArray();

        Assert.Equal(first.Concat(second), Decompress(both));
    }

    [Fact]
    public async Task DataCutShort_IsAnEndOfStream_AndDamagedData_AZstdException()
    {
        var compressed = await CompressAsync(Sample(200_000), 0, 4096);

        Assert.Throws<EndOfStreamException>(() => Decompress(compressed[..(compressed.Length - 3)]));
        Assert.Throws<EndOfStreamException>(() => Decompress(compressed[..(compressed.Length / 2)]));
        var damaged = (byte[])compressed.Clone();
        damaged[^2] ^= 0xff; // in the checksum
        Assert.Throws<ZstdException>(() => Decompress(damaged));
        Assert.Throws<ZstdException>(() => Decompress(Encoding.ASCII.GetBytes("not zstd at all")));
    }

    private static string Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, StandardOutputEncoding = Encoding.Latin1 };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return output;
    }
}
