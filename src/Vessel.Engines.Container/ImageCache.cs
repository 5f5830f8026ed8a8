using System.Collections.Concurrent;
using Vessel.Core.Drivers;
using Vessel.Engines.Container.Roots;
using Vessel.Storage.Images;

namespace Vessel.Engines.Container;

/// <summary>
/// Unpacked images, one per image and uid offset, each unpacked once into a temporary directory renamed into place whole:
/// beside the image file (images/FP/rootfs-OFFSET), the lower layer every overlay root of the image shares; or in a pool
/// with subvolumes (POOL/images/FP-OFFSET, read-only), the subvolume every snapshot root of the image there is taken from.
/// </summary>
internal static class ImageCache
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Locks = new();

    /// <summary>The image unpacked beside its file, for overlays.</summary>
    public static Task<string> EnsureAsync(RootImage image, CancellationToken cancellationToken)
    {
        var imageDirectory = Path.GetDirectoryName(image.Path)!;
        return UnpackOnceAsync(image, Path.Combine(imageDirectory, $"rootfs-{image.UidOffset}"),
            path => { Directory.CreateDirectory(path); return Task.CompletedTask; },
            path => { Directory.Delete(path, recursive: true); return Task.CompletedTask; },
            // The container's root must be reachable by its mapped root user through the image directory.
            _ => { File.SetUnixFileMode(imageDirectory, (UnixFileMode)0b111_001_001); return Task.CompletedTask; },
            cancellationToken);
    }

    /// <summary>The image unpacked into a read-only subvolume of the pool, for snapshots.</summary>
    public static Task<string> EnsureAsync(RootImage image, ISubvolumes subvolumes, CancellationToken cancellationToken) =>
        UnpackOnceAsync(image, subvolumes.ImagePath(image.Fingerprint, image.UidOffset.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            path => subvolumes.CreateAsync(path, cancellationToken),
            path => subvolumes.DeleteAsync(path, CancellationToken.None),
            path => subvolumes.SetReadOnlyAsync(path, true, cancellationToken),
            cancellationToken);

    private static async Task<string> UnpackOnceAsync(RootImage image, string target, Func<string, Task> make, Func<string, Task> remove,
        Func<string, Task> seal, CancellationToken cancellationToken)
    {
        var gate = Locks.GetOrAdd(target, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (Directory.Exists(target))
                return target;
            var parent = Path.GetDirectoryName(target)!;
            var name = Path.GetFileName(target);
            foreach (var stale in Directory.EnumerateDirectories(parent, $".{name}-*"))
                await remove(stale);
            var temporary = Path.Combine(parent, $".{name}-{Guid.NewGuid():N}");
            await make(temporary);
            try
            {
                Vessel.Linux.Ownership.Set(temporary, (int)image.UidOffset, (int)image.UidOffset); // unless the archive says otherwise
                var options = new ExtractOptions { AllowDeviceNodes = image.Privileged, UidOffset = (int)image.UidOffset, GidOffset = (int)image.UidOffset };
                if (image.Format == "oci")
                    await OciLayout.ExtractAsync(image.Path, temporary, options, cancellationToken);
                else
                    await RootfsExtractor.ExtractAsync(image.Path, image.Format, temporary, options, cancellationToken);
                await seal(temporary);
                Directory.Move(temporary, target);
            }
            catch
            {
                await remove(temporary);
                throw;
            }
            return target;
        }
        finally
        {
            gate.Release();
        }
    }
}
