namespace Vessel.Linux.Tests;

internal static class CpuInfoSamples
{
    // This build host: an AMD EPYC guest with "hypervisor" and "vmmcall" but no svm.
    public const string NestedAmdGuest = """
        processor	: 0
        vendor_id	: AuthenticAMD
        model name	: AMD EPYC
        flags		: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx mmxext rdtscp lm constant_tsc rep_good nopl cpuid pni ssse3 cx16 sse4_1 sse4_2 x2apic aes xsave avx hypervisor lahf_lm cmp_legacy abm sse4a osvw topoext vmmcall avx2 arat umip

        """;

    public const string IntelWithVmx = """
        processor	: 0
        vendor_id	: GenuineIntel
        flags		: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr vmx smx est tm2 ssse3 sse4_1 sse4_2

        """;

    public const string AmdWithSvm = """
        processor	: 0
        vendor_id	: AuthenticAMD
        flags		: fpu vme de pse tsc msr pae lm svm extapic cr8_legacy abm sse4a

        """;
}
