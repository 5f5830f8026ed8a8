namespace Vessel.Engines.Qemu;

/// <summary>How a VM boots: from its root disk (a bootloader in the image) or straight into a kernel.</summary>
public abstract record QemuBoot;

/// <summary>A virtio-blk root disk; <paramref name="Format"/> is qcow2 or raw.</summary>
public sealed record DiskBoot(string Path, string Format) : QemuBoot;

/// <summary>Direct kernel boot (-kernel/-initrd/-append), with a qcow2 root disk (/dev/vda) when the image has one.</summary>
public sealed record KernelBoot(string Kernel, string Initrd, string CommandLine, string? RootDisk = null) : QemuBoot;
