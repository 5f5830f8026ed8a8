using Vessel.Core.Model;

namespace Vessel.Core.Tests;

public sealed class CloudInitSeedTests
{
    private static readonly DateTimeOffset Created = new(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);

    private static Instance Vm(string name = "web1", Dictionary<string, string>? config = null) => new()
    {
        Name = name, Type = InstanceType.VirtualMachine, Pool = "default", CreatedAt = Created, Config = config ?? [],
    };

    [Fact]
    public void WithoutKeys_TheSeedNamesTheInstance_AndHasAnEmptyCloudConfig()
    {
        var files = CloudInitSeed.Files(Vm());

        Assert.Equal(["meta-data", "user-data"], files.Keys);
        Assert.Equal($"instance-id: {CloudInitSeed.InstanceId(Vm())}\nlocal-hostname: web1\n", files["meta-data"]);
        Assert.Equal("#cloud-config\n{}\n", files["user-data"]);
    }

    [Fact]
    public void Keys_BecomeTheirFiles()
    {
        var files = CloudInitSeed.Files(Vm(config: new()
        {
            ["cloud-init.user-data"] = "#cloud-config\npackages: [htop]\n",
            ["cloud-init.vendor-data"] = "#!/bin/sh\necho vendor\n",
            ["cloud-init.network-config"] = "version: 2\nethernets: {}\n",
        }));

        Assert.Equal(["meta-data", "network-config", "user-data", "vendor-data"], files.Keys);
        Assert.Equal("#cloud-config\npackages: [htop]\n", files["user-data"]);
        Assert.Equal("#!/bin/sh\necho vendor\n", files["vendor-data"]);
        Assert.Equal("version: 2\nethernets: {}\n", files["network-config"]);
    }

    [Fact]
    public void InstanceId_IsStableForTheInstance_AndNewForACopy()
    {
        Assert.Equal(CloudInitSeed.InstanceId(Vm()), CloudInitSeed.InstanceId(Vm() with { Status = InstanceStatus.Running }));
        Assert.NotEqual(CloudInitSeed.InstanceId(Vm()), CloudInitSeed.InstanceId(Vm("web2")));
        Assert.NotEqual(CloudInitSeed.InstanceId(Vm()), CloudInitSeed.InstanceId(Vm() with { CreatedAt = Created.AddSeconds(1) }));
        Assert.Matches("^vessel-[0-9a-f]{16}$", CloudInitSeed.InstanceId(Vm()));
    }

    [Fact]
    public void IsConfigured_WhenAnyCloudInitKeyIsSet()
    {
        Assert.False(CloudInitSeed.IsConfigured(Vm(config: new() { ["user.note"] = "x" })));
        Assert.True(CloudInitSeed.IsConfigured(Vm(config: new() { ["cloud-init.vendor-data"] = "#cloud-config\n" })));
    }
}
