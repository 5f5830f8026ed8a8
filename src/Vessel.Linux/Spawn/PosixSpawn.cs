namespace Vessel.Linux.Spawn;

/// <summary>
/// Starts a plain program with glibc's posix_spawn, which clones with CLONE_VM|CLONE_VFORK: the child borrows this
/// process's memory until its exec. RawSpawn's clone3 copies the whole of vesseld instead (its page tables, then a
/// copy-on-write fault for every page the daemon touches before the child's exec): milliseconds at every container
/// start. Only fds, a new session and a clean signal state can be set up this way; namespaces need RawSpawn.
/// </summary>
public static unsafe class PosixSpawn
{
    private const short SetSignalDefaults = 0x04, SetSignalMask = 0x08, SetSid = 0x80;
    // glibc's posix_spawnattr_t (336 bytes), posix_spawn_file_actions_t (80) and sigset_t (128) fit with room to spare.
    private const int OpaqueSize = 512;

    /// <summary>
    /// Starts PATH with these arguments (argv[0] included) and an empty environment; the child gets each source fd at
    /// its target number, every signal at its default and none blocked (the .NET runtime ignores SIGPIPE, and an ignored
    /// signal stays ignored across execve). Other fds are close-on-exec in .NET. Returns the pid.
    /// </summary>
    public static int Start(string path, IReadOnlyList<string> arguments, IReadOnlyList<(int Source, int Target)> fds, bool newSession)
    {
        // The dup2s run in order: a source that is an earlier target would already have been replaced.
        for (var i = 0; i < fds.Count; i++)
        {
            if (fds.Take(i).Any(earlier => earlier.Target == fds[i].Source))
                throw new ArgumentException($"fd {fds[i].Source} is both a source and an earlier target");
        }
        var actions = stackalloc byte[OpaqueSize];
        var attributes = stackalloc byte[OpaqueSize];
        var signals = stackalloc byte[OpaqueSize];
        Check(Interop.PosixSpawnFileActionsInit(actions), "posix_spawn_file_actions_init");
        try
        {
            Check(Interop.PosixSpawnattrInit(attributes), "posix_spawnattr_init");
            try
            {
                foreach (var (source, target) in fds)
                    Check(Interop.PosixSpawnFileActionsAddDup2(actions, source, target), "posix_spawn_file_actions_adddup2");
                _ = Interop.Sigfillset(signals);
                Check(Interop.PosixSpawnattrSetsigdefault(attributes, signals), "posix_spawnattr_setsigdefault");
                _ = Interop.Sigemptyset(signals);
                Check(Interop.PosixSpawnattrSetsigmask(attributes, signals), "posix_spawnattr_setsigmask");
                Check(Interop.PosixSpawnattrSetflags(attributes, (short)(SetSignalDefaults | SetSignalMask | (newSession ? SetSid : 0))),
                    "posix_spawnattr_setflags");
                Check(Interop.PosixSpawn(out var pid, path, actions, attributes, [.. arguments, null], [null]), $"posix_spawn {path}");
                return pid;
            }
            finally
            {
                _ = Interop.PosixSpawnattrDestroy(attributes);
            }
        }
        finally
        {
            _ = Interop.PosixSpawnFileActionsDestroy(actions);
        }
    }

    private static void Check(int error, string call)
    {
        if (error != 0)
            throw new LinuxException(call, error);
    }
}
