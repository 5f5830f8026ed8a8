using System.Diagnostics;

namespace Vessel.Linux.Tests;

public sealed class CpuAffinityTests
{
    [Fact]
    public void Mask_RoundTripsThroughItsText()
    {
        var mask = new ulong[16];
        mask[0] = 0b1011;
        mask[15] = 1UL << 63;

        Assert.Equal(mask, CpuAffinity.Parse(CpuAffinity.Format(mask)));
    }

    /// <summary>A child confined to the CPU it last ran on stays within its mask, and gets its mask back.</summary>
    [Fact]
    public void AProcessThreads_AreConfinedToOneCpu_AndGetTheirMaskBack()
    {
        using var child = Process.Start("sleep", "30");
        try
        {
            var mask = CpuAffinity.Get(child.Id)!;
            var one = CpuAffinity.LastCpuOf(child.Id, child.Id)!;
            Assert.Single(one.SelectMany(BitsOf));
            Assert.Equal(one.Zip(mask, (a, b) => a & b), one); // the CPU it ran on is one it may run on

            foreach (var thread in CpuAffinity.Threads(child.Id))
                CpuAffinity.Set(thread, one);
            Assert.Equal(one, CpuAffinity.Get(child.Id));
            foreach (var thread in CpuAffinity.Threads(child.Id))
                CpuAffinity.Set(thread, mask);
            Assert.Equal(mask, CpuAffinity.Get(child.Id));
        }
        finally
        {
            child.Kill();
        }
        child.WaitForExit();
        CpuAffinity.Set(child.Id, new ulong[16]); // a thread that is gone is no error (an empty mask would be, for a live one)
        Assert.Null(CpuAffinity.Get(child.Id));
    }

    private static IEnumerable<int> BitsOf(ulong word) => Enumerable.Range(0, 64).Where(b => (word >> b & 1) == 1);
}
