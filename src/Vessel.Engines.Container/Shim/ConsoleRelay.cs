using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;

namespace Vessel.Engines.Container.Shim;

/// <summary>
/// Copies the console's output to its log (kept under a size limit) and to attached clients, and the
/// clients' input to the console. Plain threads: a shim has nothing else to do.
/// </summary>
internal sealed class ConsoleRelay(SafeFileHandle master, string logPath, long logLimit) : IDisposable
{
    private readonly FileStream _terminal = new(master, FileAccess.ReadWrite, 0);
    private readonly Lock _lock = new();
    private readonly List<Socket> _clients = [];
    private FileStream? _log;

    public void Start(string socketPath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        // Not FileMode.Append: the log is cut down in place later, which an append-mode stream refuses.
        _log = new FileStream(logPath, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite);
        _log.Seek(0, SeekOrigin.End);
        new Thread(ReadConsole) { IsBackground = true, Name = "console" }.Start();
        File.Delete(socketPath);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        listener.Listen(8);
        new Thread(() => Accept(listener)) { IsBackground = true, Name = "console-accept" }.Start();
    }

    private void ReadConsole()
    {
        var buffer = new byte[16384];
        while (true)
        {
            int read;
            try
            {
                read = _terminal.Read(buffer);
            }
            catch (IOException)
            {
                return; // EIO: no process holds the console any more
            }
            if (read == 0)
                return;
            lock (_lock)
            {
                try
                {
                    AppendLog(buffer.AsSpan(0, read));
                }
                catch (IOException e)
                {
                    Console.Error.WriteLine($"vessel-shim: console log: {e.Message}"); // the console itself goes on
                }
                foreach (var client in _clients.ToArray())
                {
                    try
                    {
                        client.Send(buffer.AsSpan(0, read));
                    }
                    catch (SocketException)
                    {
                        _clients.Remove(client);
                        client.Dispose();
                    }
                }
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

    private void Accept(Socket listener)
    {
        while (true)
        {
            var client = listener.Accept();
            client.SendTimeout = 2000; // a client that stops reading is dropped, not waited for
            lock (_lock)
                _clients.Add(client);
            new Thread(() => ForwardInput(client)) { IsBackground = true, Name = "console-input" }.Start();
        }
    }

    private void ForwardInput(Socket client)
    {
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = client.Receive(buffer)) > 0)
                _terminal.Write(buffer.AsSpan(0, read));
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
        }
        lock (_lock)
            _clients.Remove(client);
        client.Dispose();
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _log?.Dispose();
            _terminal.Dispose();
        }
    }
}
