using Vessel.Core.Drivers;
using Vessel.Core.Model;
using Vessel.Storage;
using Vessel.Storage.Images;

namespace Vessel.Engines.Qemu.Tests;

/// <summary>Builds the busybox VM image once for the class, laid out as the image store keeps it (images/FP/kernel.tar).</summary>
public sealed class BusyboxVmFixture : IAsyncLifetime
{
    public string Root { get; } = Directory.CreateTempSubdirectory("vessel-qemu-").FullName;
    public string ImagePath { get; private set; } = "";
    public TimeSpan BuildTime { get; private set; }

    public async Task InitializeAsync()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var built = await BusyboxVmImage.BuildAsync(Path.Combine(Root, "work"), ImageStore.HostArchitecture, CancellationToken.None);
        var imageDirectory = Directory.CreateDirectory(Path.Combine(Root, "images", "busybox-vm")).FullName;
        ImagePath = Path.Combine(imageDirectory, KernelImageLayout.Filename);
        File.Move(built, ImagePath);
        BuildTime = started.Elapsed;
    }

    /// <summary>A fresh instance with its own run, log and volume directories under the fixture's root.</summary>
    public InstanceContext Context(string name, Dictionary<string, string>? config = null)
    {
        var instance = new Instance { Name = name, Type = InstanceType.VirtualMachine, Pool = "default", Config = config ?? new() { ["limits.memory"] = "256MiB" } };
        var volume = Directory.CreateDirectory(Path.Combine(Root, "pool", name)).FullName;
        return new InstanceContext(instance, volume, Path.Combine(Root, "run", name), Path.Combine(Root, "log"), ImagePath);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(Root, recursive: true);
        return Task.CompletedTask;
    }
}
