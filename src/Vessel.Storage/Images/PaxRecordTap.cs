using System.Formats.Tar;
using System.Globalization;
using System.Text;

namespace Vessel.Storage.Images;

/// <summary>
/// Sits between a tar byte stream and <see cref="TarReader"/>, follows the tar block structure itself, and takes
/// the "SCHILY.xattr.NAME" records out of every PAX header with their raw bytes.
/// </summary>
/// <remarks>
/// TarReader decodes PAX values as UTF-8 lines: it garbles binary values (security.capability holds bytes above
/// 0x7f) and stops reading a header at the first value holding a line break (a capability mask can be 0x0a),
/// dropping the records after it, the entry's path among them. So the tap hands TarReader each xattr record
/// replaced by a placeholder record of the same length ("NN VESSEL.x0=xxxx\n"), which keeps every size and
/// checksum in the archive valid, and keeps the real name and bytes for <see cref="TakeXattrs"/>.
/// Entries are matched in order; the placeholders TarReader reports prove the two readers are in step.
/// </remarks>
internal sealed class PaxRecordTap(Stream inner) : Stream
{
    internal const string Placeholder = "VESSEL.x";
    private const int Block = 512;
    private const int MaxPaxHeader = 16 << 20;
    private static readonly IReadOnlyList<KeyValuePair<string, byte[]>> None = [];

    private readonly byte[] _chunk = new byte[1 << 16];
    private byte[] _output = new byte[1 << 16];
    private int _outputStart;
    private int _outputEnd;

    private readonly byte[] _header = new byte[Block];
    private int _headerFill;
    private long _skip;
    private byte[]? _pax;
    private int _paxFill;
    private int _paxPadding;
    private List<KeyValuePair<string, byte[]>>? _pendingXattrs;
    private long? _pendingSize;
    private readonly Queue<IReadOnlyList<KeyValuePair<string, byte[]>>> _entries = new();

    /// <summary>The extended attributes of the entry TarReader has just returned (call once per entry, globals excepted).</summary>
    public IReadOnlyList<KeyValuePair<string, byte[]>> TakeXattrs(TarEntry entry)
    {
        if (!_entries.TryDequeue(out var xattrs))
            throw new InvalidDataException($"entry \"{entry.Name}\": the tar headers could not be followed");
        var placeholders = entry is PaxTarEntry pax
            ? pax.ExtendedAttributes.Keys.Count(k => k.StartsWith(Placeholder, StringComparison.Ordinal))
            : 0;
        if (placeholders != xattrs.Count)
            throw new InvalidDataException($"entry \"{entry.Name}\": its PAX header cannot be read (a record is malformed)");
        return xattrs;
    }

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
            return 0;
        while (_outputStart == _outputEnd)
        {
            int read;
            try
            {
                read = inner.Read(_chunk);
            }
            catch (Exception e) when (IsCorruption(e))
            {
                throw Corrupt(e);
            }
            if (read == 0)
                return 0;
            Feed(_chunk.AsSpan(0, read));
        }
        return Serve(buffer);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
            return 0;
        while (_outputStart == _outputEnd)
        {
            int read;
            try
            {
                read = await inner.ReadAsync(_chunk, cancellationToken);
            }
            catch (Exception e) when (IsCorruption(e))
            {
                throw Corrupt(e);
            }
            if (read == 0)
                return 0;
            Feed(_chunk.AsSpan(0, read));
        }
        return Serve(buffer.Span);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Decompressors report bad input with their own exception types; TarReader's callers expect InvalidDataException.
    private static bool IsCorruption(Exception e) => e is not (IOException or OperationCanceledException or InvalidDataException);

    private static InvalidDataException Corrupt(Exception e) => new($"the compressed data is corrupt: {e.Message}", e);

    private int Serve(Span<byte> buffer)
    {
        var take = Math.Min(buffer.Length, _outputEnd - _outputStart);
        _output.AsSpan(_outputStart, take).CopyTo(buffer);
        _outputStart += take;
        return take;
    }

    private void Emit(ReadOnlySpan<byte> bytes)
    {
        if (_outputStart == _outputEnd)
            _outputStart = _outputEnd = 0;
        if (_outputEnd + bytes.Length > _output.Length)
        {
            var size = _output.Length;
            while (size < _outputEnd - _outputStart + bytes.Length)
                size *= 2;
            var grown = new byte[size];
            _output.AsSpan(_outputStart, _outputEnd - _outputStart).CopyTo(grown);
            _outputEnd -= _outputStart;
            _outputStart = 0;
            _output = grown;
        }
        bytes.CopyTo(_output.AsSpan(_outputEnd));
        _outputEnd += bytes.Length;
    }

