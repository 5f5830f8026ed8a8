using System.Runtime.InteropServices;

namespace Vessel.Linux.Seccomp;

/// <summary>
/// What Docker's default seccomp profile refuses a container with Docker's default capabilities, as a deny
/// list for x86_64 (see docs/container-security-defaults.md for the derivation and sources).
/// </summary>
public static class DockerDefault
{
    // x86_64 numbers of the calls the profile never allows for the default capability set.
    private static readonly int[] RefusedX8664 =
    [
        103, 134, 136, 139, 153, 155, 156, 163, 164, 165, 166, 167, 168, 169, 170, 171, 172, 173, 174, 175, 176, 177,
        178, 179, 180, 181, 182, 183, 184, 185, 212, 227, 236, 237, 238, 239, 246, 248, 249, 250, 256, 272, 279, 298,
        300, 304, 308, 312, 313, 320, 321, 323, 336, 425, 426, 427, 428, 429, 430, 431, 432, 433, 438, 440, 442, 443,
        450, 459, 460, 461, 467, 468, 469, 470, 471,
    ];

    private const int Clone = 56, Socket = 41, Personality = 135, Clone3 = 435;
    private const uint NamespaceFlags = 0x7E020000; // CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
    private const uint AfAlg = 38, AfVsock = 40;

    public static IReadOnlyList<DenyFilter.Rule> Rules()
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
            throw new PlatformNotSupportedException("the default seccomp policy is only written for x86_64 yet");
        return
        [
            new DenyFilter.RefuseIfArg0HasBits(Clone, NamespaceFlags),
            // clone3 hides its flags in memory the filter cannot read; ENOSYS makes libc fall back to clone.
            new DenyFilter.Refuse(Clone3, Errno.ENOSYS),
            new DenyFilter.RefuseIfArgIn(Socket, 0, [AfAlg, AfVsock]),
            new DenyFilter.AllowOnlyIfArg0In(Personality, [0, 8, 0x20000, 0x20008, 0xFFFFFFFF]),
            .. RefusedX8664.Select(nr => new DenyFilter.Refuse(nr)),
        ];
    }

    public static byte[] Filter() => DenyFilter.Build(Rules());
}
