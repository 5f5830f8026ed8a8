namespace Vessel.Daemon;

public sealed class DaemonStartException(string message) : Exception(message);

/// <summary>
/// Holds vesseld.lock open with an exclusive lock for the daemon's life (.NET takes FileShare.None as a
/// flock on Unix), so a second vesseld refuses to start; the kernel drops the lock when the process dies,
/// even by SIGKILL. The pid goes to vesseld.pid, a plain file that scripts and other programs can read.
/// </summary>
public sealed class PidFileLock : IDisposable
{
    private readonly FileStream _lock;
    private readonly string _pidFile;

    private PidFileLock(FileStream lockFile, string pidFile)
    {
        _lock = lockFile;
        _pidFile = pidFile;
    }

    public static PidFileLock Acquire(string pidFile)
    {
        FileStream lockFile;
        try
        {
            lockFile = new FileStream(Path.ChangeExtension(pidFile, ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            var holder = File.Exists(pidFile) ? File.ReadAllText(pidFile).Trim() : "?";
            throw new DaemonStartException($"another vesseld (pid {holder}) already runs with {Path.GetDirectoryName(pidFile)}");
        }
        File.WriteAllText(pidFile, $"{Environment.ProcessId}\n");
        return new PidFileLock(lockFile, pidFile);
    }

    public void Dispose()
    {
        File.Delete(_pidFile);
        _lock.Dispose();
    }
}
