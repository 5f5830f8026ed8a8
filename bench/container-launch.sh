#!/usr/bin/env bash
# Container latency through the CLI, against runc (and crun where it runs) on the same busybox rootfs in
# the same run:
#   launch: `vessel launch busybox NAME` (create + start until running) vs `runc create` + `runc start` of
#           a long-running sleep;
#   cycle:  launch + `vessel exec NAME -- /bin/true` + `vessel delete --force` (and the same with
#           --ephemeral and `stop --force`) vs `runc run` of /bin/true, start to exit;
#   exec:   `vessel exec c -- /bin/true` into one running container vs `runc exec` into a running one.
# The tools take turns within each round, so a load that comes and goes meanwhile hits them alike.
# crun 1.8 refuses a hybrid cgroup layout (v1 controllers plus /sys/fs/cgroup/unified); there it runs in a
# mount namespace of its own with the unified hierarchy unmounted, and is left out where even that fails.
# RUNS=N (default 20) per line; ONLY=exec measures the exec lines alone. Prints p50 and p99; asserts nothing.
. "$(dirname "$0")/common.sh"
ensure_packages runc crun jq busybox-static

runs=${RUNS:-20}
snapshot_binaries
oci=$work/oci t=$work/t
mkdir -p "$work/runc" "$work/crun" "$t"
export oci t runc_root=$work/runc crun_root=$work/crun
crun_holder=
cleanup_hooks+=(remove_all_instances "oci_remove_all runc $runc_root" "oci_remove_all crun $crun_root"
    '[ -z "$crun_holder" ] || kill "$crun_holder"')
start_daemon
"$vessel" image build busybox >/dev/null
oci_bundles "$oci" "$(echo "$VESSEL_DIR"/images/*/rootfs.tar)"

# crun: as it is, else through a process that holds a mount namespace without the cgroup v2 hierarchy.
crun_how=
if crun --root "$crun_root" run --bundle "$oci/true" probe1 </dev/null >/dev/null 2>&1; then
    crun_how="as is"
elif [ -d /sys/fs/cgroup/unified ]; then
    unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified && exec sleep infinity' </dev/null &
    crun_holder=$!
    for _ in $(seq 100); do grep -q ' /sys/fs/cgroup/unified ' "/proc/$crun_holder/mountinfo" 2>/dev/null || break; sleep 0.02; done
    if nsenter -t "$crun_holder" -m crun --root "$crun_root" run --bundle "$oci/true" probe2 </dev/null >/dev/null 2>&1; then
        crun_how="in a mount namespace with /sys/fs/cgroup/unified unmounted"
    fi
fi
[ -n "$crun_how" ] || crun_how="refused: $(crun --root "$crun_root" run --bundle "$oci/true" probe3 2>&1 </dev/null | head -1)"
tools=(vessel runc)
[[ $crun_how == refused* ]] || tools+=(crun)

