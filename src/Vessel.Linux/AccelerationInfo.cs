namespace Vessel.Linux;

/// <summary>
/// <paramref name="HardwareVirtualization"/>: the CPU advertises vmx or svm.
/// <paramref name="KvmDevice"/>: /dev/kvm opens read/write and speaks KVM API 12.
/// <paramref name="UseKvm"/>: both, so QEMU should run with -accel kvm; otherwise TCG.
/// </summary>
public sealed record AccelerationInfo(bool HardwareVirtualization, bool KvmDevice, bool UseKvm, string Reason);
