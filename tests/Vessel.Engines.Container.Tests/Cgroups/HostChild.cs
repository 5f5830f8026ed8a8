using System.Diagnostics;
using System.Text;

namespace Vessel.Engines.Container.Tests.Cgroups;

/// <summary>
/// A <c>sh -c</c> child that waits on stdin until <see cref="Go"/>, so the test can move it into a cgroup
/// before it does anything worth limiting or charging.
/// </summary>
internal sealed class HostChild : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    public HostChild(string script)
    {
        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("read go; " + script);
        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, e) =>
        {
            lock (_stderr)
                _stderr.AppendLine(e.Data);
        };
        _process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Stderr
    {
        get
        {
            lock (_stderr)
                return _stderr.ToString();
        }
    }

    public void Go()
    {
        _process.StandardInput.WriteLine("go");
        _process.StandardInput.Flush();
    }

    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    /// <summary>The state letter in /proc/PID/stat (R running, S sleeping, D uninterruptible…).</summary>
    public char State()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..][0];
    }

    public void Dispose()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
    }
}
