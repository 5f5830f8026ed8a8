#!/usr/bin/env bash
# Density: host memory per idle busybox container and how many one host holds. Launches N containers one
# after another (N=100 by default; the goal is N=1000), then measures per container the memory charged to
# its cgroup (memory.current / memory.usage_in_bytes), the proportional set size (Pss) of its vessel-shim
# and the host's MemAvailable before and after; the same for N runc containers (create + start of a
# detached `sleep infinity` on the same busybox rootfs; runc leaves no process of its own behind) in the
# same run. Stops launching at the first failure or when MemAvailable would fall under MIN_AVAILABLE_MIB
# (default 2048), and reports how far it got. Prints figures; asserts nothing.
. "$(dirname "$0")/common.sh"
ensure_packages runc jq busybox-static

count=${N:-100}
min_available_kib=$(( ${MIN_AVAILABLE_MIB:-2048} * 1024 ))
snapshot_binaries
oci=$work/oci runc_root=$work/runc
mkdir -p "$runc_root"
cleanup_hooks+=(remove_all_instances "oci_remove_all runc $runc_root")
start_daemon
"$vessel" image build busybox >/dev/null
oci_bundles "$oci" "$(echo "$VESSEL_DIR"/images/*/rootfs.tar)"

kib() { # kib FILE KEY: a "Key:  N kB" field of a /proc file, without forking; 0 when it is gone
    local k v _
    [ -r "$1" ] || { echo 0; return; }
    while read -r k v _; do [ "$k" = "$2:" ] && { echo "$v"; return; }; done <"$1"
    echo 0
}
available() { kib /proc/meminfo MemAvailable; }
# settle: lets the new inits finish booting and the kernel's deferred frees land before a memory reading.
settle() { sync; sleep "${SETTLE:-3}"; }
# memory_cgroup PID: the host path of the memory cgroup that PID is in (v1 memory controller or v2).
memory_cgroup() {
    local v1
    [ -r "/proc/$1/cgroup" ] || { echo /nonexistent; return; }
    v1=$(awk -F: '$2 == "memory" {print $3}' "/proc/$1/cgroup")
    if [ -n "$v1" ]; then echo "/sys/fs/cgroup/memory$v1"; else echo "/sys/fs/cgroup$(awk -F: '$1 == "0" {print $3}' "/proc/$1/cgroup")"; fi
}
charge_kib() { # charge_kib CGROUP_DIR
    local f=$1/memory.usage_in_bytes v=0
    [ -f "$f" ] || f=$1/memory.current
    [ -r "$f" ] && read -r v <"$f"
    echo $(( v / 1024 ))
}
cpu_ticks() { # cpu_ticks PID...: utime + stime of those processes, in clock ticks
    local sum=0 pid fields
    for pid in "$@"; do
        read -ra fields 2>/dev/null <"/proc/$pid/stat" || continue
        sum=$(( sum + fields[13] + fields[14] )) # assumes no space in comm, true for vesseld and vessel-shim
    done
    echo "$sum"
}
fmt_kib() { awk -v k="$1" 'BEGIN { if (k >= 10240 || k <= -10240) printf "%.1f MiB", k / 1024; else printf "%.0f KiB", k }'; }
per() { awk -v a="$1" -v n="$2" 'BEGIN {printf "%.0f", (n > 0 ? a / n : 0)}'; }
rate() { awk -v n="$1" -v us="$2" 'BEGIN {printf "%.1f", (us > 0 ? n / (us / 1e6) : 0)}'; } # rate COUNT MICROSECONDS

# Warm up: the first launch unpacks the image for the container's uid offset, the first runs fill caches.
"$vessel" launch busybox warm >/dev/null
"$vessel" delete warm --force >/dev/null
runc --root "$runc_root" run --bundle "$oci/true" warm </dev/null

# launch_all TOOL: starts up to $count containers; sets launched, elapsed_us and stopped_by. A launch that
# hangs counts as failed after LAUNCH_TIMEOUT seconds (default 120).
launch_all() {
    local tool=$1 i t0 out limit=${LAUNCH_TIMEOUT:-120}
    launched=0 stopped_by=
    t0=${EPOCHREALTIME/./}
    for i in $(seq "$count"); do
        if [ "$(available)" -lt "$min_available_kib" ]; then
            stopped_by="MemAvailable under $((min_available_kib / 1024)) MiB"
            break
        fi
        if [ "$tool" = vessel ]; then
            out=$(timeout "$limit" "$vessel" launch busybox "d$i" 2>&1) || { stopped_by="vessel launch busybox d$i: ${out:-timed out}"; break; }
        else
            # The container's sleep inherits runc's stdio: nothing of it may be a pipe this script waits on.
            if ! timeout "$limit" runc --root "$runc_root" create --bundle "$oci/sleep" "d$i" </dev/null >/dev/null 2>"$oci/stderr" \
                || ! timeout "$limit" runc --root "$runc_root" start "d$i" 2>>"$oci/stderr"; then
                stopped_by="runc create/start d$i: $(head -c 300 "$oci/stderr")"
                break
            fi
        fi
        launched=$i
    done
    elapsed_us=$(( ${EPOCHREALTIME/./} - t0 ))
}
seconds() { awk -v us="$1" 'BEGIN {printf "%.2f", us / 1e6}'; }

