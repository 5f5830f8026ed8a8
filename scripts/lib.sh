# Shared by install.sh and test.sh: package installation and building.
# shellcheck shell=bash

# What Vessel drives on the host: QEMU (x86_64 and aarch64) and qemu-img, dnsmasq, nftables, mmdebstrap,
# btrfs tools, busybox for small images, iproute2; gcc links the NativeAOT CLI.
RUNTIME_PACKAGES="qemu-system-x86 qemu-system-arm qemu-utils dnsmasq-base nftables mmdebstrap btrfs-progs busybox-static iproute2 curl gcc"

die() { echo "error: $*" >&2; exit 1; }

require_root() { [ "$(id -u)" = 0 ] || die "run this as root (Vessel manages namespaces, cgroups and devices)"; }

# Installs the Debian packages that are missing; does nothing (and asks no mirror) when all are there.
ensure_packages() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

require_dotnet() {
    command -v dotnet >/dev/null || die "the .NET 10 SDK is needed (dotnet on PATH); Debian 12 does not package it"
    dotnet --list-sdks | grep -q '^10\.' || die "the .NET 10 SDK is needed; found: $(dotnet --list-sdks | tr '\n' ' ')"
}

# publish_binaries OUT: vesseld (framework-dependent) in OUT/daemon; vessel and vessel-shim (NativeAOT) in
# OUT/cli and OUT/shim. The daemon finds the shim at ../shim/vessel-shim.
publish_binaries() {
    local out=$1
    dotnet publish src/Vessel.Daemon -c Release -r linux-x64 --self-contained false -o "$out/daemon" --nologo -v quiet -p:DebugType=none
    dotnet publish src/Vessel.Cli -c Release -r linux-x64 -o "$out/cli" --nologo -v quiet -p:DebugType=none -p:StripSymbols=true
    dotnet publish src/Vessel.Shim -c Release -r linux-x64 -o "$out/shim" --nologo -v quiet -p:DebugType=none -p:StripSymbols=true
}

# A fingerprint of everything a build reads, to skip rebuilding what is already built.
source_stamp() {
    { git ls-files -s -- src Directory.Build.props Directory.Packages.props 2>/dev/null; git diff HEAD -- src 2>/dev/null; } | sha256sum | cut -c1-64
}
