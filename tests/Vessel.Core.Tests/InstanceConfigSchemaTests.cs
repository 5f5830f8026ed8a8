using Vessel.Core.Model;
using Vessel.Core.Validation;

namespace Vessel.Core.Tests;

public sealed class InstanceConfigSchemaTests
{
    // Fixed figures so that the results do not depend on the machine the tests run on.
    private static readonly HostResources Host = new(CpuCount: 4, MemoryBytes: 8L << 30);

    private static void Valid(string key, string value, InstanceType type = InstanceType.Container) =>
        InstanceConfigSchema.ValidateKey(key, value, type, Host);

    private static string Refused(string key, string value, InstanceType type = InstanceType.Container) =>
        Assert.Throws<BadRequestException>(() => InstanceConfigSchema.ValidateKey(key, value, type, Host)).Message;

    [Theory]
    [InlineData("snapshots.schedule", "0 2 * * *")]
    [InlineData("snapshots.schedule", "@daily, 30 */6 * * mon-fri")]
    [InlineData("snapshots.schedule.stopped", "true")]
    [InlineData("snapshots.pattern", "auto-{date:yyyyMMdd-HHmm}")]
    [InlineData("snapshots.expiry", "1w 12H")]
    public void Snapshots_KeysTakeTheirValues_ForEveryType(string key, string value)
    {
        Valid(key, value, InstanceType.VirtualMachine);
        Valid(key, value, InstanceType.Container);
    }

    [Theory]
    [InlineData("snapshots.schedule", "61 * * * *", "snapshots.schedule: minute field \"61\" is out of range 0-59")]
    [InlineData("snapshots.schedule.stopped", "yes", "snapshots.schedule.stopped: \"yes\" is not true or false")]
    [InlineData("snapshots.pattern", "9lives-%d", "snapshots.pattern: \"9lives-0\" must start with a letter")]
    [InlineData("snapshots.expiry", "2 days", "snapshots.expiry: \"2\" is not a number and a unit such as 3d, 12H or 6m (units: S seconds, M minutes, H hours, d days, w weeks, m months, y years)")]
    public void Snapshots_KeysRefuseBadValues(string key, string value, string message) =>
        Assert.Equal(message, Refused(key, value));

    [Theory]
    [InlineData("cloud-init.user-data", "#cloud-config\nusers: []\n")]
    [InlineData("cloud-init.user-data", "#!/bin/sh\necho hi\n")]
    [InlineData("cloud-init.vendor-data", "Content-Type: multipart/mixed; boundary=x\n")]
    [InlineData("cloud-init.network-config", "version: 2\nethernets:\n  eth0: {dhcp4: true}\n")]
    [InlineData("cloud-init.network-config", "network:\n  version: 1\n")]
    public void CloudInit_TakesWhatCloudInitReads(string key, string value)
    {
        Valid(key, value, InstanceType.VirtualMachine);
        Valid(key, value, InstanceType.Container);
    }

    [Theory]
    [InlineData("cloud-init.user-data", "users: []\n", "its first line must be a header such as #cloud-config")]
    [InlineData("cloud-init.vendor-data", "", "its first line must be a header")]
    [InlineData("cloud-init.network-config", "ethernets: {}\n", "no \"version: 1\" or \"version: 2\"")]
    public void CloudInit_RefusesWhatCloudInitWouldIgnore(string key, string value, string message)
    {
        Assert.Contains(message, Refused(key, value, InstanceType.VirtualMachine), StringComparison.Ordinal);
    }

    private const string Ed25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILxWYHoP4Xw7GTpMRTnMePJCQA8+s37j44DEapRI0d34";

    [Theory]
    [InlineData("cloud-init.ssh-keys.laptop", "root:" + Ed25519 + " me@laptop")]
    [InlineData("cloud-init.ssh-keys.ops_2", "deploy-bot:" + Ed25519)]
    public void CloudInit_SshKeys_TakeAUserAndAnOpenSshPublicKey(string key, string value)
    {
        Valid(key, value, InstanceType.VirtualMachine);
        Valid(key, value, InstanceType.Container);
    }

