using System.Text.Json;
using Vessel.Core.Api;

namespace Vessel.IntegrationTests;

/// <summary>Custom storage volumes on the dir pool: a directory in containers, a virtio-blk disk in a busybox VM.</summary>
public sealed class StorageVolumeTests : IDisposable
{
    private readonly Host _host = new();

    public StorageVolumeTests() => _host.StartDaemon();

    public void Dispose() => _host.Dispose();

    private static void Ok(CliResult result) => Assert.True(result.ExitCode == 0, result.ToString());

    private static void Refused(CliResult result, string error)
    {
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(error, result.Stderr, StringComparison.Ordinal);
    }

    private string VolumeDirectory(string name) => Path.Combine(_host.StateDirectory, "pools", "default", "custom", name);

    private List<string> UsedBy(string volume) =>
        JsonSerializer.Deserialize(_host.Vessel("storage", "volume", "list", "default", "--format", "json").Stdout, VesselJson.Wire.ListStorageVolumeView)!
            .Single(v => v.Volume.Name == volume).UsedBy;

    [Fact]
    public void FilesystemVolume_HotpluggedIntoContainers_OutlivesThem_IsSharedReadOnly_AndCannotGoWhileAttached()
    {
        Ok(_host.Vessel("image", "build", "busybox"));
        Ok(_host.Vessel("storage", "volume", "create", "default", "data"));
        Ok(_host.Vessel("launch", "busybox", "c1", "--network", "none"));
        Ok(_host.Vessel("storage", "volume", "attach", "default", "data", "c1", "/srv/data"));
        // The container's root owns the new volume (host uid 1000000), so it can write there.
        Ok(_host.Vessel("exec", "c1", "--", "sh", "-c", "echo kept > /srv/data/file && mkdir /srv/data/dir"));
        Assert.Equal("kept\n", File.ReadAllText(Path.Combine(VolumeDirectory("data"), "file")));
        Assert.Equal(1_000_000, OwnerOf(Path.Combine(VolumeDirectory("data"), "dir")));
        Assert.Equal(["/1.0/instances/c1"], UsedBy("data"));
        Ok(_host.Vessel("storage", "volume", "create", "default", "other"));
        Refused(_host.Vessel("storage", "volume", "attach", "default", "other", "c1", "data", "/srv/other"),
            "devices.data: instance \"c1\" has a device named data already (storage volume \"data\" of pool \"default\")");
        Ok(_host.Vessel("storage", "volume", "delete", "default", "other"));

        // Attached to a stopped container, it is mounted at the start, read-only where asked.
        Ok(_host.Vessel("launch", "busybox", "c2", "--network", "none"));
        Ok(_host.Vessel("stop", "c2", "--force"));
        Ok(_host.Vessel("storage", "volume", "attach", "default", "data", "c2", "shared", "/mnt", "--readonly"));
        Ok(_host.Vessel("start", "c2"));
        Assert.Equal("kept\n", _host.Vessel("exec", "c2", "--", "cat", "/mnt/file").Stdout);
        Refused(_host.Vessel("exec", "c2", "--", "touch", "/mnt/other"), "Read-only file system");

        Refused(_host.Vessel("storage", "volume", "delete", "default", "data"), "storage volume \"data\" is attached to instance(s) c1, c2; detach it first");
        Ok(_host.Vessel("delete", "c1", "--force"));
        Assert.True(File.Exists(Path.Combine(VolumeDirectory("data"), "file")));
        Refused(_host.Vessel("config", "device", "add", "c2", "again", "disk", "pool=default", "source=data", "path=/again"),
            "storage volume \"data\" is attached already as shared");
        // Detached from the running container: the mount is gone inside, the directory it was on stays.
        Ok(_host.Vessel("storage", "volume", "detach", "default", "data", "c2"));
        Assert.Equal("", _host.Vessel("exec", "c2", "--", "ls", "/mnt").Stdout);
        Assert.DoesNotContain(" /mnt ", _host.Vessel("exec", "c2", "--", "cat", "/proc/mounts").Stdout, StringComparison.Ordinal);
        Ok(_host.Vessel("storage", "volume", "delete", "default", "data"));
        Assert.False(Directory.Exists(VolumeDirectory("data")));
    }

