namespace Vessel.Storage.Images;

/// <summary>What a container tarball holds.</summary>
public enum ArchiveKind
{
    /// <summary>A root filesystem: bin/, sbin/, usr/ or etc/ at its top.</summary>
    Rootfs,

    /// <summary>An OCI image layout: oci-layout and index.json at its top.</summary>
    OciLayout,
}
