using Vessel.Engines.Qemu.Qga;

namespace Vessel.Engines.Qemu;

/// <summary>A guest file open for reading through the agent: a guest-file-read per chunk, guest-file-close when disposed.</summary>
internal sealed class AgentFileStream(GuestAgent agent, long handle, string path) : Stream
{
    private byte[] _chunk = [];
    private int _offset;
    private bool _eof;
    private int _closed;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Reads the next chunk when the last one is used up; false at the end of the file.</summary>
    internal async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        while (_offset == _chunk.Length)
        {
            if (_eof)
                return false;
            try
            {
                (_chunk, _eof) = await agent.CallAsync(client => client.ReadFileAsync(handle, QemuDriver.FileChunk, cancellationToken), cancellationToken);
            }
            catch (GuestAgentException e)
            {
                throw QemuDriver.FileError(agent.VmName, path, e);
            }
            _offset = 0;
        }
        return true;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0 || !await FillAsync(cancellationToken))
            return 0;
        var count = Math.Min(buffer.Length, _chunk.Length - _offset);
        _chunk.AsMemory(_offset, count).CopyTo(buffer);
        _offset += count;
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        await CloseAsync();
        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            CloseAsync().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }

    private async Task CloseAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
            await QemuDriver.CloseGuestFileAsync(agent, handle);
    }
}