hz=$(getconf CLK_TCK)
echo "idle busybox containers, launched one after another, target $count, $(nproc) cores, $(( $(kib /proc/meminfo MemTotal) / 1024 )) MiB RAM"

# Vessel
settle
before=$(available)
daemon_before=$(kib "/proc/$daemon_pid/status" VmRSS)
launch_all vessel
v_launched=$launched
settle
after=$(available)
daemon_after=$(kib "/proc/$daemon_pid/status" VmRSS)
charge=0 pss=0 rss=0 threads=0 shims=()
for i in $(seq "$v_launched"); do
    read -r shim init < <(jq -r '"\(.shim_pid) \(.init_pid)"' "$VESSEL_RUN_DIR/instances/d$i/state.json" 2>/dev/null || echo 0 0)
    charge=$(( charge + $(charge_kib "$(memory_cgroup "$init")") ))
    shims+=("$shim")
    pss=$(( pss + $(kib "/proc/$shim/smaps_rollup" Pss) ))
    rss=$(( rss + $(kib "/proc/$shim/status" VmRSS) ))
    threads=$(( threads + $(kib "/proc/$shim/status" Threads) ))
done
cpu0_d=$(cpu_ticks "$daemon_pid") cpu0_s=$(cpu_ticks "${shims[@]}")
sleep 5
cpu1_d=$(cpu_ticks "$daemon_pid") cpu1_s=$(cpu_ticks "${shims[@]}")
v_charge=$(per "$charge" "$v_launched") v_pss=$(per "$pss" "$v_launched") v_delta=$(per $((before - after)) "$v_launched")
v_rate=$(rate "$v_launched" "$elapsed_us")
echo "vessel: $v_launched of $count running after $(seconds "$elapsed_us") s of launches ($v_rate containers/s)${stopped_by:+; stopped: $stopped_by}"
printf "  %-40s %s per container\n" "cgroup charge" "$(fmt_kib "$v_charge")"
printf "  %-40s %s per container (Rss %s, %s threads)\n" "vessel-shim Pss" "$(fmt_kib "$v_pss")" \
    "$(fmt_kib "$(per "$rss" "$v_launched")")" "$(per "$threads" "$v_launched")"
printf "  %-40s %s per container\n" "cgroup charge + vessel-shim Pss" "$(fmt_kib $((v_charge + v_pss)))"
printf "  %-40s %s per container (vesseld Rss %s -> %s)\n" "host MemAvailable drop" "$(fmt_kib "$v_delta")" \
    "$(fmt_kib "$daemon_before")" "$(fmt_kib "$daemon_after")"
awk -v d=$((cpu1_d - cpu0_d)) -v s=$((cpu1_s - cpu0_s)) -v hz="$hz" -v n="$v_launched" \
    'BEGIN {printf "  %-40s vesseld %.1f%%, all %d shims %.1f%% of one core\n", "idle CPU over 5 s", 100 * d / hz / 5, n, 100 * s / hz / 5}'
t0=${EPOCHREALTIME/./}
for i in $(seq "$v_launched"); do "$vessel" delete "d$i" --force >/dev/null; done
printf "  %-40s %s containers/s\n" "vessel delete --force, one by one" "$(rate "$v_launched" $(( ${EPOCHREALTIME/./} - t0 )))"

# runc
settle
before=$(available)
launch_all runc
r_launched=$launched
settle
after=$(available)
charge=0
for i in $(seq "$r_launched"); do
    pid=$(runc --root "$runc_root" state "d$i" 2>/dev/null | jq -r .pid) || continue
    charge=$(( charge + $(charge_kib "$(memory_cgroup "$pid")") ))
done
r_charge=$(per "$charge" "$r_launched") r_delta=$(per $((before - after)) "$r_launched")
r_rate=$(rate "$r_launched" "$elapsed_us")
echo "runc $(runc --version | awk 'NR==1 {print $3}'): $r_launched of $count running after $(seconds "$elapsed_us") s of create + start ($r_rate containers/s)${stopped_by:+; stopped: $stopped_by}"
printf "  %-40s %s per container (no process of runc's stays)\n" "cgroup charge" "$(fmt_kib "$r_charge")"
printf "  %-40s %s per container\n" "host MemAvailable drop" "$(fmt_kib "$r_delta")"
t0=${EPOCHREALTIME/./}
oci_remove_all runc "$runc_root"
printf "  %-40s %s containers/s\n" "runc delete --force, one by one" "$(rate "$r_launched" $(( ${EPOCHREALTIME/./} - t0 )))"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }
echo "ratio vessel/runc per idle container: cgroup charge $(ratio "$v_charge" "$r_charge")," \
    "cgroup + host-side processes $(ratio $((v_charge + v_pss)) "$r_charge"), MemAvailable drop $(ratio "$v_delta" "$r_delta")"
echo "ratio vessel/runc launch rate: $(ratio "$v_rate" "$r_rate")"
