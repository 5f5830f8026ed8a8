using System.Runtime.InteropServices;

namespace Vessel.Linux.Seccomp;

/// <summary>
/// Builds an allow-by-default seccomp filter that refuses a list of system calls, with a few argument
/// rules. Calls from another ABI (i386 through int 0x80, x32) are refused whole: their numbers differ and
/// would slip past the list.
/// </summary>
public static class DenyFilter
{
    public const uint Allow = 0x7FFF0000, ErrnoAction = 0x50000;
    private const uint AuditArchX8664 = 0xC000003E, AuditArchAarch64 = 0xC00000B7, X32Bit = 0x40000000;
    private const uint OffsetNr = 0, OffsetArch = 4, OffsetArg0 = 16;

    /// <summary>What to do with one system call beyond plain refusal.</summary>
    public abstract record Rule(int Syscall);

    /// <summary>Refuse with this errno (EPERM as Docker does, ENOSYS where callers should fall back).</summary>
    public sealed record Refuse(int Syscall, int Errno = Linux.Errno.EPERM) : Rule(Syscall);

    /// <summary>Refuse when the first argument has any of these bits (clone's namespace flags).</summary>
    public sealed record RefuseIfArg0HasBits(int Syscall, uint Bits) : Rule(Syscall);

    /// <summary>
    /// Refuse when an argument (0 to 5) is one of these values (socket families, ioctl requests). Only the argument's
    /// low 32 bits are compared: the kernel reads an int or an unsigned int there and ignores the high bits, so a
    /// caller cannot slip past by setting them.
    /// </summary>
    public sealed record RefuseIfArgIn(int Syscall, int Arg, IReadOnlyList<uint> Values) : Rule(Syscall);

    /// <summary>Allow only when the first argument is one of these values (personality).</summary>
    public sealed record AllowOnlyIfArg0In(int Syscall, IReadOnlyList<uint> Values) : Rule(Syscall);

    /// <summary>A block for one call that decides on whether an argument is one of the values.</summary>
    private static void ArgIn(BpfProgram p, uint nr, int arg, IReadOnlyList<uint> values, uint whenIn, uint otherwise)
    {
        if (arg is < 0 or > 5)
            throw new ArgumentOutOfRangeException(nameof(arg), "a system call has six arguments, 0 to 5");
        // args[i] is a u64 at 16 + 8i; its low half comes first on the little-endian CPUs Vessel runs on.
        p.Jump(BpfProgram.JumpEqual, nr, 0, values.Count + 3).Load(OffsetArg0 + 8 * (uint)arg);
        for (var i = 0; i < values.Count; i++)
            p.Jump(BpfProgram.JumpEqual, values[i], values.Count - i, 0);
        p.Ret(otherwise).Ret(whenIn);
    }

    public static byte[] Build(IEnumerable<Rule> rules)
    {
        var arch = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? AuditArchAarch64 : AuditArchX8664;
        var eperm = ErrnoAction | Errno.EPERM;
        var p = new BpfProgram()
            .Load(OffsetArch).Jump(BpfProgram.JumpEqual, arch, 1, 0).Ret(eperm)
            .Load(OffsetNr).Jump(BpfProgram.JumpGreaterOrEqual, X32Bit, 0, 1).Ret(eperm);
        // Each rule is a block that starts by testing the number and otherwise jumps over itself, so every
        // jump stays short however long the list grows. Blocks that load an argument end in returns.
        foreach (var rule in rules)
        {
            var nr = (uint)rule.Syscall;
            switch (rule)
            {
                case Refuse r:
                    p.Jump(BpfProgram.JumpEqual, nr, 0, 1).Ret(ErrnoAction | (uint)r.Errno);
                    break;
                case RefuseIfArg0HasBits r:
                    p.Jump(BpfProgram.JumpEqual, nr, 0, 4).Load(OffsetArg0).Jump(BpfProgram.JumpSet, r.Bits, 0, 1).Ret(eperm).Ret(Allow);
                    break;
                case RefuseIfArgIn r:
                    ArgIn(p, nr, r.Arg, r.Values, whenIn: eperm, otherwise: Allow);
                    break;
                case AllowOnlyIfArg0In r:
                    ArgIn(p, nr, 0, r.Values, whenIn: Allow, otherwise: eperm);
                    break;
            }
        }
        return p.Ret(Allow).ToBytes();
    }
}
