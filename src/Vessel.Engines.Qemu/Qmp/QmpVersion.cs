namespace Vessel.Engines.Qemu.Qmp;

/// <summary>The QEMU version from the QMP greeting, e.g. 7.2.22 (Debian 1:7.2+dfsg-7).</summary>
public sealed record QmpVersion(int Major, int Minor, int Micro, string Package)
{
    public override string ToString() => Package.Length == 0 ? $"{Major}.{Minor}.{Micro}" : $"{Major}.{Minor}.{Micro} ({Package.Trim()})";
}