    [Theory]
    [InlineData("cloud-init.ssh-keys.a.b", "root:" + Ed25519, "cloud-init.ssh-keys.a.b: the name after cloud-init.ssh-keys. must be letters, digits, _ or -")]
    [InlineData("cloud-init.ssh-keys.k", Ed25519, "cloud-init.ssh-keys.k: not USER:KEY")]
    [InlineData("cloud-init.ssh-keys.k", "Root:" + Ed25519, "cloud-init.ssh-keys.k: \"Root\" is not a user name")]
    [InlineData("cloud-init.ssh-keys.k", "root", "cloud-init.ssh-keys.k: not USER:KEY (such as root:ssh-ed25519 AAAA… me@laptop)")]
    [InlineData("cloud-init.ssh-keys.k", "root:ssh-dss AAAAB3NzaC1kc3M=", "cloud-init.ssh-keys.k: not an OpenSSH public key: it starts with its type")]
    [InlineData("cloud-init.ssh-keys.k", "root:ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAILxWYHoP4Xw7GTpMRTnMePJCQA8+s37j44DEapRI0d34",
        "cloud-init.ssh-keys.k: the key's data is not the base64 of a ssh-rsa key")]
    [InlineData("cloud-init.ssh-keys.k", "root:ssh-ed25519 not-base64!", "cloud-init.ssh-keys.k: the key's data is not the base64 of a ssh-ed25519 key")]
    [InlineData("cloud-init.ssh-keys.k", "root:" + Ed25519 + "\nssh-ed25519 AAAA", "cloud-init.ssh-keys.k: one key per setting (the value holds a line break)")]
    [InlineData("cloud-init.ssh-keys.k", "root:" + Ed25519 + " me\u001b[2J", "cloud-init.ssh-keys.k: the key holds a control character")]
    public void CloudInit_SshKeys_RefuseWhatIsNoUserOrKey(string key, string value, string message) =>
        Assert.StartsWith(message, Refused(key, value, InstanceType.VirtualMachine), StringComparison.Ordinal);

    [Fact]
    public void CloudInit_SshKeys_CannotJoinAMimeMultipartUserData()
    {
        var config = new Dictionary<string, string>
        {
            ["cloud-init.user-data"] = "Content-Type: multipart/mixed; boundary=x\n",
            ["cloud-init.ssh-keys.k"] = "root:" + Ed25519,
        };

        var e = Assert.Throws<BadRequestException>(() => InstanceConfigSchema.Validate(config, InstanceType.VirtualMachine, Host));

        Assert.Equal("cloud-init.ssh-keys.*: cannot be added to a MIME multipart cloud-init.user-data; put the keys in a cloud-config part of it instead", e.Message);
    }

    [Fact]
    public void CloudInit_UserDataOver256KiB_IsRefused()
    {
        Assert.Contains("at most 262144 are allowed", Refused("cloud-init.user-data", "#cloud-config\n" + new string('x', 256 * 1024)),
            StringComparison.Ordinal);
    }

