using System.Diagnostics;
using System.Formats.Tar;
using Vessel.Storage.Images;

namespace Vessel.Storage.Tests.Images;

/// <summary>Appending an entry to a finished tarball in place: what was there stays, GNU tar and .NET both read the result.</summary>
public sealed class TarAppendTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static readonly string LongName = $"usr/{new string('n', 90)}/{new string('m', 60)}";

    [Theory]
    [InlineData(TarEntryFormat.Pax)]
    [InlineData(TarEntryFormat.Gnu)]
    [InlineData(TarEntryFormat.Ustar)]
    public async Task Directory_IsAddedAfterTheLastEntry(TarEntryFormat format)
    {
        var tarball = _temp.Combine("rootfs.tar");
        await using (var file = File.Create(tarball))
        await using (var writer = new TarWriter(file, format))
        {
            await writer.WriteEntryAsync(Entry(format, TarEntryType.Directory, "./etc/"));
            // Odd lengths, so that the data is padded to 512 bytes; one of a whole block.
            await writer.WriteEntryAsync(Entry(format, TarEntryType.RegularFile, "./etc/a", new string('a', 1)));
            await writer.WriteEntryAsync(Entry(format, TarEntryType.RegularFile, "./etc/b", new string('b', 512)));
            await writer.WriteEntryAsync(Entry(format, TarEntryType.Directory, "./usr/"));
            await writer.WriteEntryAsync(Entry(format, TarEntryType.Directory, $"./{Path.GetDirectoryName(LongName)}/"));
            await writer.WriteEntryAsync(Entry(format, TarEntryType.RegularFile, $"./{LongName}", new string('c', 1000)));
            await writer.WriteEntryAsync(Entry(format, TarEntryType.SymbolicLink, "./sbin", link: "usr/sbin"));
        }
        // GNU tar pads archives to 10 KiB records: zeros after the end-of-archive blocks.
        await using (var file = new FileStream(tarball, FileMode.Append))
            file.Write(new byte[8192]);

        await TarAppend.DirectoryAsync(tarball, "./dev/", TarBuilder.Mode("755"), TarBuilder.Mtime, CancellationToken.None);

        var index = await TarIndex.ReadAsync(tarball);
        Assert.Equal(["etc", "etc/a", "etc/b", "usr", Path.GetDirectoryName(LongName), LongName, "sbin", "dev"], index.Items.Keys);
        Assert.Equal(TarEntryType.Directory, index.Items["dev"].Type);
        Assert.Equal("b", (await index.ReadTextAsync("etc/b")).Distinct().Single().ToString());
        Assert.Equal(1000, (await index.ReadTextAsync(LongName)).Length);
        var listing = GnuTarList(tarball);
        Assert.Contains("drwxr-xr-x 0/0", listing.Single(l => l.EndsWith(" ./dev/", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Equal(8, listing.Count);
    }

    private static TarEntry Entry(TarEntryFormat format, TarEntryType type, string name, string? content = null, string? link = null)
    {
        TarEntry entry = format switch
        {
            TarEntryFormat.Pax => new PaxTarEntry(type, name),
            TarEntryFormat.Gnu => new GnuTarEntry(type, name),
            _ => new UstarTarEntry(type, name),
        };
        entry.ModificationTime = TarBuilder.Mtime;
        if (link is not null)
            entry.LinkName = link;
        if (content is not null)
            entry.DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content));
        return entry;
    }

    private static List<string> GnuTarList(string tarball)
    {
        var start = new ProcessStartInfo("tar") { ArgumentList = { "-tvf", tarball, "--numeric-owner" }, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0 && errors.Length == 0, $"tar -tvf: exit {process.ExitCode}: {errors}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }
}
