using System.Text;
using Vessel.Core;
using Vessel.Core.Model;

namespace Vessel.Engines.Qemu.Tests;

public sealed class NoCloudSeedTests
{
    private static readonly DateTimeOffset Created = new(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);

    private static Instance Vm(string name = "web1", Dictionary<string, string>? config = null) => new()
    {
        Name = name, Type = InstanceType.VirtualMachine, Pool = "default", CreatedAt = Created, Config = config ?? [],
    };

    [Fact]
    public async Task WriteAsync_MakesAnIso9660VolumeLabelledCidata_HoldingTheFiles()
    {
        var directory = Directory.CreateTempSubdirectory("vessel-seed-test-").FullName;
        try
        {
            var iso = Path.Combine(directory, "seed.iso");
            await NoCloudSeed.WriteAsync(Vm(config: new() { ["cloud-init.user-data"] = "#cloud-config\nhostname: marker-7f3a\n" }), iso, default);

            var bytes = await File.ReadAllBytesAsync(iso);
            Assert.Equal("CD001", Encoding.ASCII.GetString(bytes, 0x8001, 5)); // the primary volume descriptor
            Assert.Equal("cidata", Encoding.ASCII.GetString(bytes, 0x8028, 32).TrimEnd());
            Assert.Contains("marker-7f3a", Encoding.ASCII.GetString(bytes), StringComparison.Ordinal);
            Assert.Equal([iso], Directory.GetFileSystemEntries(directory)); // no staging left behind
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
