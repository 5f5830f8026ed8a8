using System.Collections.Concurrent;
using Vessel.Storage.Images;

namespace Vessel.Engines.Container;

/// <summary>
/// Unpacked images, one per image and uid offset, beside the image file: images/FP/rootfs-OFFSET. Every
/// container of the image shares it as the lower layer of its overlay, so creating a container copies
/// nothing. Unpacked once, into a temporary directory renamed into place whole.
/// </summary>
public static class ImageCache
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Locks = new();

    public static async Task<string> EnsureAsync(string imagePath, string format, uint uidOffset, bool allowDevices, CancellationToken cancellationToken)
    {
        var imageDirectory = Path.GetDirectoryName(imagePath)!;
        var target = Path.Combine(imageDirectory, $"rootfs-{uidOffset}");
        var gate = Locks.GetOrAdd(target, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (Directory.Exists(target))
                return target;
            foreach (var stale in Directory.EnumerateDirectories(imageDirectory, $".rootfs-{uidOffset}-*"))
                Directory.Delete(stale, recursive: true);
            var temporary = Path.Combine(imageDirectory, $".rootfs-{uidOffset}-{Guid.NewGuid():N}");
            Directory.CreateDirectory(temporary);
            try
            {
                Vessel.Linux.Ownership.Set(temporary, (int)uidOffset, (int)uidOffset); // unless the archive says otherwise
                var options = new ExtractOptions { AllowDeviceNodes = allowDevices, UidOffset = (int)uidOffset, GidOffset = (int)uidOffset };
                if (format == "oci")
                    await OciLayout.ExtractAsync(imagePath, temporary, options, cancellationToken);
                else
                    await RootfsExtractor.ExtractAsync(imagePath, format, temporary, options, cancellationToken);
                // The container's root must be reachable by its mapped root user through the image directory.
                File.SetUnixFileMode(imageDirectory, (UnixFileMode)0b111_001_001);
                Directory.Move(temporary, target);
            }
            catch
            {
                Directory.Delete(temporary, recursive: true);
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
