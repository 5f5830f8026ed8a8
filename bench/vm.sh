#!/usr/bin/env bash
# VM latency and overhead through the CLI, against raw qemu-system-x86_64 with the very argument list Vessel used
# (read back from the running QEMU, paths moved to a scratch directory) and against libvirt with a domain of the same
# arguments (bench/libvirt.sh), in the same run, under TCG here:
#   start: `vessel launch busybox NAME --vm` until the guest's init prints its marker on the serial console, vs the
#          same QEMU started by hand, vs `virsh define` + `virsh start`, until the same line;
#   stop:  `vessel stop` (ACPI power button, guest powers off) vs system_powerdown over QMP until QEMU exits, vs
#          `virsh shutdown --mode acpi` until libvirt reports the domain stopped;
#   force stop (every other guest): `vessel stop --force` vs quit over QMP until QEMU exits, vs `virsh destroy`;
#   memory: QEMU's proportional set size for a 256 MiB guest, all three ways;
#   stateful snapshot and restore of a 512 MiB Debian VM (`vessel snapshot create --stateful` / `restore`) vs
#          savevm / loadvm sent over QMP by hand to the same QEMU, vs `virsh snapshot-create-as` / `snapshot-revert`
#          of a libvirt domain of the same guest (its own overlay of the image's disk);
#   disk-only snapshot of the same running VM (`vessel snapshot create`: the guest's filesystems frozen through its
#          agent for the cut) vs guest-fsfreeze-freeze, blockdev-snapshot-internal-sync and guest-fsfreeze-thaw sent by
#          hand to the same QEMU and agent, and vs blockdev-snapshot-internal-sync alone (no freeze).
# RUNS=N (default 5). Prints figures and ratios; asserts nothing.
. "$(dirname "$0")/common.sh"
ensure_packages socat
. bench/libvirt.sh

runs=${RUNS:-5}
snapshot_binaries
cleanup_hooks+=(remove_all_instances)
start_daemon
libvirt_start
"$vessel" image build busybox --vm >/dev/null
marker="vessel-busybox-vm: init reached"

# A QMP session held open by socat: qmp_open SOCKET, then qmp_call JSON prints the command's answer (events are skipped).
qmp_open() {
    coproc QMP { socat - "UNIX-CONNECT:$1"; }
    read -r _ <&"${QMP[0]}"
    qmp_call '{"execute":"qmp_capabilities"}' >/dev/null
}
qmp_call() {
    local line
    echo "$1" >&"${QMP[1]}"
    while read -r line <&"${QMP[0]}"; do
        case "$line" in *'"return"'* | *'"error"'*) echo "$line"; return ;; esac
    done
}
# (bash forgets QMP_PID and QMP's fds once socat has ended, e.g. after QEMU exited)
qmp_close() { local pid=${QMP_PID:-}; [ -z "$pid" ] || { eval "exec ${QMP[1]}>&-"; wait "$pid" 2>/dev/null || true; }; }
# The guest agent through socat on two fifos (bash keeps one coprocess at a time, and QMP's is open meanwhile):
# qga_open SOCKET syncs (what an earlier client left unread is skipped), qga_call JSON waits for the answer.
qga_open() {
    local line
    rm -f "$work/qga.in" "$work/qga.out"; mkfifo "$work/qga.in" "$work/qga.out"
    socat - "UNIX-CONNECT:$1" <"$work/qga.in" >"$work/qga.out" & qga_pid=$!
    exec {qga_in}>"$work/qga.in" {qga_out}<"$work/qga.out"
    echo '{"execute":"guest-sync","arguments":{"id":4242}}' >&"$qga_in"
    while read -r line <&"$qga_out"; do case "$line" in *'"return": 4242'*) return ;; esac; done
}
qga_call() {
    local line
    echo "$1" >&"$qga_in"
    while read -r line <&"$qga_out"; do case "$line" in *'"return"'* | *'"error"'*) return ;; esac; done
}
qga_close() { exec {qga_in}>&- {qga_out}<&-; wait "$qga_pid" 2>/dev/null || true; }
pss_kib() { awk '/^Pss:/ { s += $2 } END { print s }' "/proc/$1/smaps_rollup"; }
wait_for_text() { for _ in $(seq 3000); do grep -qF "$2" "$1" 2>/dev/null && return 0; sleep 0.01; done; return 1; }

