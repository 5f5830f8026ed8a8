using System.Formats.Tar;
using System.Text;

namespace Vessel.Storage.Tests.Images;

/// <summary>Writes a tar archive in memory, malicious entries included, and raw PAX xattr records TarWriter cannot write.</summary>
internal sealed class TarBuilder
{
    public static readonly DateTimeOffset Mtime = new(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);

    // Kept as steps and written in ToArray, so that the builder owns nothing disposable.
    private readonly List<Action<MemoryStream, TarWriter>> _steps = [];
    private bool _rawHeaderPending;

    public static UnixFileMode Mode(string octal) => (UnixFileMode)Convert.ToInt32(octal, 8);

    public TarBuilder Directory(string name, string mode = "755", int uid = 0, int gid = 0, DateTimeOffset? mtime = null) =>
        Add(TarEntryType.Directory, name, mode, uid, gid, mtime);

    public TarBuilder File(string name, string content = "", string mode = "644", int uid = 0, int gid = 0, DateTimeOffset? mtime = null) =>
        Add(TarEntryType.RegularFile, name, mode, uid, gid, mtime, Encoding.UTF8.GetBytes(content));

    public TarBuilder Symlink(string name, string target, int uid = 0, int gid = 0, DateTimeOffset? mtime = null) =>
        Add(TarEntryType.SymbolicLink, name, "777", uid, gid, mtime, link: target);

    public TarBuilder HardLink(string name, string target) => Add(TarEntryType.HardLink, name, "644", link: target);

    public TarBuilder Fifo(string name, string mode = "644") => Add(TarEntryType.Fifo, name, mode);

    public TarBuilder Device(string name, TarEntryType type, int major, int minor, string mode = "666") =>
        Add(type, name, mode, device: (major, minor));

    /// <summary>A raw PAX header ('x') with these records, taken by the next entry; the bytes go in as they are.</summary>
    public TarBuilder Pax(params (string Key, byte[] Value)[] records)
    {
        var header = PaxHeader(records);
        _steps.Add((stream, _) => stream.Write(header));
        _rawHeaderPending = true;
        return this;
    }

    public TarBuilder Xattrs(params (string Name, byte[] Value)[] xattrs) =>
        Pax(xattrs.Select(x => ("SCHILY.xattr." + x.Name, x.Value)).ToArray());

    public TarBuilder Add(TarEntryType type, string name, string mode = "644", int uid = 0, int gid = 0, DateTimeOffset? mtime = null,
        byte[]? data = null, string? link = null, (int Major, int Minor)? device = null)
    {
        // After a raw PAX header the entry must not bring one of its own: a ustar entry then.
        PosixTarEntry entry = _rawHeaderPending ? new UstarTarEntry(type, name) : new PaxTarEntry(type, name);
        _rawHeaderPending = false;
        entry.Mode = Mode(mode);
        entry.Uid = uid;
        entry.Gid = gid;
        entry.ModificationTime = mtime ?? Mtime;
        if (link is not null)
            entry.LinkName = link;
        if (device is { } d)
        {
            entry.DeviceMajor = d.Major;
            entry.DeviceMinor = d.Minor;
        }
        if (data is not null)
            entry.DataStream = new MemoryStream(data);
        return Entry(entry);
    }

    public TarBuilder Entry(TarEntry entry)
    {
        _steps.Add((_, writer) => writer.WriteEntry(entry));
        return this;
    }

    public byte[] ToArray()
    {
        using var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var step in _steps)
                step(stream, writer);
        }
        return stream.ToArray();
    }

    /// <summary>A header of any type flag, written by hand, with its data.</summary>
    public TarBuilder Raw(string name, char type, byte[] data)
    {
        var block = Header(name, type, data);
        _steps.Add((stream, _) => stream.Write(block));
        return this;
    }

    public static byte[] PaxHeader(IEnumerable<(string Key, byte[] Value)> records)
    {
        var data = new MemoryStream();
        foreach (var (key, value) in records)
        {
            var body = Encoding.UTF8.GetBytes(key + "=").Concat(value).Append((byte)'\n').ToArray();
            var length = body.Length + 2;
            while (length != body.Length + 1 + length.ToString().Length)
                length = body.Length + 1 + length.ToString().Length;
            data.Write(Encoding.ASCII.GetBytes($"{length} "));
            data.Write(body);
        }
        return Header("PaxHeaders/entry", 'x', data.ToArray());
    }

    private static byte[] Header(string name, char type, byte[] data)
    {
        var header = new byte[512];
        Ascii(header, 0, name);
        Ascii(header, 100, "0000644\0");
        Ascii(header, 108, "0000000\0");
        Ascii(header, 116, "0000000\0");
        Ascii(header, 124, Convert.ToString(data.Length, 8).PadLeft(11, '0') + "\0");
        Ascii(header, 136, "00000000000\0");
        Ascii(header, 148, "        ");
        header[156] = (byte)type;
        Ascii(header, 257, "ustar\0" + "00");
        var checksum = header.Sum(b => b);
        Ascii(header, 148, Convert.ToString(checksum, 8).PadLeft(6, '0') + "\0 ");
        var padding = (512 - (int)(data.Length % 512)) % 512;
        return [.. header, .. data, .. new byte[padding]];
    }

    private static void Ascii(byte[] buffer, int offset, string text) => Encoding.ASCII.GetBytes(text).CopyTo(buffer, offset);
}
