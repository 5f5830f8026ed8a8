using Vessel.Core;
using Vessel.Linux;

namespace Vessel.Storage.Images;

/// <summary>Host programs an image build runs (apt-get, dpkg-deb, mkfs.ext4, qemu-img), for as long as they take.</summary>
internal static class HostProgram
{
    /// <summary>Runs PROGRAM in WORKDIR and returns its stdout.</summary>
    /// <exception cref="NotSupportedYetException">The program is not installed.</exception>
    /// <exception cref="IOException">It failed; the message has its exit code and stderr.</exception>
    public static async Task<string> RunAsync(string program, IReadOnlyList<string> arguments, string workingDirectory, CancellationToken cancellationToken)
    {
        HostCommand.Result result;
        try
        {
            result = await HostCommand.RunAsync(program, arguments, timeout: Timeout.InfiniteTimeSpan, cancellationToken: cancellationToken,
                workingDirectory: workingDirectory);
        }
        catch (HostCommandException e)
        {
            throw new NotSupportedYetException($"{program} is not available to build the image: {e.Message}");
        }
        if (result.Code != 0)
            throw new IOException($"{program} {string.Join(' ', arguments)} failed with exit code {result.Code}: {result.Errors.Trim()}");
        return result.Output;
    }
}
