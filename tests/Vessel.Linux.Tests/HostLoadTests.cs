namespace Vessel.Linux.Tests;

public sealed class HostLoadTests
{
    [Fact]
    public void Parse_ReadsLoadMemoryAndUptime()
    {
        var load = HostLoad.Parse("0.52 0.61 0.70 2/345 6789\n",
            ["MemTotal:       24683960 kB", "MemFree:         1000000 kB", "MemAvailable:   20000000 kB", "SwapTotal:             0 kB",
             "SwapFree:              0 kB", "HugePages_Total:       0"],
            "12345.67 24000.00\n");

        Assert.Equal([0.52, 0.61, 0.70], load.LoadAverage);
        Assert.Equal(24683960L * 1024, load.MemoryTotalBytes);
        Assert.Equal(20000000L * 1024, load.MemoryAvailableBytes);
        Assert.Equal(0, load.SwapTotalBytes);
        Assert.Equal(12345.67, load.UptimeSeconds);
    }

    [Fact]
    public void Read_OnThisHost_GivesSaneFigures()
    {
        var load = HostLoad.Read();
        Assert.Equal(3, load.LoadAverage.Length);
        Assert.InRange(load.MemoryAvailableBytes, 1, load.MemoryTotalBytes);
        Assert.True(load.UptimeSeconds > 0);
    }
}
