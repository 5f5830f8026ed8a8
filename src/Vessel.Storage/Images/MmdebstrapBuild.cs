using System.Diagnostics;
using Vessel.Core;

namespace Vessel.Storage.Images;

/// <summary>
/// One mmdebstrap run, in root mode, inside a mount and pid namespace of its own (unshare --mount --pid --fork
/// --kill-child): the chroot's /proc, /sys and /dev mounts never show on the host, and killing unshare takes down
/// every process of the build, however deep, after which those mounts are gone with the namespace. mmdebstrap's
/// temporary chroot lives in SCRATCH/tmp (its TMPDIR), the apt sources in SCRATCH/debian.sources.
/// </summary>
internal sealed class MmdebstrapBuild(string scratch, string tarball, DebianBuildRequest request, DebianImageOptions options)
{
    /// <summary>How many of mmdebstrap's last stderr lines a failure reports.</summary>
    public const int TailLines = 20;

    private const UnixFileMode Mode0755 = (UnixFileMode)0b111_101_101;

    /// <summary>Run by sh with the chroot as $1, after the packages are installed and before mmdebstrap's own cleanup.</summary>
    public static readonly IReadOnlyList<string> CustomizeHooks =
    [
        // The runtime names the container; with no /etc/hostname, systemd keeps the name it finds.
        "rm -f \"$1/etc/hostname\"",
        // mmdebstrap copied the host's resolver configuration in; the runtime provides the container's.
        "rm -f \"$1/etc/resolv.conf\" && : > \"$1/etc/resolv.conf\"",
        "chroot \"$1\" passwd --lock root",
    ];

    public string SourcesFile => Path.Combine(scratch, "debian.sources");

    public string TemporaryDirectory => Path.Combine(scratch, "tmp");

    /// <summary>unshare's arguments, mmdebstrap's command line among them.</summary>
    public IReadOnlyList<string> Arguments() =>
    [
        "--mount", "--propagation", "private", "--pid", "--fork", "--kill-child", "--mount-proc", "--",
        options.Mmdebstrap,
        "--mode=root",
        "--variant=minbase",
        "--format=tar",
        $"--architectures={request.Architecture}",
        $"--include={string.Join(',', request.Packages)}",
        // No device nodes in the tarball: the runtime makes /dev. (This leaves out the directory too.)
        "--skip=output/dev",
        .. (request.VirtualMachine ? DebianVmImage.EssentialHooks : []).Select(hook => $"--essential-hook={hook}"),
        .. CustomizeHooks.Concat(request.VirtualMachine ? DebianVmImage.CustomizeHooks : []).Select(hook => $"--customize-hook={hook}"),
        "--",
        request.Suite,
        tarball,
        SourcesFile,
    ];

    /// <summary>Runs the build to its end; on cancellation kills it whole and waits until its processes are gone.</summary>
    /// <exception cref="VesselException">500: mmdebstrap failed; the message ends with its last stderr lines.</exception>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(TemporaryDirectory, Mode0755);
        var start = new ProcessStartInfo(options.Unshare)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in Arguments())
            start.ArgumentList.Add(argument);
        start.Environment["TMPDIR"] = TemporaryDirectory;
        start.Environment["LC_ALL"] = "C.UTF-8";

        using var process = Process.Start(start) ?? throw new VesselException(500, $"{options.Unshare} did not start");
        process.StandardInput.Close();
        var tail = new Queue<string>();
        // Every process of the build holds these pipes: both ending means all of them have exited.
        var output = Task.WhenAll(
            KeepTailAsync(process.StandardError, tail),
            process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None));
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It had exited already.
            }
            await process.WaitForExitAsync(CancellationToken.None);
            await Task.WhenAny(output, Task.Delay(TimeSpan.FromSeconds(10), CancellationToken.None));
            throw;
        }
        await output;

        if (process.ExitCode != 0)
        {
            string lines;
            lock (tail)
                lines = string.Join('\n', tail);
            throw new VesselException(500, $"mmdebstrap failed with exit code {process.ExitCode} building Debian {request.Suite} " +
                $"for {request.Architecture}; its last lines:\n{lines}");
        }
        if (!File.Exists(tarball))
            throw new VesselException(500, $"mmdebstrap exited successfully but wrote no {tarball}");
    }

    private static async Task KeepTailAsync(StreamReader reader, Queue<string> tail)
    {
        while (await reader.ReadLineAsync(CancellationToken.None) is { } line)
        {
            lock (tail)
            {
                tail.Enqueue(line);
                if (tail.Count > TailLines)
                    tail.Dequeue();
            }
        }
    }
}
