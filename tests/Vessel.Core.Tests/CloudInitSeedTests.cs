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

    private const string Ed25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILxWYHoP4Xw7GTpMRTnMePJCQA8+s37j44DEapRI0d34";

    [Fact]
    public void SshKeys_WithoutUserData_AreTheUserDataAsUsersWithTheirKeys()
    {
        var files = CloudInitSeed.Files(Vm(config: new()
        {
            ["cloud-init.ssh-keys.b-laptop"] = $"alice:{Ed25519} alice's laptop",
            ["cloud-init.ssh-keys.a-ops"] = $"root:{Ed25519} ops",
            ["cloud-init.ssh-keys.c-desk"] = $"alice:{Ed25519} desk",
        }));

        Assert.Equal($"""
            #cloud-config
            users:
              - default
              - name: 'root'
                shell: /bin/bash
                ssh_authorized_keys:
                  - '{Ed25519} ops'
              - name: 'alice'
                shell: /bin/bash
                ssh_authorized_keys:
                  - '{Ed25519} alice''s laptop'
                  - '{Ed25519} desk'

            """, files["user-data"]);
    }

    [Fact]
    public void SshKeys_WithUserData_FollowItInAMultipartThatMergesTheirUsersIntoIts()
    {
        var files = CloudInitSeed.Files(Vm(config: new()
        {
            ["cloud-init.user-data"] = "#cloud-config\nusers: [{name: carol}]\n",
            ["cloud-init.ssh-keys.k"] = $"root:{Ed25519}",
        }));

        var parts = files["user-data"].Split("\n--vessel-");
        Assert.Matches("^Content-Type: multipart/mixed; boundary=\"vessel-[0-9a-f]{24}\"\nMIME-Version: 1.0\n$", parts[0]);
        Assert.EndsWith("\nContent-Type: text/x-not-multipart; charset=\"utf-8\"\n\n#cloud-config\nusers: [{name: carol}]\n", parts[1], StringComparison.Ordinal);
        Assert.EndsWith("\nContent-Type: text/cloud-config; charset=\"utf-8\"\nMerge-Type: list(append)+dict(no_replace,recurse_list)+str()\n\n" +
            $"#cloud-config\nusers:\n  - name: 'root'\n    shell: /bin/bash\n    ssh_authorized_keys:\n      - '{Ed25519}'\n", parts[2], StringComparison.Ordinal);
        Assert.Matches("^[0-9a-f]{24}--\n$", parts[3]);
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
