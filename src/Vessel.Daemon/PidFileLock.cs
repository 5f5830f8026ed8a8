namespace Vessel.Daemon;

public sealed class DaemonStartException(string message) : Exception(message);

/// <summary>
/// Holds the pid file open with an exclusive lock for the daemon's life (.NET takes FileShare.None as a
/// flock on Unix), so a second vesseld refuses to start; the kernel drops the lock when the process dies,
/// even by SIGKILL.
/// </summary>
public sealed class PidFileLock : IDisposable
{
    private readonly FileStream _file;
    private readonly string _path;

    private PidFileLock(FileStream file, string path)
    {
        _file = file;
        _path = path;
    }

    public static PidFileLock Acquire(string path)
    {
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            var holder = File.Exists(path) ? File.ReadAllText(path).Trim() : "?";
            throw new DaemonStartException($"another vesseld (pid {holder}) already runs with {Path.GetDirectoryName(path)}");
        }
        file.SetLength(0);
        using (var writer = new StreamWriter(file, leaveOpen: true))
            writer.Write($"{Environment.ProcessId}\n");
        file.Flush(flushToDisk: true);
        return new PidFileLock(file, path);
    }

    public void Dispose()
    {
        File.Delete(_path);
        _file.Dispose();
    }
}
