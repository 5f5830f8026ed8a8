namespace Vessel.Linux;

/// <summary>Decides between KVM and QEMU's TCG emulator.</summary>
public static class Acceleration
{
    internal const string EmulatedKvmReason = "KVM is emulated (no vmx/svm CPU flag): VMs run under QEMU TCG";

    public static AccelerationInfo Detect() => Detect(new HostFiles());

    public static AccelerationInfo Detect(HostFiles files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var flag = VirtualizationFlag(files.ReadText("/proc/cpuinfo"));
        var kvmProblem = files.ProbeKvm(files.PathOf("/dev/kvm"));
        var hardware = flag is not null;
        var device = kvmProblem is null;

        // A /dev/kvm without vmx/svm is a nested KVM whose virtualization is itself emulated in
        // software: guests under it run about a thousand times slower than native, slower than TCG.
        var reason = (hardware, device) switch
        {
            (true, true) => $"KVM with hardware virtualization ({flag} CPU flag, /dev/kvm API 12)",
            (false, true) => EmulatedKvmReason,
            (true, false) => $"CPU has {flag} but KVM is not usable ({kvmProblem}): VMs run under QEMU TCG",
            (false, false) => $"no hardware virtualization (no vmx/svm CPU flag, {kvmProblem}): VMs run under QEMU TCG",
        };
        return new AccelerationInfo(hardware, device, hardware && device, reason);
    }

    /// <summary>"vmx" (Intel VT-x) or "svm" (AMD-V) when a cpu's flags line lists it.</summary>
    internal static string? VirtualizationFlag(string? cpuinfo)
    {
        foreach (var line in (cpuinfo ?? "").Split('\n'))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0 || line[..colon].Trim() != "flags")
            {
                continue;
            }

            var flags = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (flags.Contains("vmx"))
            {
                return "vmx";
            }

            if (flags.Contains("svm"))
            {
                return "svm";
            }
        }

        return null;
    }
}