# One timed step per function: TOOL_STEP I appends its milliseconds to $t/TOOL-STEP.
vessel_launch() {
    local t0=${EPOCHREALTIME/./}
    "$vessel" launch busybox "l$1" >/dev/null
    record_since "$t/vessel-launch" "$t0"
    "$vessel" delete "l$1" --force >/dev/null
}
vessel_cycle() {
    local t0=${EPOCHREALTIME/./}
    "$vessel" launch busybox "c$1" >/dev/null
    "$vessel" exec "c$1" -- /bin/true </dev/null
    "$vessel" delete "c$1" --force >/dev/null
    record_since "$t/vessel-cycle" "$t0"
}
vessel_ephemeral() {
    local t0=${EPOCHREALTIME/./}
    "$vessel" launch busybox "e$1" --ephemeral >/dev/null
    "$vessel" exec "e$1" -- /bin/true </dev/null
    "$vessel" stop "e$1" --force >/dev/null
    record_since "$t/vessel-ephemeral" "$t0"
}
vessel_exec() {
    local t0=${EPOCHREALTIME/./}
    "$vessel" exec c -- /bin/true </dev/null
    record_since "$t/vessel-exec" "$t0"
}
vessel_version() {
    local t0=${EPOCHREALTIME/./}
    "$vessel" version >/dev/null
    record_since "$t/vessel-version" "$t0"
}
# oci_step RUNTIME STEP I: the same steps for runc or crun; exported, as crun may run them in another namespace.
oci_step() {
    local rt=$1 step=$2 i=$3 root t0
    root=$([ "$rt" = runc ] && echo "$runc_root" || echo "$crun_root")
    t0=${EPOCHREALTIME/./}
    case $step in
        launch)
            "$rt" --root "$root" create --bundle "$oci/sleep" "l$i" </dev/null >/dev/null 2>>"$oci/stderr"
            "$rt" --root "$root" start "l$i"
            record_since "$t/$rt-launch" "$t0"
            "$rt" --root "$root" delete --force "l$i" ;;
        cycle)
            "$rt" --root "$root" run --bundle "$oci/true" "r$i" </dev/null
            record_since "$t/$rt-cycle" "$t0" ;;
        exec)
            "$rt" --root "$root" exec c /bin/true </dev/null
            record_since "$t/$rt-exec" "$t0" ;;
        start-c)
            "$rt" --root "$root" create --bundle "$oci/sleep" c </dev/null >/dev/null 2>>"$oci/stderr"
            "$rt" --root "$root" start c ;;
    esac
}
export -f oci_step record_since
runc_do() { oci_step runc "$@"; }
crun_do() {
    if [ -n "$crun_holder" ]; then
        nsenter -t "$crun_holder" -m bash -ec 'oci_step crun "$@"' crun "$@"
    else
        oci_step crun "$@"
    fi
}
vessel_do() { "vessel_$1" "$2"; }
rounds() { # rounds STEP TOOL...: RUNS rounds, each tool once per round
    local step=$1 i tool; shift
    for i in $(seq "$runs"); do
        for tool in "$@"; do "${tool}_do" "$step" "$i"; done
    done
}

# Warm up: the first launch unpacks the image for the container's uid offset; every first run fills caches.
"$vessel" launch busybox warm >/dev/null
"$vessel" exec warm -- /bin/true </dev/null
"$vessel" delete warm --force >/dev/null
runc --root "$runc_root" run --bundle "$oci/true" warm </dev/null

if [ "${ONLY:-}" != exec ]; then
    rounds launch "${tools[@]}"
    rounds cycle "${tools[@]}"
    rounds ephemeral vessel
fi
"$vessel" launch busybox c >/dev/null
for tool in "${tools[@]:1}"; do "${tool}_do" start-c 0; done
rounds exec "${tools[@]}"
rounds version vessel

line() { [ ! -s "$t/$2" ] || printf "  %-58s %s\n" "$1" "$(percentiles "$t/$2")"; }
ratio() { [ -s "$t/$1-$2" ] || { echo -; return; }; awk -v v="$(percentile "$t/vessel-$2" 50)" -v a="$(percentile "$t/$1-$2" 50)" 'BEGIN {printf "%.2f", v / a}'; }
has_crun() { [ -s "$t/crun-exec" ]; }
echo "start-to-exit of each CLI command, $runs runs per line (tools take turns), busybox rootfs, $(nproc) cores"
echo "runc $(runc --version | awk 'NR==1 {print $3}'), crun $(crun --version | awk 'NR==1 {print $3}') ($crun_how);"
echo "the anchors run runc spec defaults: no user namespace, read-only root, no seccomp, no console"
echo "launch (create + start until running)"
line "vessel launch busybox NAME" vessel-launch
line "runc create + runc start (sleep)" runc-launch
has_crun && line "crun create + crun start (sleep)" crun-launch
echo "create, run /bin/true, exit"
line "vessel launch + exec /bin/true + delete --force" vessel-cycle
line "vessel launch --ephemeral + exec /bin/true + stop --force" vessel-ephemeral
line "runc run /bin/true" runc-cycle
has_crun && line "crun run /bin/true" crun-cycle
echo "exec /bin/true into a running container"
line "vessel exec c -- /bin/true" vessel-exec
line "runc exec c /bin/true" runc-exec
has_crun && line "crun exec c /bin/true" crun-exec
echo "for scale: a CLI start plus one API round trip"
line "vessel version" vessel-version
echo "ratio vessel/runc at p50: launch $(ratio runc launch), cycle $(ratio runc cycle), exec $(ratio runc exec)"
if has_crun; then
    echo "ratio vessel/crun at p50: launch $(ratio crun launch), cycle $(ratio crun cycle), exec $(ratio crun exec)"
else
    echo "crun: not measured ($crun_how)"
fi