    [Fact]
    public void FreshVolume_IsTheContainerRootsDirectoryWithMode755_PrivilegedOrNot()
    {
        Ok(_host.Vessel("image", "build", "busybox"));
        Ok(_host.Vessel("launch", "busybox", "plain", "--network", "none"));
        Ok(_host.Vessel("launch", "busybox", "priv", "--network", "none", "-c", "security.privileged=true"));
        foreach (var container in new[] { "plain", "priv" })
        {
            Ok(_host.Vessel("storage", "volume", "create", "default", container));
            Ok(_host.Vessel("storage", "volume", "attach", "default", container, container, "/data"));
            Assert.Equal("755 0\n", _host.Vessel("exec", container, "--", "stat", "-c", "%a %u", "/data").Stdout);
            Ok(_host.Vessel("storage", "volume", "detach", "default", container, container));
        }
    }

    [Fact]
    public void Detach_UnmountsTheVolumeAlone_WhateverTheContainerDidToItsPath()
    {
        Ok(_host.Vessel("image", "build", "busybox"));
        Ok(_host.Vessel("storage", "volume", "create", "default", "v"));
        Ok(_host.Vessel("launch", "busybox", "c1", "--network", "none"));
        Ok(_host.Vessel("storage", "volume", "attach", "default", "v", "c1", "/a/keys"));
        string Mounts() => _host.Vessel("exec", "c1", "--", "cat", "/proc/self/mountinfo").Stdout;

        // /a swapped for a link to /proc: an unmount by that path would take the mask off the container's /proc/keys.
        Ok(_host.Vessel("exec", "c1", "--", "sh", "-c", "mv /a /moved && ln -s /proc /a"));
        Refused(_host.Vessel("storage", "volume", "detach", "default", "v", "c1"), "stop the container to detach it");
        Assert.Contains(" /proc/keys ", Mounts(), StringComparison.Ordinal);
        Assert.Contains(" /moved/keys ", Mounts(), StringComparison.Ordinal);
        // A plain directory of the same name in its place is not the volume either.
        Ok(_host.Vessel("exec", "c1", "--", "sh", "-c", "rm /a && mkdir -p /a/keys"));
        Refused(_host.Vessel("storage", "volume", "detach", "default", "v", "c1"), "another directory is there now");
        Assert.Equal(["/1.0/instances/c1"], UsedBy("v"));

        Ok(_host.Vessel("exec", "c1", "--", "sh", "-c", "rm -r /a && mv /moved /a"));
        Ok(_host.Vessel("storage", "volume", "detach", "default", "v", "c1"));
        Assert.DoesNotContain(" /a/keys ", Mounts(), StringComparison.Ordinal);
        Assert.Contains(" /proc/keys ", Mounts(), StringComparison.Ordinal);
        Assert.Empty(UsedBy("v"));
    }

