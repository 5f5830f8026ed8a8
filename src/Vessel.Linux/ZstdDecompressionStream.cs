namespace Vessel.Linux;

/// <summary>
/// Reads the zstd frames that INNER holds, one after the other, decoded through the system's libzstd; a frame's checksum,
/// when it has one, is checked at its end. Input that ends inside a frame is an <see cref="EndOfStreamException"/>,
/// input that does not decode a <see cref="ZstdException"/>.
/// </summary>
public sealed class ZstdDecompressionStream : Stream
{
    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private readonly byte[] _input = new byte[1 << 17];
    private int _inputStart, _inputEnd;
    private bool _innerEnded, _insideFrame;
    private readonly Interop.ZstdDecompressor _context;

    public ZstdDecompressionStream(Stream inner, bool leaveOpen = false)
    {
        _inner = inner;
        _leaveOpen = leaveOpen;
        _context = Interop.ZstdCreateDecompressor();
        if (_context.IsInvalid)
            throw new InsufficientMemoryException("zstd could not make a decompression context");
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            if (_inputStart == _inputEnd && !_innerEnded)
                Refilled(_inner.Read(_input));
            else if (Decode(buffer) is var produced && (produced > 0 || AllRead))
                return produced;
        }
        return 0;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            if (_inputStart == _inputEnd && !_innerEnded)
                Refilled(await _inner.ReadAsync(_input, cancellationToken));
            else if (Decode(buffer.Span) is var produced && (produced > 0 || AllRead))
                return produced;
        }
        return 0;
    }

    private void Refilled(int read)
    {
        _inputStart = 0;
        _inputEnd = read;
        _innerEnded = read == 0;
    }

    private bool AllRead => _innerEnded && _inputStart == _inputEnd && !_insideFrame;

    /// <summary>
    /// One call of ZSTD_decompressStream over the input held (none once the input has ended: what the library still holds
    /// of a frame comes out then): how much it wrote into OUTPUT, which may be 0 while it reads a frame's header.
    /// </summary>
    private unsafe int Decode(Span<byte> output)
    {
        ObjectDisposedException.ThrowIf(_context.IsClosed, this);
        var ended = _inputStart == _inputEnd;
        if (ended && !_insideFrame)
            return 0;
        fixed (byte* source = _input)
        fixed (byte* destination = output)
        {
            var from = new Interop.ZstdInBuffer { Source = source + _inputStart, Size = (nuint)(_inputEnd - _inputStart) };
            var to = new Interop.ZstdOutBuffer { Destination = destination, Size = (nuint)output.Length };
            // 0 once a frame is decoded, checked and handed out whole; the next byte may begin another one.
            _insideFrame = ZstdException.Check(Interop.ZstdDecompressStream(_context, &to, &from)) != 0;
            _inputStart += (int)from.Position;
            if (ended && _insideFrame && to.Position == 0)
                throw new EndOfStreamException("the zstd data ends inside a frame");
            return (int)to.Position;
        }
    }

    public override void Flush()
    {
    }

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_context.IsClosed)
        {
            _context.Dispose();
            if (!_leaveOpen)
                _inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