v_start=$work/v_start v_stop=$work/v_stop q_start=$work/q_start q_stop=$work/q_stop l_start=$work/l_start l_stop=$work/l_stop
v_kill=$work/v_kill q_kill=$work/q_kill l_kill=$work/l_kill
# Every other guest is stopped by force: `vessel stop --force` (QMP quit), quit over QMP by hand, `virsh destroy`.
for i in $(seq $((2 * runs))); do
    force=$((i % 2 == 0))
    t0=${EPOCHREALTIME/./}
    "$vessel" launch busybox "vm$i" --vm -c limits.memory=256MiB >/dev/null
    wait_for_text "$VESSEL_LOG_DIR/vm$i/console.log" "$marker"
    ms_since "$t0" >>"$v_start"
    qemu_pid=$(cat "$VESSEL_RUN_DIR/instances/vm$i/qemu.pid")
    [ "$i" = 1 ] && { v_pss=$(pss_kib "$qemu_pid"); tr '\0' '\n' <"/proc/$qemu_pid/cmdline" >"$work/args"; }
    t0=${EPOCHREALTIME/./}
    if ((force)); then "$vessel" stop "vm$i" --force >/dev/null; ms_since "$t0" >>"$v_kill"
    else "$vessel" stop "vm$i" >/dev/null; ms_since "$t0" >>"$v_stop"; fi
    "$vessel" delete "vm$i" >/dev/null

    # The same QEMU by hand: Vessel's argument list with its run and log paths moved to a scratch directory.
    raw=$work/raw$i
    mkdir -p "$raw"
    mapfile -t args < <(sed -e "s|$VESSEL_RUN_DIR/instances/vm1|$raw|g" -e "s|$VESSEL_LOG_DIR/vm1|$raw|g" "$work/args")
    t0=${EPOCHREALTIME/./}
    "${args[@]}"
    wait_for_text "$raw/console.log" "$marker"
    ms_since "$t0" >>"$q_start"
    raw_pid=$(cat "$raw/qemu.pid")
    [ "$i" = 1 ] && q_pss=$(pss_kib "$raw_pid")
    qmp_open "$raw/qmp.sock"
    t0=${EPOCHREALTIME/./}
    if ((force)); then
        qmp_call '{"execute":"quit"}' >/dev/null
        until exited "$raw_pid"; do sleep 0.001; done
        ms_since "$t0" >>"$q_kill"
    else
        # Pressed again every 3 s, as vessel stop does: a guest whose acpid is not listening yet misses a press.
        until exited "$raw_pid"; do
            qmp_call '{"execute":"system_powerdown"}' >/dev/null
            for _ in $(seq 600); do exited "$raw_pid" && break; sleep 0.005; done
        done
        ms_since "$t0" >>"$q_stop"
    fi
    qmp_close

    # The same guest as a libvirt domain.
    domain=vessel-bench-vm$i
    libvirt_domain "$domain" "$work/args" >"$libvirt_dir/$domain.xml"
    t0=${EPOCHREALTIME/./}
    lv define "$libvirt_dir/$domain.xml" >/dev/null
    lv start "$domain" >/dev/null
    wait_for_text "$libvirt_dir/$domain.console" "$marker"
    ms_since "$t0" >>"$l_start"
    [ "$i" = 1 ] && l_pss=$(pss_kib "$(cat "/run/libvirt/qemu/$domain.pid")")
    if ((force)); then t0=${EPOCHREALTIME/./}; lv destroy "$domain" >/dev/null; ms_since "$t0" >>"$l_kill"
    else libvirt_shutdown "$domain" >>"$l_stop"; fi
    lv undefine "$domain" >/dev/null
done
ratio() { awk -v a="$(percentile "$1" 50)" -v b="$(percentile "$2" 50)" 'BEGIN { printf "%.2f", a / b }'; }
echo "start to guest init: vessel p50 $(percentile "$v_start" 50) ms, raw qemu p50 $(percentile "$q_start" 50) ms," \
    "libvirt p50 $(percentile "$l_start" 50) ms; vessel/raw $(ratio "$v_start" "$q_start"), vessel/libvirt $(ratio "$v_start" "$l_start")"
echo "stop (ACPI, guest powers off): vessel p50 $(percentile "$v_stop" 50) ms, raw qemu p50 $(percentile "$q_stop" 50) ms," \
    "libvirt p50 $(percentile "$l_stop" 50) ms; vessel/raw $(ratio "$v_stop" "$q_stop"), vessel/libvirt $(ratio "$v_stop" "$l_stop")"
echo "force stop: vessel p50 $(percentile "$v_kill" 50) ms, raw qemu (QMP quit) p50 $(percentile "$q_kill" 50) ms," \
    "libvirt (virsh destroy) p50 $(percentile "$l_kill" 50) ms; vessel/raw $(ratio "$v_kill" "$q_kill"), vessel/libvirt $(ratio "$v_kill" "$l_kill")"
echo "QEMU Pss with a 256 MiB guest: vessel $((v_pss / 1024)) MiB, raw qemu $((q_pss / 1024)) MiB, libvirt $((l_pss / 1024)) MiB"