    [Fact]
    public void Known_ListsExactlyTheDocumentedKeys()
    {
        string[] expected =
        [
            "boot.autostart", "boot.autostart.delay", "boot.autostart.priority",
            "cloud-init.network-config", "cloud-init.user-data", "cloud-init.vendor-data", "limits.cpu", "limits.cpu.allowance", "limits.cpu.priority", "limits.disk.priority",
            "limits.memory", "limits.memory.swap", "limits.processes", "security.nesting", "security.privileged",
            "snapshots.expiry", "snapshots.pattern", "snapshots.schedule", "snapshots.schedule.stopped",
            "vm.accel", "vm.machine", "vm.vnc.address",
        ];

        Assert.Equal(expected, InstanceConfigSchema.Known.Select(k => k.Name).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("limits.cpu", "1")]
    [InlineData("limits.cpu", "4")]
    [InlineData("limits.cpu", "0-0")]
    [InlineData("limits.cpu", "0-3")]
    [InlineData("limits.cpu", "0-1,3")]
    [InlineData("limits.cpu", "3")]
    [InlineData("limits.cpu.allowance", "1%")]
    [InlineData("limits.cpu.allowance", "50%")]
    [InlineData("limits.cpu.allowance", "100%")]
    [InlineData("limits.cpu.allowance", "25ms/100ms")]
    [InlineData("limits.cpu.allowance", "400ms/100ms")]
    [InlineData("limits.cpu.allowance", "1ms/1ms")]
    [InlineData("limits.cpu.allowance", "4000ms/1000ms")]
    [InlineData("limits.cpu.priority", "0")]
    [InlineData("limits.cpu.priority", "10")]
    [InlineData("limits.memory", "4MiB")]
    [InlineData("limits.memory", "512MiB")]
    [InlineData("limits.memory", "8GiB")]
    [InlineData("limits.memory", "2GB")]
    [InlineData("limits.memory", "1%")]
    [InlineData("limits.memory", "100%")]
    [InlineData("limits.memory.swap", "true")]
    [InlineData("limits.memory.swap", "false")]
    [InlineData("limits.processes", "1")]
    [InlineData("limits.processes", "4194304")]
    [InlineData("limits.disk.priority", "0")]
    [InlineData("limits.disk.priority", "10")]
    [InlineData("boot.autostart", "true")]
    [InlineData("boot.autostart", "false")]
    [InlineData("boot.autostart.delay", "0")]
    [InlineData("boot.autostart.delay", "3600")]
    [InlineData("boot.autostart.priority", "0")]
    [InlineData("boot.autostart.priority", "1000")]
    [InlineData("security.privileged", "true")]
    [InlineData("security.privileged", "false")]
    [InlineData("security.nesting", "true")]
    [InlineData("security.nesting", "false")]
    public void KnownKey_GoodValue_IsAccepted(string key, string value) => Valid(key, value);

    [Theory]
    [InlineData("limits.cpu", "2")]
    [InlineData("limits.memory", "1GiB")]
    [InlineData("boot.autostart", "true")]
    [InlineData("boot.autostart.delay", "10")]
    [InlineData("boot.autostart.priority", "10")]
    public void SharedKey_IsAcceptedForVirtualMachines(string key, string value) => Valid(key, value, InstanceType.VirtualMachine);

    [Theory]
    [InlineData("limits.cpu", "5", "limits.cpu: 5 is out of range; allowed is 1 to 4 CPUs on this host")]
    [InlineData("limits.cpu", "0", "limits.cpu: 0 is out of range; allowed is 1 to 4 CPUs on this host")]
    [InlineData("limits.cpu.priority", "11", "limits.cpu.priority: 11 is out of range; allowed is 0 to 10")]
    [InlineData("limits.cpu.priority", "-1", "limits.cpu.priority: -1 is out of range; allowed is 0 to 10")]
    [InlineData("limits.processes", "0", "limits.processes: 0 is out of range; allowed is 1 to 4194304")]
    [InlineData("limits.processes", "4194305", "limits.processes: 4194305 is out of range; allowed is 1 to 4194304")]
    [InlineData("limits.disk.priority", "11", "limits.disk.priority: 11 is out of range; allowed is 0 to 10")]
    [InlineData("boot.autostart.delay", "3601", "boot.autostart.delay: 3601 is out of range; allowed is 0 to 3600 seconds")]
    [InlineData("boot.autostart.delay", "-1", "boot.autostart.delay: -1 is out of range; allowed is 0 to 3600 seconds")]
    [InlineData("boot.autostart.priority", "1001", "boot.autostart.priority: 1001 is out of range; allowed is 0 to 1000")]
    [InlineData("limits.cpu.allowance", "0%", "limits.cpu.allowance: 0 is out of range; allowed is 1 to 100%")]
    [InlineData("limits.cpu.allowance", "101%", "limits.cpu.allowance: 101 is out of range; allowed is 1 to 100%")]
    [InlineData("limits.cpu.allowance", "25ms/0ms", "limits.cpu.allowance: the period 0ms is out of range; allowed is 1ms to 1000ms")]
    [InlineData("limits.cpu.allowance", "25ms/1001ms", "limits.cpu.allowance: the period 1001ms is out of range; allowed is 1ms to 1000ms")]
    [InlineData("limits.cpu.allowance", "0ms/100ms", "limits.cpu.allowance: the quota 0ms is out of range; allowed is 1ms to 400ms (period × 4 CPUs)")]
    [InlineData("limits.cpu.allowance", "401ms/100ms", "limits.cpu.allowance: the quota 401ms is out of range; allowed is 1ms to 400ms (period × 4 CPUs)")]
    [InlineData("limits.memory", "0%", "limits.memory: 0 is out of range; allowed is 1 to 100%")]
    [InlineData("limits.memory", "101%", "limits.memory: 101 is out of range; allowed is 1 to 100%")]
    public void KnownKey_OutOfRange_NamesTheKeyAndTheAllowedRange(string key, string value, string message) =>
        Assert.Equal(message, Refused(key, value));

    [Theory]
    [InlineData("1MiB")]
    [InlineData("4194303")]
    [InlineData("9GiB")]
    [InlineData("8589934593")]
    public void LimitsMemory_OutOfRange_NamesTheHostMemory(string value) =>
        Assert.Equal($"limits.memory: {value} is out of range; allowed is 4MiB to 8GiB (this host's memory)", Refused("limits.memory", value));

    [Fact]
    public void LimitsCpu_SetWithAMissingCpu_NamesTheHostCpus() =>
        Assert.Equal("limits.cpu: CPU 4 does not exist; this host has CPUs 0 to 3", Refused("limits.cpu", "0-4"));

    [Theory]
    [InlineData("limits.cpu", "two", "is not a CPU count or a CPU set")]
    [InlineData("limits.cpu", "", "is not a CPU count or a CPU set")]
    [InlineData("limits.cpu", "1-", "is not a CPU count or a CPU set")]
    [InlineData("limits.cpu.allowance", "50", "is neither a share such as 50% nor a quota such as 25ms/100ms")]
    [InlineData("limits.cpu.allowance", "25ms", "is neither a share")]
    [InlineData("limits.cpu.allowance", "25/100", "is neither a share")]
    [InlineData("limits.cpu.allowance", "ms/100ms", "is neither a share")]
    [InlineData("limits.cpu.allowance", "half%", "\"half\" is not a whole number")]
    [InlineData("limits.cpu.priority", "high", "\"high\" is not a whole number")]
    [InlineData("limits.cpu.priority", "1.5", "\"1.5\" is not a whole number")]
    [InlineData("limits.memory", "lots", "\"lots\" is not a size")]
    [InlineData("limits.memory", "1.5GiB", "\"1.5GiB\" is not a size")]
    [InlineData("limits.memory.swap", "yes", "\"yes\" is not true or false")]
    [InlineData("boot.autostart", "True", "\"True\" is not true or false")]
    [InlineData("boot.autostart", "1", "\"1\" is not true or false")]
    [InlineData("security.nesting", "", "\"\" is not true or false")]
    public void KnownKey_MalformedValue_IsRefusedNamingTheKey(string key, string value, string reason)
    {
        var message = Refused(key, value);

        Assert.StartsWith(key + ": ", message, StringComparison.Ordinal);
        Assert.Contains(reason, message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("limits.cpus")]
    [InlineData("Limits.cpu")]
    [InlineData("limits")]
    [InlineData("raw.lxc")]
    [InlineData("user")]
    [InlineData("user.")]
    [InlineData("image.")]
    [InlineData("environment.")]
    [InlineData("")]
    public void UnknownKey_IsRefusedListingTheKnownOnes(string key)
    {
        var message = Refused(key, "x");

        Assert.StartsWith($"{key}: unknown config key (known: boot.autostart, ", message, StringComparison.Ordinal);
        Assert.EndsWith("snapshots.schedule.stopped, vm.accel, vm.machine, vm.vnc.address, and cloud-init.ssh-keys.NAME, image.*, user.*, environment.*)", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("volatile.uuid")]
    [InlineData("volatile.eth0.hwaddr")]
    public void VolatileKey_IsRefused(string key) =>
        Assert.Equal($"{key}: volatile.* keys are set by Vessel itself and cannot be set", Refused(key, "x"));

    [Theory]
    [InlineData("image.os", "Debian")]
    [InlineData("image.description", "")]
    [InlineData("user.note", "anything: \"quoted\", unicode ✓, newlines\n")]
    [InlineData("user.a.b.c", "x")]
    [InlineData("environment.PATH", "/usr/bin:/bin")]
    public void FreePrefixKey_TakesAnyText(string key, string value)
    {
        Valid(key, value);
        Valid(key, value, InstanceType.VirtualMachine);
    }

    [Fact]
    public void FreePrefixKey_TakesUpTo4096Characters()
    {
        Valid("user.big", new string('x', 4096));

        Assert.Equal("user.big: the value is 4097 characters long; at most 4096 are allowed", Refused("user.big", new string('x', 4097)));
    }

    [Theory]
    [InlineData("limits.processes", "100")]
    [InlineData("security.privileged", "true")]
    [InlineData("security.nesting", "false")]
    [InlineData("limits.cpu.allowance", "50%")]
    [InlineData("limits.cpu.priority", "5")]
    [InlineData("limits.memory.swap", "false")]
    [InlineData("limits.disk.priority", "5")]
    public void ContainerOnlyKey_IsRefusedForVirtualMachines(string key, string value)
    {
        Valid(key, value);

        Assert.Equal($"{key}: applies to containers only", Refused(key, value, InstanceType.VirtualMachine));
    }

    [Fact]
    public void ContainerOnly_MatchesTheKeysThatOnlyContainersTake() =>
        Assert.Equal(["limits.cpu.allowance", "limits.cpu.priority", "limits.disk.priority", "limits.memory.swap", "limits.processes",
                "security.nesting", "security.privileged"],
            InstanceConfigSchema.Known.Where(k => k.OnlyFor == InstanceType.Container).Select(k => k.Name).Order(StringComparer.Ordinal));

    [Theory]
    [InlineData("vm.machine", "q35")]
    [InlineData("vm.machine", "microvm")]
    [InlineData("vm.machine", "virt")]
    [InlineData("vm.accel", "auto")]
    [InlineData("vm.accel", "kvm")]
    [InlineData("vm.accel", "tcg")]
    [InlineData("vm.vnc.address", "127.0.0.1:5901")]
    public void VirtualMachineKey_IsTakenByVmsOnly(string key, string value)
    {
        Valid(key, value, InstanceType.VirtualMachine);

        Assert.Equal($"{key}: applies to virtual machines only", Refused(key, value));
    }

    [Theory]
    [InlineData("vm.machine", "pc", "vm.machine: \"pc\" is not one of q35, microvm, virt")]
    [InlineData("vm.machine", "Q35", "vm.machine: \"Q35\" is not one of q35, microvm, virt")]
    [InlineData("vm.accel", "hvf", "vm.accel: \"hvf\" is not one of auto, kvm, tcg")]
    public void VirtualMachineKey_UnknownValue_IsRefusedNamingTheAllowedOnes(string key, string value, string expected)
    {
        Assert.Equal(expected, Refused(key, value, InstanceType.VirtualMachine));
    }

    [Theory]
    [InlineData("x86_64", "q35")]
    [InlineData("aarch64", "virt")]
    public void MachineType_DefaultsPerArchitecture(string architecture, string expected)
    {
        Assert.Equal(expected, MachineTypes.Resolve(architecture, new Dictionary<string, string>()));
    }

    [Fact]
    public void MachineType_OfAnUnknownArchitecture_IsRefused()
    {
        var error = Assert.Throws<BadRequestException>(() => MachineTypes.Resolve("riscv64", new Dictionary<string, string>()));

        Assert.Equal("architecture: Vessel runs no riscv64 virtual machines (only x86_64, aarch64)", error.Message);
    }

    [Fact]
    public void Validate_ChecksEveryKey()
    {
        var config = new Dictionary<string, string>
        {
            ["limits.cpu"] = "2",
            ["user.x"] = "y",
            ["limits.memory"] = "16GiB",
        };

        var e = Assert.Throws<BadRequestException>(() => InstanceConfigSchema.Validate(config, InstanceType.Container, Host));

        Assert.StartsWith("limits.memory: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_EmptyConfig_IsAccepted() =>
        InstanceConfigSchema.Validate(new Dictionary<string, string>(), InstanceType.VirtualMachine, Host);

    [Fact]
    public void Limits_FollowTheHostGiven()
    {
        var big = new HostResources(CpuCount: 64, MemoryBytes: 256L << 30);

        InstanceConfigSchema.ValidateKey("limits.cpu", "64", InstanceType.Container, big);
        InstanceConfigSchema.ValidateKey("limits.memory", "200GiB", InstanceType.Container, big);
        Assert.Throws<BadRequestException>(() => InstanceConfigSchema.ValidateKey("limits.cpu", "64", InstanceType.Container, Host));
    }
}
