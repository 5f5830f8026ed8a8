using Vessel.Storage.Images;

namespace Vessel.Storage.Tests.Images;

/// <summary>The host's apt sources (deb822 and one-line) turned into mmdebstrap's sources for another suite.</summary>
public sealed class AptSourcesTests : IDisposable
{
    private const string DebianSources = """
        Types: deb
        # http://snapshot.debian.org/archive/debian/20250520T000000Z
        URIs: http://deb.debian.org/debian
        Suites: bookworm bookworm-updates
        Components: main
        Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

        Types: deb
        # http://snapshot.debian.org/archive/debian-security/20250520T000000Z
        URIs: http://deb.debian.org/debian-security
        Suites: bookworm-security
        Components: main
        Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

        """;

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Deb822_ForAnotherSuite_KeepsTheHostsMirrorComponentsAndKeyring()
    {
        var sources = AptSources.Render(AptSources.ParseDeb822(DebianSources), "trixie");

        Assert.Equal("""
            Types: deb
            URIs: http://deb.debian.org/debian
            Suites: trixie trixie-updates
            Components: main
            Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

            Types: deb
            URIs: http://deb.debian.org/debian-security
            Suites: trixie-security
            Components: main
            Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

            """, sources);
    }

    [Fact]
    public void Unstable_HasNoUpdatesOrSecuritySuites()
    {
        var sources = AptSources.Render(AptSources.ParseDeb822(DebianSources), "sid");

        Assert.Equal("""
            Types: deb
            URIs: http://deb.debian.org/debian
            Suites: sid
            Components: main
            Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

            """, sources);
    }

    [Fact]
    public void OneLineSources_AreRead_WithTheirOptions()
    {
        var entries = AptSources.ParseOneLine("""
            # a comment
            deb http://mirror.example/debian bookworm main contrib non-free-firmware
            deb-src http://mirror.example/debian bookworm main
            deb [ arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg ] http://mirror.example/debian-security bookworm-security main # trailing
            deb [trusted=yes] http://local.example/debian stable-updates main
            """);

        Assert.Equal(4, entries.Count);
        Assert.Equal(["deb"], entries[0].Types);
        Assert.Equal(["main", "contrib", "non-free-firmware"], entries[0].Components);
        Assert.Equal(["deb-src"], entries[1].Types);
        Assert.Equal("/usr/share/keyrings/debian-archive-keyring.gpg", entries[2].SignedBy);
        Assert.Equal(["bookworm-security"], entries[2].Suites);
        Assert.True(entries[3].Trusted);
        Assert.Equal("""
            Types: deb
            URIs: http://mirror.example/debian
            Suites: testing
            Components: main contrib non-free-firmware

            Types: deb
            URIs: http://mirror.example/debian-security
            Suites: testing-security
            Components: main
            Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

            Types: deb
            URIs: http://local.example/debian
            Suites: testing-updates
            Components: main
            Trusted: yes

            """, AptSources.Render(entries, "testing"));
    }

    [Fact]
    public void ThirdPartyBackportsDisabledAndSourceEntries_AreLeftOut()
    {
        var entries = AptSources.ParseDeb822("""
            Types: deb
            URIs: https://download.docker.com/linux/debian
            Suites: bookworm
            Components: stable
            Signed-By: /etc/apt/keyrings/docker.gpg

            Types: deb
            URIs: https://packages.microsoft.com/debian/12/prod
            Suites: bookworm
            Components: main
            Signed-By: /usr/share/keyrings/microsoft-prod.gpg

            Types: deb
            URIs: http://deb.debian.org/debian
            Suites: bookworm-backports bookworm-proposed-updates
            Components: main

            Types: deb
            URIs: http://deb.debian.org/debian
            Suites: bookworm
            Components: main
            Enabled: no

            Types: deb-src
            URIs: http://deb.debian.org/debian
            Suites: bookworm
            Components: main

            Types: deb
            URIs: http://deb.debian.org/debian
            Suites: bookworm
            Components: main
            Signed-By:
             -----BEGIN PGP PUBLIC KEY BLOCK-----
             .
             mQINBGPLk...
             -----END PGP PUBLIC KEY BLOCK-----
            """);

        Assert.Equal(6, entries.Count);
        Assert.Contains("\n", entries[5].SignedBy, StringComparison.Ordinal);
        Assert.Null(AptSources.Render(entries, "bookworm"));
    }

    [Fact]
    public void HostDirectory_IsReadLikeApt_ListsAndSourcesButNotOtherFiles()
    {
        var apt = _temp.Combine("apt");
        Directory.CreateDirectory(Path.Combine(apt, "sources.list.d"));
        File.WriteAllText(Path.Combine(apt, "sources.list"), "deb http://one.example/debian bookworm main\n");
        File.WriteAllText(Path.Combine(apt, "sources.list.d", "debian.sources"), DebianSources);
        File.WriteAllText(Path.Combine(apt, "sources.list.d", "extra.list"), "deb http://two.example/debian bookworm main\n");
        File.WriteAllText(Path.Combine(apt, "sources.list.d", "old.list.disabled"), "deb http://three.example/debian bookworm main\n");

        var entries = AptSources.ReadHost(apt);

        Assert.Equal(["http://one.example/debian", "http://deb.debian.org/debian", "http://deb.debian.org/debian-security", "http://two.example/debian"],
            entries.Select(e => e.Uris.Single()));
    }

    [Fact]
    public void NoSourcesAtAll_IsNothingToBuildFrom()
    {
        Assert.Empty(AptSources.ReadHost(_temp.Combine("missing")));
        Assert.Null(AptSources.Render([], "bookworm"));
    }
}