echo "== stateful snapshots of a 512 MiB Debian VM"
"$vessel" image build debian --vm >/dev/null
"$vessel" launch debian/12 deb --vm -c limits.memory=512MiB >/dev/null
for _ in $(seq 600); do "$vessel" exec deb -- true >/dev/null 2>&1 && break; sleep 0.2; done
v_save=$work/v_save v_load=$work/v_load q_save=$work/q_save q_load=$work/q_load
v_disk=$work/v_disk q_disk=$work/q_disk q_bare=$work/q_bare
# Vessel's and the by-hand figures alternate on the same QEMU, so that a slower phase of this shared machine falls on
# both. By hand: vesseld holds the monitor, so it is stopped meanwhile (the VM keeps running); HMP's savevm/loadvm
# through QMP answer when they are done.
hmp() { qmp_call "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"$1\"}}" >/dev/null; }
# internal ""|-delete NAME: blockdev-snapshot-internal-sync or blockdev-snapshot-delete-internal-sync of the root disk
internal() { qmp_call "{\"execute\":\"blockdev-snapshot$1-internal-sync\",\"arguments\":{\"device\":\"root\",\"name\":\"$2\"}}" >/dev/null; }
# vesseld is started anew in every round: its snapshot code runs once untimed first, as in a daemon that has been up a while
# (the first call of a fresh process also compiles the code it runs: ~60 ms more here).
warm_up() {
    "$vessel" snapshot create deb warm --stateful >/dev/null && "$vessel" snapshot restore deb warm >/dev/null
    "$vessel" snapshot delete deb warm >/dev/null
    "$vessel" snapshot create deb warm >/dev/null && "$vessel" snapshot delete deb warm >/dev/null
}
for i in $(seq "$runs"); do
    warm_up
    t0=${EPOCHREALTIME/./}; "$vessel" snapshot create deb "s$i" --stateful >/dev/null; ms_since "$t0" >>"$v_save"
    t0=${EPOCHREALTIME/./}; "$vessel" snapshot restore deb "s$i" >/dev/null; ms_since "$t0" >>"$v_load"
    "$vessel" snapshot delete deb "s$i" >/dev/null
    t0=${EPOCHREALTIME/./}; "$vessel" snapshot create deb "d$i" >/dev/null; ms_since "$t0" >>"$v_disk"
    "$vessel" snapshot delete deb "d$i" >/dev/null
    stop_daemon
    qmp_open "$VESSEL_RUN_DIR/instances/deb/qmp.sock"
    t0=${EPOCHREALTIME/./}; hmp "savevm raw$i"; ms_since "$t0" >>"$q_save"
    t0=${EPOCHREALTIME/./}; hmp "loadvm raw$i"; ms_since "$t0" >>"$q_load"
    hmp "delvm raw$i"
    qga_open "$VESSEL_RUN_DIR/instances/deb/qga.sock"
    t0=${EPOCHREALTIME/./}
    qga_call '{"execute":"guest-fsfreeze-freeze"}'; internal "" "rawd$i"; qga_call '{"execute":"guest-fsfreeze-thaw"}'
    ms_since "$t0" >>"$q_disk"
    qga_close
    t0=${EPOCHREALTIME/./}; internal "" "rawb$i"; ms_since "$t0" >>"$q_bare"
    internal -delete "rawd$i"; internal -delete "rawb$i"
    qmp_close
    start_daemon
done
tr '\0' '\n' <"/proc/$(cat "$VESSEL_RUN_DIR/instances/deb/qemu.pid")/cmdline" >"$work/deb-args"
"$vessel" stop deb --force >/dev/null

# The same guest as a libvirt domain, alone on the host: snapshot-create-as of the running domain (an internal snapshot
# with its memory, as savevm) and snapshot-revert.
domain=vessel-bench-deb
disk=$(libvirt_disk "$domain" "$(sed -n 's/^file=\([^,]*\),.*,id=root,.*/\1/p' "$work/deb-args")")
libvirt_domain "$domain" "$work/deb-args" "$disk" >"$libvirt_dir/$domain.xml"
lv define "$libvirt_dir/$domain.xml" >/dev/null
lv start "$domain" >/dev/null
for _ in $(seq 600); do lv qemu-agent-command "$domain" '{"execute":"guest-ping"}' >/dev/null 2>&1 && break; sleep 0.2; done
t0=${EPOCHREALTIME/./}; lv snapshot-create-as "$domain" s1 >/dev/null; l_save=$(ms_since "$t0")
t0=${EPOCHREALTIME/./}; lv snapshot-revert "$domain" s1; l_load=$(ms_since "$t0")
lv destroy "$domain" >/dev/null

divide() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "stateful snapshot: vessel p50 $(percentile "$v_save" 50) ms, savevm by hand p50 $(percentile "$q_save" 50) ms, libvirt $l_save ms;" \
    "vessel/raw $(ratio "$v_save" "$q_save"), vessel/libvirt $(divide "$(percentile "$v_save" 50)" "$l_save")"
echo "stateful restore: vessel p50 $(percentile "$v_load" 50) ms, loadvm by hand p50 $(percentile "$q_load" 50) ms, libvirt $l_load ms;" \
    "vessel/raw $(ratio "$v_load" "$q_load"), vessel/libvirt $(divide "$(percentile "$v_load" 50)" "$l_load")"
echo "disk-only snapshot of the running VM: vessel p50 $(percentile "$v_disk" 50) ms, freeze + QMP + thaw by hand p50" \
    "$(percentile "$q_disk" 50) ms, QMP alone (no freeze) p50 $(percentile "$q_bare" 50) ms; vessel/by hand $(ratio "$v_disk" "$q_disk")," \
    "vessel/QMP alone $(ratio "$v_disk" "$q_bare")"
