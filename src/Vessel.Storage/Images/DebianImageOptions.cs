using System.Runtime.InteropServices;
using CpuArchitecture = System.Runtime.InteropServices.Architecture;
using System.Text.RegularExpressions;
using Vessel.Core;

namespace Vessel.Storage.Images;

/// <summary>What <see cref="DebianImage.BuildAsync"/> builds, where it keeps the result, and which programs it runs.</summary>
public sealed record DebianImageOptions
{
    /// <summary>A suite or codename the host's mirror serves: bookworm, trixie, stable, sid…</summary>
    public string Suite { get; init; } = "bookworm";

    /// <summary>Packages installed besides <see cref="DebianImage.BasePackages"/>.</summary>
    public IReadOnlyList<string> Include { get; init; } = [];

    /// <summary>The virtual-machine flavour (<see cref="DebianVmImage"/>): a kernel, udev, the guest agent, ssh; else a system container's rootfs.</summary>
    public bool VirtualMachine { get; init; }

    /// <summary>A Debian architecture (amd64, arm64…) or Vessel's name for it (x86_64, aarch64); null for the host's.</summary>
    public string? Architecture { get; init; }

    /// <summary>
    /// Where built tarballs are kept, one directory per (suite, architecture, packages) with a stamp.json; null
    /// builds every time. A tarball younger than <see cref="CacheLifetime"/> is returned instead of rebuilding.
    /// </summary>
    public string? CacheDirectory { get; init; }

    public TimeSpan CacheLifetime { get; init; } = TimeSpan.FromHours(24);

    /// <summary>The mmdebstrap program (Debian's mmdebstrap package).</summary>
    public string Mmdebstrap { get; init; } = "/usr/bin/mmdebstrap";

    /// <summary>unshare(1) from util-linux: the build runs in a mount and pid namespace of its own.</summary>
    public string Unshare { get; init; } = "/usr/bin/unshare";

    /// <summary>The host's apt configuration directory, whose sources.list and sources.list.d/ name the mirror.</summary>
    public string AptDirectory { get; init; } = "/etc/apt";
}

/// <summary>Options checked and put in one canonical form: the cache key and the command line come from this.</summary>
internal sealed record DebianBuildRequest(string Suite, string Architecture, IReadOnlyList<string> Packages, bool VirtualMachine = false)
{
    private static readonly Regex SuiteName = new("^[a-z0-9][a-z0-9.+-]{0,63}$", RegexOptions.CultureInvariant);
    private static readonly Regex PackageName = new("^[a-z0-9][a-z0-9.+-]{1,99}(:[a-z0-9-]{1,32})?$", RegexOptions.CultureInvariant);
    private static readonly Regex ArchitectureName = new("^[a-z0-9][a-z0-9-]{0,31}$", RegexOptions.CultureInvariant);

    /// <exception cref="BadRequestException">A suite, package or architecture name that is not one.</exception>
    public static DebianBuildRequest From(DebianImageOptions options)
    {
        if (!SuiteName.IsMatch(options.Suite))
            throw new BadRequestException($"suite: \"{options.Suite}\" is not a Debian suite name (lowercase letters, digits, '.', '+', '-')");
        foreach (var package in options.Include)
        {
            if (!PackageName.IsMatch(package))
                throw new BadRequestException($"include: \"{package}\" is not a Debian package name (lowercase letters, digits, '.', '+', '-', optionally :architecture)");
        }
        var architecture = options.Architecture switch
        {
            null => HostArchitecture(),
            var vessel when DebianName(vessel) is { } name => name,
            var name when ArchitectureName.IsMatch(name) => name,
            var name => throw new BadRequestException($"architecture: \"{name}\" is not a Debian architecture name such as amd64 or arm64"),
        };
        var basePackages = options.VirtualMachine ? DebianVmImage.Packages(architecture) : DebianImage.BasePackages;
        var packages = basePackages.Concat(options.Include).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return new DebianBuildRequest(options.Suite, architecture, packages, options.VirtualMachine);
    }

    /// <summary>Debian's name for one of Vessel's architectures (x86_64 is amd64, aarch64 arm64); null for another name.</summary>
    public static string? DebianName(string architecture) => architecture switch
    {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        _ => null,
    };

    /// <summary>The host's architecture as Debian names it.</summary>
    public static string HostArchitecture() => RuntimeInformation.OSArchitecture switch
    {
        CpuArchitecture.X64 => "amd64",
        CpuArchitecture.Arm64 => "arm64",
        CpuArchitecture.Arm => "armhf",
        CpuArchitecture.X86 => "i386",
        CpuArchitecture.S390x => "s390x",
        CpuArchitecture.Ppc64le => "ppc64el",
        CpuArchitecture.RiscV64 => "riscv64",
        CpuArchitecture.LoongArch64 => "loong64",
        var other => throw new NotSupportedYetException($"Debian has no architecture name Vessel knows for {other}"),
    };
}
