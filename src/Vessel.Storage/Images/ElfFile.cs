using System.Buffers.Binary;

namespace Vessel.Storage.Images;

/// <summary>Reads just enough of an ELF file to tell a static executable (no PT_INTERP program header) from a dynamic one.</summary>
internal static class ElfFile
{
    private const uint ProgramInterpreter = 3; // PT_INTERP

    /// <returns>True for a 64-bit little-endian ELF file that names no program interpreter.</returns>
    public static bool IsStatic(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> header = stackalloc byte[64];
        if (file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length ||
            !header.StartsWith("\u007fELF"u8) || header[4] != 2 || header[5] != 1) // ELFCLASS64, ELFDATA2LSB
            return false;
        if (BinaryPrimitives.ReadUInt16LittleEndian(header[0x10..]) is not (2 or 3)) // ET_EXEC, ET_DYN (static-pie)
            return false;
        var programHeaders = BinaryPrimitives.ReadInt64LittleEndian(header[0x20..]);
        var entrySize = BinaryPrimitives.ReadUInt16LittleEndian(header[0x36..]);
        var count = BinaryPrimitives.ReadUInt16LittleEndian(header[0x38..]);
        if (entrySize < 4 || programHeaders <= 0)
            return false;
        Span<byte> type = stackalloc byte[4];
        for (var i = 0; i < count; i++)
        {
            file.Position = programHeaders + ((long)i * entrySize);
            if (file.ReadAtLeast(type, type.Length, throwOnEndOfStream: false) < type.Length)
                return false;
            if (BinaryPrimitives.ReadUInt32LittleEndian(type) == ProgramInterpreter)
                return false;
        }
        return true;
    }
}
