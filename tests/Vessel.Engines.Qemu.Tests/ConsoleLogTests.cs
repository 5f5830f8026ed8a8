using System.Text;
using Vessel.Linux;

namespace Vessel.Engines.Qemu.Tests;

public sealed class ConsoleLogTests : IDisposable
{
    private const long Limit = 64 << 10;
    private readonly string _ext4 = Directory.CreateTempSubdirectory("vessel-log-").FullName;

    public void Dispose() => Directory.Delete(_ext4, recursive: true);

    private static string Lines(int from, int to) =>
        string.Concat(Enumerable.Range(from, to - from).Select(i => $"console line {i:D6} ................................\n"));

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // tmpfs has no COLLAPSE_RANGE: the copy to the front
    public async Task Trim_LogPastTheLimit_KeepsItsNewestHalf(bool tmpfs)
    {
        var directory = tmpfs ? Directory.CreateDirectory($"/dev/shm/vessel-log-{Guid.NewGuid():N}").FullName : _ext4;
        try
        {
            var path = Path.Combine(directory, "console.log");
            var text = Lines(0, 5000);
            await File.WriteAllTextAsync(path, text);

            Assert.True(ConsoleLog.Trim(path, Limit));
            var kept = await ConsoleLog.ReadAsync(path, CancellationToken.None);

            Assert.InRange(kept.Length, Limit / 2, Limit / 2 + 4096);
            Assert.EndsWith(Lines(4999, 5000), kept, StringComparison.Ordinal);
            Assert.EndsWith(kept, text, StringComparison.Ordinal); // one piece: the newest bytes, in order
            Assert.False(ConsoleLog.Trim(path, Limit)); // under the limit now
        }
        finally
        {
            if (tmpfs)
                Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Trim_WhileAWriterAppends_LosesNoLineOnExt4()
    {
        var path = Path.Combine(_ext4, "console.log");
        const int AtLeast = 40000;
        var cuts = 0;
        // The writer goes on until the log has been cut often enough, however the two threads are scheduled on a busy host.
        var writer = Task.Run(() =>
        {
            // O_WRONLY|O_CREAT|O_APPEND, as QEMU opens its logfile (FileMode.Append is no O_APPEND: .NET writes at its own
            // offset, which a cut leaves past the end). Under O_APPEND Linux's pwrite appends whatever offset it is given.
            using var log = Fds.Open(path, 0x1 | 0x40 | 0x400);
            var i = 0;
            for (; i < AtLeast || Volatile.Read(ref cuts) <= 10; i++)
                RandomAccess.Write(log, Encoding.ASCII.GetBytes(Lines(i, i + 1)), fileOffset: 0);
            return i;
        });
        while (!writer.IsCompleted)
        {
            if (ConsoleLog.Trim(path, Limit))
                Interlocked.Increment(ref cuts);
        }
        var written = await writer;

        var kept = await ConsoleLog.ReadAsync(path, CancellationToken.None);
        var lines = kept[(kept.IndexOf('\n') + 1)..].Split('\n', StringSplitOptions.RemoveEmptyEntries); // the first may be cut inside
        Assert.True(cuts > 10, $"{cuts} cuts");
        var first = int.Parse(lines[0].Split(' ')[2]);
        Assert.Equal(Enumerable.Range(first, written - first).Select(i => Lines(i, i + 1).TrimEnd('\n')), lines);
    }

    [Fact]
    public async Task ReadAsync_NoLog_IsEmpty() =>
        Assert.Equal("", await ConsoleLog.ReadAsync(Path.Combine(_ext4, "none", "console.log"), CancellationToken.None));
}
