using System.Diagnostics;

namespace Vessel.Engines.Container.Cgroups;

internal static class Poll
{
    /// <summary>Checks <paramref name="done"/> until it holds or <paramref name="timeout"/> passes, running
    /// <paramref name="between"/> before each new check.</summary>
    /// <returns>Whether <paramref name="done"/> held in time.</returns>
    public static bool Until(Func<bool> done, TimeSpan timeout, Action? between = null)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            if (clock.Elapsed >= timeout)
                return false;
            Thread.Sleep(CgroupTimings.PollInterval);
            between?.Invoke();
        }
        return true;
    }
}