    private int OwnerOf(string path) => int.Parse(_host.Run("stat", "-c", "%u", path).Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void VolumeBadInput_IsRefused_AndNothingIsMade()
    {
        Ok(_host.Vessel("image", "build", "busybox"));
        Refused(_host.Vessel("storage", "volume", "create", "default", "b1", "--type", "tape"), "content_type: \"tape\" is not filesystem or block");
        Refused(_host.Vessel("storage", "volume", "create", "default", "b1", "--type", "block", "size=1000"),
            "config.size: 1000 is not a disk size");
        Refused(_host.Vessel("storage", "volume", "create", "default", "f1", "size=1GiB"), "storage pool \"default\" (dir) has no quotas");
        Refused(_host.Vessel("storage", "volume", "create", "nopool", "v1"), "storage pool \"nopool\" not found");
        Assert.False(Directory.Exists(VolumeDirectory("b1")));
        Assert.False(Directory.Exists(VolumeDirectory("f1")));

        Ok(_host.Vessel("storage", "volume", "create", "default", "blk", "--type", "block", "size=16MiB"));
        Refused(_host.Vessel("storage", "volume", "create", "default", "blk"), "storage volume \"blk\" already exists in storage pool \"default\"");
        Refused(_host.Vessel("storage", "volume", "set", "default", "blk", "size=8MiB"), "shrinking would cut off its data");
        Ok(_host.Vessel("storage", "volume", "set", "default", "blk", "size=32MiB"));
        Assert.Equal(32L << 20, new FileInfo(Path.Combine(VolumeDirectory("blk"), "disk.raw")).Length);

        Ok(_host.Vessel("storage", "volume", "create", "default", "fs"));
        Ok(_host.Vessel("launch", "busybox", "c1", "--network", "none"));
        Ok(_host.Vessel("stop", "c1", "--force"));
        Refused(_host.Vessel("storage", "volume", "attach", "default", "blk", "c1", "/blk"), "block volumes attach to virtual machines only");
        Refused(_host.Vessel("storage", "volume", "attach", "default", "fs", "c1"), "a filesystem volume needs the path it is mounted at");
        Refused(_host.Vessel("storage", "volume", "attach", "default", "fs", "c1", "/proc/x"), "which the container's runtime mounts itself");
        Refused(_host.Vessel("storage", "volume", "attach", "default", "fs", "c1", "/a/../etc"), "has ., .., // or a trailing / in it");
        Refused(_host.Vessel("storage", "volume", "attach", "default", "missing", "c1", "/m"), "storage volume \"missing\" not found in storage pool \"default\"");
        Refused(_host.Vessel("config", "device", "add", "c1", "x", "disk", "source=/etc", "path=/x"), "host paths are not supported yet");
        Assert.DoesNotContain("disk", _host.Vessel("config", "device", "list", "c1").Stdout, StringComparison.Ordinal);
        Refused(_host.Vessel("storage", "delete", "default"), "storage pool \"default\" still holds volume(s)");
    }

    [Fact]
    public void BlockVolume_IsHotpluggedIntoARunningVm_WrittenByTheGuest_AndUnplugged()
    {
        Ok(_host.Vessel("image", "build", "busybox", "--vm"));
        Ok(_host.Vessel("storage", "volume", "create", "default", "blk", "--type", "block", "size=64MiB"));
        Ok(_host.Vessel("launch", "busybox", "vm1", "--vm", "--network", "none", "-c", "limits.memory=256MiB"));
        _host.WaitForConsole("vm1", "\n/ # ", TimeSpan.FromSeconds(60));

        Ok(_host.Vessel("storage", "volume", "attach", "default", "blk", "vm1"));
        Assert.Equal(["/1.0/instances/vm1"], UsedBy("blk"));
        // The busybox VM has no root disk, so the volume is its first virtio disk; its serial is the device's name.
        _host.TypeOnConsole("vm1", "echo serial1=$(cat /sys/block/vda/serial) size=$(cat /sys/block/vda/size)", "serial1=blk size=131072");
        _host.TypeOnConsole("vm1", "echo vessel-data > /dev/vda; sync; echo written=$((1+1))", "written=2");
        var disk = Path.Combine(VolumeDirectory("blk"), "disk.raw");
        Assert.Equal("vessel-data\n", File.ReadAllText(disk)[..12]);

        Refused(_host.Vessel("storage", "volume", "set", "default", "blk", "size=128MiB"), "stop them to grow it");
        Ok(_host.Vessel("storage", "volume", "detach", "default", "blk", "vm1"));
        _host.TypeOnConsole("vm1", "echo disks=$(ls /sys/block | wc -w)", "disks=0");
        Assert.Empty(UsedBy("blk"));

        // Attached while stopped, it is there from the start.
        Ok(_host.Vessel("stop", "vm1", "--force"));
        Ok(_host.Vessel("config", "device", "add", "vm1", "data", "disk", "pool=default", "source=blk"));
        Ok(_host.Vessel("start", "vm1"));
        _host.TypeOnConsole("vm1", "echo serial2=$(cat /sys/block/vda/serial)", "serial2=data");
        Ok(_host.Vessel("delete", "vm1", "--force"));
        Assert.Equal("vessel-data", File.ReadAllText(disk)[..11]);
        Ok(_host.Vessel("storage", "volume", "delete", "default", "blk"));
    }
}
