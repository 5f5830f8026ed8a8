using System.Buffers.Binary;

namespace Vessel.Linux.Seccomp;

/// <summary>A classic BPF program as seccomp runs it: struct sock_filter {u16 code; u8 jt; u8 jf; u32 k}.</summary>
public sealed class BpfProgram
{
    public const ushort LoadWordAbsolute = 0x20, JumpEqual = 0x15, JumpGreaterOrEqual = 0x35, JumpSet = 0x45, Return = 0x06;

    private readonly List<(ushort Code, byte True, byte False, uint K)> _instructions = [];

    public int Count => _instructions.Count;

    public BpfProgram Load(uint offset) => Add(LoadWordAbsolute, 0, 0, offset);

    /// <summary>A conditional jump; the offsets count instructions after this one.</summary>
    public BpfProgram Jump(ushort condition, uint k, int ifTrue, int ifFalse)
    {
        if (ifTrue is < 0 or > 255 || ifFalse is < 0 or > 255)
            throw new ArgumentOutOfRangeException(nameof(ifTrue), "a BPF conditional jump reaches at most 255 instructions ahead");
        return Add(condition, (byte)ifTrue, (byte)ifFalse, k);
    }

    public BpfProgram Ret(uint action) => Add(Return, 0, 0, action);

    private BpfProgram Add(ushort code, byte jt, byte jf, uint k)
    {
        _instructions.Add((code, jt, jf, k));
        return this;
    }

    public byte[] ToBytes()
    {
        if (_instructions.Count > 4096)
            throw new InvalidOperationException($"a seccomp program has at most 4096 instructions, this one {_instructions.Count}");
        var bytes = new byte[_instructions.Count * 8];
        for (var i = 0; i < _instructions.Count; i++)
        {
            var (code, jt, jf, k) = _instructions[i];
            var slot = bytes.AsSpan(i * 8, 8);
            BinaryPrimitives.WriteUInt16LittleEndian(slot, code);
            slot[2] = jt;
            slot[3] = jf;
            BinaryPrimitives.WriteUInt32LittleEndian(slot[4..], k);
        }
        return bytes;
    }
}
