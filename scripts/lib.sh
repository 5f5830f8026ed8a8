# Shared by install.sh and test.sh: package installation and building.
# shellcheck shell=bash

# What Vessel drives on the host: QEMU (x86_64 and aarch64) and qemu-img, dnsmasq, nftables, mmdebstrap,
# btrfs tools, busybox for small images, iproute2, genisoimage for cloud-init seeds, UEFI for aarch64 guests; gcc links
# the NativeAOT CLI.
RUNTIME_PACKAGES="qemu-system-x86 qemu-system-arm qemu-efi-aarch64 qemu-utils dnsmasq-base nftables mmdebstrap btrfs-progs busybox-static iproute2 curl gcc genisoimage"

# What only the tests need: Debian's Chromium, driven by Playwright for the web UI's end-to-end test; extlinux, its MBR
# (syslinux-common) and sfdisk (fdisk) make a disk image that boots through its own bootloader, and dosfstools and
# mtools the EFI system partition of an aarch64 one.
TEST_PACKAGES="chromium extlinux syslinux-common fdisk dosfstools mtools openssh-client"

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

# The web UI is built with the machine's Node.js (20 or newer, as Vite needs) from the npm registry.
require_node() {
    command -v node >/dev/null || ensure_packages nodejs npm
    local major
    major=$(node -p 'process.versions.node.split(".")[0]')
    [ "$major" -ge 20 ] || die "Node.js 20 or newer is needed to build the web UI; found $(node --version)"
}

# build_ui OUT: the web UI's static files (ui/dist) in OUT; npm ci is skipped when the lock file has not changed.
build_ui() {
    local out=$1
    require_node
    if ! cmp -s ui/package-lock.json ui/node_modules/.vessel-installed-lock 2>/dev/null; then
        (cd ui && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.vessel-installed-lock)
    fi
    (cd ui && npm run --silent build >/dev/null)
    rm -rf "$out" && mkdir -p "$(dirname "$out")" && cp -r ui/dist "$out"
}

# publish_binaries OUT: vesseld (framework-dependent) in OUT/daemon; vessel and vessel-shim (NativeAOT) in
# OUT/cli and OUT/shim; the web UI in OUT/ui. The daemon finds the shim at ../shim/vessel-shim and the UI at ../ui.
publish_binaries() {
    local out=$1
    build_ui "$out/ui"
    dotnet publish src/Vessel.Daemon -c Release -r linux-x64 --self-contained false -o "$out/daemon" --nologo -v quiet -p:DebugType=none
    dotnet publish src/Vessel.Cli -c Release -r linux-x64 -o "$out/cli" --nologo -v quiet -p:DebugType=none -p:StripSymbols=true
    dotnet publish src/Vessel.Shim -c Release -r linux-x64 -o "$out/shim" --nologo -v quiet -p:DebugType=none -p:StripSymbols=true
}

# A fingerprint of everything a build reads, to skip rebuilding what is already built.
source_stamp() {
    { git ls-files -s -- src ui Directory.Build.props Directory.Packages.props 2>/dev/null; git diff HEAD -- src ui 2>/dev/null; } | sha256sum | cut -c1-64
}