    private void Feed(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            if (_skip > 0)
            {
                var take = (int)Math.Min(_skip, data.Length);
                Emit(data[..take]);
                _skip -= take;
                data = data[take..];
            }
            else if (_pax is not null)
            {
                var take = Math.Min(_pax.Length - _paxFill, data.Length);
                data[..take].CopyTo(_pax.AsSpan(_paxFill));
                _paxFill += take;
                data = data[take..];
                if (_paxFill == _pax.Length)
                    EndPaxHeader();
            }
            else
            {
                var take = Math.Min(Block - _headerFill, data.Length);
                data[..take].CopyTo(_header.AsSpan(_headerFill));
                Emit(data[..take]);
                _headerFill += take;
                data = data[take..];
                if (_headerFill == Block)
                {
                    _headerFill = 0;
                    OnHeader();
                }
            }
        }
    }

    private void OnHeader()
    {
        if (!_header.AsSpan().ContainsAnyExcept((byte)0))
            return; // the end-of-archive blocks
        var size = ParseSize(_header.AsSpan(124, 12));
        switch ((char)_header[156])
        {
            case 'x':
                if (size > MaxPaxHeader)
                    throw new InvalidDataException($"a PAX header of {size} bytes is larger than {MaxPaxHeader} bytes");
                _pax = new byte[size];
                _paxFill = 0;
                _paxPadding = (int)Padding(size);
                if (size == 0)
                    EndPaxHeader();
                break;
            case 'g' or 'L' or 'K':
                _skip = size + Padding(size);
                break;
            default:
                var dataSize = _pendingSize ?? size;
                _entries.Enqueue(_pendingXattrs ?? None);
                _pendingXattrs = null;
                _pendingSize = null;
                _skip = dataSize + Padding(dataSize);
                break;
        }
    }

    private void EndPaxHeader()
    {
        var pax = _pax!;
        _pax = null;
        ReplaceXattrRecords(pax);
        Emit(pax);
        _skip = _paxPadding;
    }

    /// <summary>Each record is "LENGTH KEY=VALUE\n", LENGTH counting the whole record in bytes.</summary>
    private void ReplaceXattrRecords(Span<byte> pax)
    {
        var position = 0;
        while (position < pax.Length)
        {
            var rest = pax[position..];
            var space = rest.IndexOf((byte)' ');
            if (space <= 0 || !int.TryParse(rest[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var length) ||
                length <= space + 1 || length > rest.Length || rest[length - 1] != (byte)'\n')
                return; // malformed: left as it is, for TarReader to judge
            var body = rest[(space + 1)..(length - 1)];
            var equals = body.IndexOf((byte)'=');
            if (equals < 0)
                return;
            var key = body[..equals];
            var value = body[(equals + 1)..];
            if (key.StartsWith("SCHILY.xattr."u8))
            {
                _pendingXattrs ??= [];
                var placeholder = Encoding.ASCII.GetBytes($"{Placeholder}{_pendingXattrs.Count}=");
                _pendingXattrs.Add(new(Encoding.UTF8.GetString(key["SCHILY.xattr.".Length..]), value.ToArray()));
                // TarReader drops a record with an empty value, so at least one filler byte must follow the '='.
                if (placeholder.Length >= body.Length)
                    throw new InvalidDataException($"a PAX header holds more extended attributes than {_pendingXattrs.Count - 1}");
                placeholder.CopyTo(body);
                body[placeholder.Length..].Fill((byte)'x');
            }
            else if (key.SequenceEqual("size"u8) &&
                     long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            {
                _pendingSize = size;
            }
            position += length;
        }
    }

    /// <summary>A header's size field: octal digits, or base-256 when the first byte's top bit is set.</summary>
    private static long ParseSize(ReadOnlySpan<byte> field)
    {
        long value = 0;
        if ((field[0] & 0x80) != 0)
        {
            foreach (var b in field[1..])
                value = (value << 8) | b;
            return value;
        }
        var digits = field.TrimStart(" \0"u8);
        foreach (var b in digits)
        {
            if (b is < (byte)'0' or > (byte)'7')
                break;
            value = (value * 8) + (b - '0');
        }
        return value;
    }

    private static long Padding(long size) => (Block - (size % Block)) % Block;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
