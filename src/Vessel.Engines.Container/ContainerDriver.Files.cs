using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Linux;

namespace Vessel.Engines.Container;

public sealed partial class ContainerDriver
{
    /// <summary>Reads a file of the running container through its init's root: the container's symlinks cannot lead outside it.</summary>
    public Task<Stream> OpenFileAsync(InstanceContext context, string path, CancellationToken cancellationToken)
    {
        var handle = OpenInContainer(context, path, write: false);
        return Task.FromResult<Stream>(new FileStream(handle, FileAccess.Read, 1 << 16));
    }

    /// <summary>
    /// Writes a file of the running container through its init's root: made owner-only (or emptied), given the owner as
    /// the host sees the container's ids and the mode, then filled. In an unprivileged container a new file is made as the
    /// container's root without its capabilities: in a directory its root cannot write to, it is refused.
    /// </summary>
    public async Task WriteFileAsync(InstanceContext context, string path, Stream content, InstanceFile file, CancellationToken cancellationToken)
    {
        var instance = context.Instance;
        var offset = UidOffset(instance);
        if (offset != 0 && (file.Uid >= Idmap.Default.Size || file.Gid >= Idmap.Default.Size))
            throw new BadRequestException($"uid and gid: {file.Uid}:{file.Gid} is outside container \"{instance.Name}\"'s ids (0 to {Idmap.Default.Size - 1})");
        await using var stream = new FileStream(OpenInContainer(context, path, write: true), FileAccess.Write, 1 << 16);
        Fds.Chown(stream.SafeFileHandle, file.Uid + offset, file.Gid + offset);
        File.SetUnixFileMode(stream.SafeFileHandle, file.Mode); // after chown, which drops setuid and setgid
        await content.CopyToAsync(stream, cancellationToken);
    }

    private static Microsoft.Win32.SafeHandles.SafeFileHandle OpenInContainer(InstanceContext context, string path, bool write)
    {
        var name = context.Instance.Name;
        var state = RunningState(context) ?? throw new ConflictException($"container \"{name}\" is not running");
        try
        {
            var offset = UidOffset(context.Instance);
            return Fds.OpenRegularInRoot($"/proc/{state.InitPid}/root", path.TrimStart('/'), write, (UnixFileMode)0b110_000_000,
                offset == 0 ? null : (offset, offset));
        }
        catch (LinuxException e) when (e.Errno == Errno.ENOENT)
        {
            throw new NotFoundException($"{path}: no such file in container \"{name}\"");
        }
        catch (IOException e)
        {
            throw new BadRequestException($"{path} in container \"{name}\": {e.Message}");
        }
    }
}
