namespace Vessel.Engines.Container.Cgroups;

internal static class CgroupTree
{
    /// <summary>Removes a cgroup directory and the cgroups below it, deepest first; one already gone is fine.</summary>
    public static void Remove(string directory, TimeSpan timeout)
    {
        if (!Directory.Exists(directory))
            return;
        foreach (var child in Directory.EnumerateDirectories(directory))
            Remove(child, timeout);

        Exception? last = null;
        var removed = Poll.Until(() =>
        {
            try
            {
                Directory.Delete(directory, recursive: false);
                return true;
            }
            catch (DirectoryNotFoundException)
            {
                return true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // EBUSY while a killed task is still leaving the cgroup.
                last = e;
                return false;
            }
        }, timeout);
        if (!removed)
            throw new CgroupException($"cannot remove cgroup directory {directory}: {last?.Message}", last);
    }
}
