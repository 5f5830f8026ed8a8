namespace Vessel.Storage.Tests.Images;

/// <summary>A test that needs root (mmdebstrap's root mode, mounts, chroot): skipped, saying why, for anyone else.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!Environment.IsPrivilegedProcess)
            Skip = "needs root: the Debian image is built by mmdebstrap in its root mode (mounts, chroot) inside namespaces";
    }
}
