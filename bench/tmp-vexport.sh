#!/usr/bin/env bash
# Storage operations through the CLI, against the established tool doing the same on the same data in the same run:
#   container snapshot / restore of a stopped busybox container holding 50 MiB of files (`vessel snapshot create` /
#          `restore`) vs `cp -a --reflink=auto` of a copy of the same upper directory (restore: copy it back, remove
#          the old tree, rename, as Vessel does);
#   container launch / snapshot / restore on a btrfs pool (loop file) vs the dir pool, and snapshot vs
#          `btrfs subvolume snapshot -r` of the same root;
#   VM disk-only snapshot / restore of a stopped Debian VM vs `qemu-img snapshot -c` / `-a` on a copy of its overlay;
#   linked copy of a stopped VM whose overlay holds ~0, 256 MiB and 1 GiB of written data (`vessel copy`) vs
#          `qemu-img create -f qcow2 -b BASE` of a new overlay (the O(1) linked clone);
#   export / import of a stopped container holding 200 MiB (half random, half base64 text) in MiB/s of that data
#          (`vessel export NAME FILE --instance-only`, zstd level 3, and `vessel import`) vs
#          `tar -cf - . | zstd -3 -T0` of its upper directory and `zstd -d | tar -x` back;
#   export / import of a stopped VM whose overlay holds the same 200 MiB (qemu-io writes it; its image is a blank
#          256 MiB qcow2) vs `zstd -3 -T0` of its overlay file and `zstd -d` back.
# The tools take turns within each run; each step starts after a sync; the page cache is warm for both. Stateful VM snapshots are in bench/vm.sh.
# RUNS=N (default 5). Prints the median (min, max) and ratios vessel/anchor; asserts nothing.
. "$(dirname "$0")/common.sh"
ensure_packages qemu-utils zstd jq

runs=${RUNS:-5}
snapshot_binaries
t=$work/t a=$work/anchor
mkdir -p "$t" "$a"
cleanup_hooks+=(remove_all_instances)
start_daemon
"$vessel" image build busybox >/dev/null
pool=$VESSEL_DIR/pools/default

# timed FILE CMD...: runs CMD, appends its milliseconds to FILE. The dirty pages of the step before are written
# out first (sync), so that neither tool pays for the other's writeback.
timed() {
    local file=$1 t0; shift
    sync
    t0=${EPOCHREALTIME/./}
    "$@" >/dev/null
    record_since "$file" "$t0"
}
stats() { echo "median $(percentile "$1" 50) ms (min $(percentile "$1" 0), max $(percentile "$1" 100))"; }
ratio() { awk -v a="$(percentile "$1" 50)" -v b="$(percentile "$2" 50)" 'BEGIN { printf "%.2f", a / b }'; }
# figure LABEL ANCHOR NAME: vessel's times in $t/vessel-NAME against the anchor's in $t/anchor-NAME.
figure() {
    echo "$1: vessel $(stats "$t/vessel-$3"); $2 $(stats "$t/anchor-$3"); ratio $(ratio "$t/vessel-$3" "$t/anchor-$3")"
}
mib_per_s() { awk -v m="$1" -v ms="$(percentile "$2" 50)" 'BEGIN { printf "%.0f", m / (ms / 1000) }'; }
mib_of() { du -sm --apparent-size "$1" | cut -f1; }
echo "== export and import (stopped VM on a blank 256 MiB qcow2 image, 200 MiB written into its overlay: 100 MiB random, 100 MiB base64 text)"
qemu-img create -q -f qcow2 "$work/blank.qcow2" 256M
"$vessel" image import "$work/blank.qcow2" --vm --alias blank >/dev/null
"$vessel" launch blank v --vm -c limits.memory=128MiB >/dev/null
"$vessel" stop v --force >/dev/null
head -c 100M /dev/urandom >"$work/data"
head -c 76M "$work/data" | base64 >>"$work/data"
truncate -s 200M "$work/data"
overlay=$pool/virtual-machines/v/root.qcow2
qemu-io -c "write -q -s $work/data 0 200M" "$overlay" >/dev/null
rm "$work/data"
mib=200
for i in $(seq "$runs"); do
    timed "$t/vessel-vexport" "$vessel" export v "$work/v.backup" --instance-only
    timed "$t/anchor-vexport" zstd -q -3 -T0 "$overlay" -o "$a/v.qcow2.zst"
    timed "$t/vessel-vimport" "$vessel" import "$work/v.backup" "v$i"
    timed "$t/anchor-vimport" zstd -q -d "$a/v.qcow2.zst" -o "$a/v.qcow2"
    sizes="vessel $(mib_of "$work/v.backup") MiB, zstd $(mib_of "$a/v.qcow2.zst") MiB"
    "$vessel" delete "v$i" >/dev/null
    rm -f "$work/v.backup" "$a/v.qcow2.zst" "$a/v.qcow2"
done
echo "data: $mib MiB in an overlay of $(mib_of "$overlay") MiB; compressed: $sizes (vessel's also holds the image)"
echo "export: vessel $(mib_per_s "$mib" "$t/vessel-vexport") MiB/s, $(stats "$t/vessel-vexport");" \
    "zstd -3 -T0 $(mib_per_s "$mib" "$t/anchor-vexport") MiB/s, $(stats "$t/anchor-vexport"); time ratio $(ratio "$t/vessel-vexport" "$t/anchor-vexport")"
echo "import: vessel $(mib_per_s "$mib" "$t/vessel-vimport") MiB/s, $(stats "$t/vessel-vimport");" \
    "zstd -d $(mib_per_s "$mib" "$t/anchor-vimport") MiB/s, $(stats "$t/anchor-vimport"); time ratio $(ratio "$t/vessel-vimport" "$t/anchor-vimport")"
