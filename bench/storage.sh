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

echo "storage operations, $runs runs each (tools take turns), $(nproc) cores, pool on $(df -T "$pool" | awk 'NR==2 {print $2}')" \
    "(cp --reflink=auto $(cp --reflink=always "$bin/cli/vessel" "$work/reflink-probe" 2>/dev/null && echo shares blocks || echo copies data here)), $(qemu-img --version | head -1)"

echo "== container snapshot and restore (stopped busybox container, 50 MiB in 5 files)"
"$vessel" launch busybox c >/dev/null
"$vessel" exec c -- sh -c 'for i in 1 2 3 4 5; do dd if=/dev/urandom of=/data$i bs=1M count=10 2>/dev/null; done'
"$vessel" stop c --force >/dev/null
upper=$pool/containers/c/upper
[ -d "$upper" ] || die "no upper directory at $upper"
cp -a "$upper" "$a/upper"
anchor_restore() { cp -a --reflink=auto "$a/snap$1" "$a/upper.new" && rm -rf "$a/upper" && mv "$a/upper.new" "$a/upper"; }
for i in $(seq "$runs"); do
    timed "$t/vessel-csnap" "$vessel" snapshot create c "s$i"
    timed "$t/anchor-csnap" cp -a --reflink=auto "$a/upper" "$a/snap$i"
    timed "$t/vessel-crestore" "$vessel" snapshot restore c "s$i"
    timed "$t/anchor-crestore" anchor_restore "$i"
    "$vessel" snapshot delete c "s$i" >/dev/null
    rm -rf "$a/snap$i"
done
echo "data: $(mib_of "$upper") MiB in the upper directory"
figure "container snapshot" "cp -a --reflink=auto" csnap
figure "container restore" "cp -a + rm -rf + mv" crestore
"$vessel" delete c --force >/dev/null
rm -rf "$a/upper"

echo "== container on a btrfs pool (1 GiB loop file): launch and snapshot against the dir pool and \`btrfs subvolume snapshot\`"
# The same 50 MiB busybox container on both pools. On btrfs the snapshot is a read-only subvolume snapshot of the root;
# the anchor is btrfs-progs snapshotting that very root in the same run. Launch: create + start, the image unpacked
# in the pool already (the first launch on a pool unpacks it once).
remove_btrfs_pool() { "$vessel" delete --force bc bl >/dev/null 2>&1 || true; "$vessel" storage delete bt >/dev/null 2>&1 || true; }
cleanup_hooks=(remove_btrfs_pool "${cleanup_hooks[@]}")
"$vessel" storage create bt btrfs size=1GiB >/dev/null
"$vessel" launch busybox bl --storage bt --network none >/dev/null && "$vessel" delete --force bl >/dev/null
for i in $(seq "$runs"); do
    timed "$t/btrfs-launch" "$vessel" launch busybox "bl$i" --storage bt --network none
    timed "$t/dir-launch" "$vessel" launch busybox "dl$i" --network none
    "$vessel" delete --force "bl$i" "dl$i" >/dev/null
done
"$vessel" launch busybox bc --storage bt --network none >/dev/null
"$vessel" exec bc -- sh -c 'for i in 1 2 3 4 5; do dd if=/dev/urandom of=/data$i bs=1M count=10 2>/dev/null; done'
"$vessel" stop bc --force >/dev/null
broot=$VESSEL_DIR/pools/bt/containers/bc/rootfs
for i in $(seq "$runs"); do
    timed "$t/btrfs-csnap" "$vessel" snapshot create bc "s$i"
    timed "$t/anchor-btrfs-csnap" btrfs -q subvolume snapshot -r "$broot" "$VESSEL_DIR/pools/bt/anchor-$i"
    timed "$t/btrfs-crestore" "$vessel" snapshot restore bc "s$i"
    "$vessel" snapshot delete bc "s$i" >/dev/null
    btrfs -q subvolume delete "$VESSEL_DIR/pools/bt/anchor-$i" >/dev/null
done
echo "container launch: btrfs pool $(stats "$t/btrfs-launch"); dir pool $(stats "$t/dir-launch"); ratio $(ratio "$t/btrfs-launch" "$t/dir-launch")"
echo "container snapshot (50 MiB): btrfs pool $(stats "$t/btrfs-csnap"); dir pool $(stats "$t/vessel-csnap") (above);" \
    "btrfs subvolume snapshot -r $(stats "$t/anchor-btrfs-csnap"); ratio to btrfs-progs $(ratio "$t/btrfs-csnap" "$t/anchor-btrfs-csnap")"
echo "container restore (50 MiB): btrfs pool $(stats "$t/btrfs-crestore"); dir pool $(stats "$t/vessel-crestore") (above)"
remove_btrfs_pool

