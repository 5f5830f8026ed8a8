namespace Vessel.Linux;

public static partial class HostProbe
{
    private static HostCheck Virtualization(HostFiles files)
    {
        const string name = "hardware virtualization";
        var info = Acceleration.Detect(files);
        if (info.UseKvm)
        {
            return HostCheck.Ok(name, info.Reason);
        }

        // TCG still runs every VM, only slower, so none of these is a failure.
        var fix = info.HardwareVirtualization
            ? "modprobe kvm_intel (or kvm_amd) and make /dev/kvm read/write for root"
            : "none needed for TCG; for speed, run on a host whose CPU offers VT-x/AMD-V (enable it in the firmware, or nested virtualization in the outer hypervisor)";
        return HostCheck.Warn(name, info.Reason, fix);
    }
}
