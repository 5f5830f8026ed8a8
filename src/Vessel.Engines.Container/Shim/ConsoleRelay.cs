using Microsoft.Win32.SafeHandles;
using Vessel.Linux;

namespace Vessel.Engines.Container.Shim;

/// <summary>
/// Copies the console's output to its log (kept under a size limit) and to attached clients, and the
/// clients' input to the console, on the shim's one thread: a poll loop over the console, the socket, its
/// clients and the init's pidfd. (Each thread of a shim cost every container ~60 KiB.)
/// </summary>
internal sealed class ConsoleRelay(SafeFileHandle master, string logPath, long logLimit) : IDisposable
{
    private readonly FileStream _terminal = new(master, FileAccess.ReadWrite, 0);
    private readonly List<FileStream> _clients = [];
    private readonly byte[] _buffer = new byte[16384];
    private SafeFileHandle? _listener;
    private FileStream? _log;
    private bool _consoleEnded;

    public void Start(string socketPath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        // Not FileMode.Append: the log is cut down in place later, which an append-mode stream refuses.
        _log = new FileStream(logPath, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite);
        _log.Seek(0, SeekOrigin.End);
        // Input that does not fit the console's buffer (a container not reading it) is dropped: it must not stop the loop.
        Fds.SetNonBlocking(master);
        File.Delete(socketPath);
        _listener = UnixSockets.Listen(socketPath, 8);
        File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>Relays until <paramref name="exited"/> (the init's pidfd) is readable, then takes what the console still holds.</summary>
    public void RunUntil(SafeFileHandle exited)
    {
        while (true)
        {
            // 0: the init, 1: the console (or nothing once it ended), 2: the socket, then the clients.
            var clients = _clients.ToArray();
            var entries = new FdPoll.Entry[3 + clients.Length];
            entries[0] = new(Fds.Number(exited), FdPoll.In);
            entries[1] = new(_consoleEnded ? -1 : Fds.Number(master), FdPoll.In);
            entries[2] = new(Fds.Number(_listener!), FdPoll.In);
            for (var i = 0; i < clients.Length; i++)
                entries[3 + i] = new(Fds.Number(clients[i].SafeFileHandle), FdPoll.In);
            FdPoll.Wait(entries, -1);
            if (entries[1].Returned != 0)
                RelayOutput();
            if (entries[0].Returned != 0)
            {
                while (!_consoleEnded && FdPoll.Wait([new(Fds.Number(master), FdPoll.In)], 0))
                    RelayOutput();
                return;
            }
            for (var i = 0; i < clients.Length; i++)
            {
                if (entries[3 + i].Returned != 0 && _clients.Contains(clients[i]))
                    ForwardInput(clients[i]);
            }
            if (entries[2].Returned != 0)
                Accept();
        }
    }

    private void RelayOutput()
    {
        int read;
        try
        {
            read = _terminal.Read(_buffer);
        }
        catch (IOException)
        {
            read = 0; // EIO: no process holds the console any more
        }
        if (read == 0)
        {
            _consoleEnded = true;
            return;
        }
        try
        {
            AppendLog(_buffer.AsSpan(0, read));
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"vessel-shim: console log: {e.Message}"); // the console itself goes on
        }
        foreach (var client in _clients.ToArray())
        {
            try
            {
                client.Write(_buffer.AsSpan(0, read));
            }
            catch (IOException)
            {
                Drop(client);
            }
        }
    }

    private void AppendLog(ReadOnlySpan<byte> bytes)
    {
        var log = _log!;
        log.Write(bytes);
        log.Flush();
        if (log.Length <= logLimit)
            return;
        // Keep the newer half: a console log is read from its end.
        var keep = new byte[logLimit / 2];
        using (var read = new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            read.Seek(-keep.Length, SeekOrigin.End);
            read.ReadExactly(keep);
        }
        log.SetLength(0);
        log.Write(keep);
        log.Flush();
    }

    private void Accept()
    {
        SafeFileHandle client;
        try
        {
            client = UnixSockets.Accept(_listener!);
        }
        catch (LinuxException)
        {
            return; // the client left before it was taken (ECONNABORTED)
        }
        UnixSockets.SetSendTimeout(client, TimeSpan.FromSeconds(2)); // a client that stops reading is dropped, not waited for
        _clients.Add(new FileStream(client, FileAccess.ReadWrite, 0));
    }

    private void ForwardInput(FileStream client)
    {
        try
        {
            var read = client.Read(_buffer);
            if (read > 0)
            {
                try
                {
                    _terminal.Write(_buffer.AsSpan(0, read));
                }
                catch (IOException)
                {
                    // EAGAIN: the console's input buffer is full; this input is lost, as on a serial line.
                }
                return;
            }
        }
        catch (IOException)
        {
        }
        Drop(client);
    }

    private void Drop(FileStream client)
    {
        _clients.Remove(client);
        client.Dispose();
    }

    public void Dispose()
    {
        foreach (var client in _clients)
            client.Dispose();
        _listener?.Dispose();
        _log?.Dispose();
        _terminal.Dispose();
    }
}