echo "== VM disk-only snapshot and restore (stopped Debian VM)"
"$vessel" image build debian --vm >/dev/null
"$vessel" launch debian/12 d --vm -c limits.memory=512MiB >/dev/null
"$vessel" stop d --force >/dev/null
disk=$pool/virtual-machines/d/root.qcow2
[ -f "$disk" ] || die "no disk at $disk"
info=$(qemu-img info -U --output=json "$disk")
base=$(jq -r '."full-backing-filename"' <<<"$info") base_format=$(jq -r '."backing-filename-format" // "qcow2"' <<<"$info")
[ -f "$base" ] || die "the overlay $disk has no backing file ($base)"
cp --sparse=always "$disk" "$a/root.qcow2"
qemu-img rebase -u -b "$base" -F "$base_format" "$a/root.qcow2"
for i in $(seq "$runs"); do
    timed "$t/vessel-vsnap" "$vessel" snapshot create d "s$i"
    timed "$t/anchor-vsnap" qemu-img snapshot -c "s$i" "$a/root.qcow2"
    timed "$t/vessel-vrestore" "$vessel" snapshot restore d "s$i"
    timed "$t/anchor-vrestore" qemu-img snapshot -a "s$i" "$a/root.qcow2"
    "$vessel" snapshot delete d "s$i" >/dev/null
    qemu-img snapshot -d "s$i" "$a/root.qcow2"
done
echo "disk: $(jq -r '."virtual-size" / 1048576' <<<"$info") MiB virtual, overlay $(mib_of "$disk") MiB over $(basename "$base")"
figure "VM disk-only snapshot" "qemu-img snapshot -c" vsnap
figure "VM disk-only restore" "qemu-img snapshot -a" vrestore
echo "VM stateful snapshot and restore: see bench/vm.sh (vessel vs savevm/loadvm over QMP on the same QEMU)"
rm -f "$a/root.qcow2"

echo "== linked copy of the stopped Debian VM against the data written into its overlay"
echo "(qemu-io writes the data into the stopped overlay; the anchor does not depend on it)"
for size in 0 256M 1G; do
    [ "$size" = 0 ] || qemu-io -c "write -q -P 0x5a 0 $size" "$disk" >/dev/null
    # Before the copies: the first one freezes the overlay into a base and gives d a new, empty one.
    written=$(mib_of "$disk")
    for i in $(seq "$runs"); do
        timed "$t/cp-copy$size" cp --reflink=auto --sparse=always "$disk" "$a/cp$i.qcow2"
        rm -f "$a/cp$i.qcow2"
    done
    for i in $(seq "$runs"); do
        timed "$t/vessel-copy$size" "$vessel" copy d "dc$i"
        timed "$t/anchor-copy$size" qemu-img create -q -f qcow2 -b "$base" -F "$base_format" "$a/clone$i.qcow2"
        "$vessel" delete "dc$i" >/dev/null
        rm -f "$a/clone$i.qcow2"
    done
    figure "linked copy, overlay $written MiB" "qemu-img create -b" "copy$size"
    echo "  (cp --reflink=auto --sparse=always of that overlay alone: $(stats "$t/cp-copy$size"))"
done
growth() { awk -v a="$(percentile "$t/$1-copy1G" 50)" -v b="$(percentile "$t/$1-copy0" 50)" 'BEGIN { printf "%.1f", a / b }'; }
echo "copy time at 1 GiB over ~0: vessel x$(growth vessel), qemu-img create -b x$(growth anchor) (flat is x1)"
"$vessel" delete d --force >/dev/null

echo "== export and import (stopped busybox container, 200 MiB: 100 MiB random, 100 MiB base64 text)"
"$vessel" launch busybox e >/dev/null
"$vessel" exec e -- sh -c 'dd if=/dev/urandom of=/random bs=1M count=100 2>/dev/null; base64 /random >/b64; head -c 104857600 /b64 >/text; rm /b64'
"$vessel" stop e --force >/dev/null
upper=$pool/containers/e/upper
mib=$(mib_of "$upper")
for i in $(seq "$runs"); do
    timed "$t/vessel-export" "$vessel" export e "$work/e.backup" --instance-only
    timed "$t/anchor-export" sh -c 'tar -C "$1" -cf - . | zstd -q -3 -T0 >"$2"' sh "$upper" "$a/e.tar.zst"
    timed "$t/vessel-import" "$vessel" import "$work/e.backup" "e$i"
    mkdir "$a/e"
    timed "$t/anchor-import" sh -c 'zstd -q -d -c "$1" | tar -C "$2" -xf -' sh "$a/e.tar.zst" "$a/e"
    sizes="vessel $(mib_of "$work/e.backup") MiB, tar+zstd $(mib_of "$a/e.tar.zst") MiB"
    "$vessel" delete "e$i" >/dev/null
    rm -rf "$work/e.backup" "$a/e.tar.zst" "$a/e"
done
echo "data: $mib MiB in the upper directory; compressed: $sizes (vessel's also holds the busybox image)"
echo "export: vessel $(mib_per_s "$mib" "$t/vessel-export") MiB/s, $(stats "$t/vessel-export");" \
    "tar | zstd -3 -T0 $(mib_per_s "$mib" "$t/anchor-export") MiB/s, $(stats "$t/anchor-export"); time ratio $(ratio "$t/vessel-export" "$t/anchor-export")"
echo "import: vessel $(mib_per_s "$mib" "$t/vessel-import") MiB/s, $(stats "$t/vessel-import");" \
    "zstd -d | tar -x $(mib_per_s "$mib" "$t/anchor-import") MiB/s, $(stats "$t/anchor-import"); time ratio $(ratio "$t/vessel-import" "$t/anchor-import")"

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
