# Shared by the benchmarks: build the binaries once, run a throwaway daemon in a temp directory.
# shellcheck shell=bash
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib.sh
require_root

bin=$PWD/artifacts/bin
if [ ! -x "$bin/cli/vessel" ] || [ ! -x "$bin/daemon/vesseld" ] || [ ! -x "$bin/shim/vessel-shim" ] || [ ! -f "$bin/ui/index.html" ]; then
    require_dotnet
    publish_binaries "$bin"
fi
vessel=$bin/cli/vessel

work=$(mktemp -d /tmp/vessel-bench.XXXXXX)
# An unprivileged container's mapped root (uid 1000000) has to pass through to its image and its volume.
chmod 0711 "$work"
export VESSEL_DIR=$work/state VESSEL_RUN_DIR=$work/run VESSEL_LOG_DIR=$work/log
socket=$VESSEL_RUN_DIR/vessel.sock
daemon_pid=
cleanup_hooks=()
cleanup() {
    for hook in "${cleanup_hooks[@]}"; do eval "$hook" || true; done
    [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP # so that cleanup runs on those too

# daemon_netns=NAME makes start_daemon run vesseld in that network namespace (ip netns).
daemon_netns=
start_daemon() {
    if [ -n "$daemon_netns" ]; then
        nsenter --net="/run/netns/$daemon_netns" "$bin/daemon/vesseld" "$@" >>"$work/vesseld.log" 2>&1 &
    else
        "$bin/daemon/vesseld" "$@" >>"$work/vesseld.log" 2>&1 &
    fi
    daemon_pid=$!
    for _ in $(seq 200); do "$vessel" version 2>/dev/null | grep -q "^Server version: [0-9]" && return 0; sleep 0.05; done
    cat "$work/vesseld.log" >&2
    die "vesseld did not start"
}

# A TCP port on loopback that nothing listens on now.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

stop_daemon() { kill "$daemon_pid"; wait "$daemon_pid" || true; daemon_pid=; }

# Runs this benchmark on a private copy of the binaries, so that a rebuild meanwhile neither changes what is
# measured nor fails on a running vessel-shim (text file busy). Call before start_daemon.
snapshot_binaries() {
    cp -a "$bin" "$work/bin"
    bin=$work/bin
    vessel=$bin/cli/vessel
}

# The cgroup under which this daemon puts its containers (vessel-<12 hex>/NAME; see Vessel.Daemon/Program.cs).
daemon_cgroup_root() { echo "vessel-$(printf %s "$VESSEL_DIR" | sha256sum | cut -c1-12)"; }

# Force-deletes every instance of the throwaway daemon, then kills whatever is left in its cgroups (a shim
# outlives the daemon; its container must not outlive the benchmark) and removes them. For cleanup_hooks.
remove_all_instances() {
    local names
    if [ -n "$daemon_pid" ] && names=$("$vessel" list --format csv 2>/dev/null | cut -d, -f1) && [ -n "$names" ]; then
        xargs -r -n 50 "$vessel" delete --force <<<"$names" >/dev/null 2>&1 || true
    fi
    local root dir
    root=$(daemon_cgroup_root)
    for dir in /sys/fs/cgroup/*/"$root"; do
        [ -d "$dir" ] || continue
        find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    done
    for dir in /sys/fs/cgroup/*/"$root"; do
        [ -d "$dir" ] || continue
        for _ in $(seq 50); do find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null; [ -d "$dir" ] || break; sleep 0.1; done
    done
}

# Puts COUNT instances straight into the store while the daemon is stopped. No engine has landed yet, so
# the API cannot create them; the list endpoints only read the store, which is what these benchmarks load.
seed_instances() {
    local count=$1
    {
        echo "BEGIN;"
        for i in $(seq -w 1 "$count"); do
            echo "INSERT INTO instances VALUES ('bench$i', 'container', 'Stopped', NULL, 'x86_64', '{\"limits.cpu\":\"1\",\"limits.memory\":\"256MiB\"}', '{\"root\":{\"type\":\"disk\",\"path\":\"/\",\"pool\":\"default\"}}', NULL, 'default', 0, '2026-01-01T00:00:00.0000000Z', '2026-01-01T00:00:00.0000000Z');"
        done
        echo "COMMIT;"
    } | sqlite3 "$VESSEL_DIR/vessel.db"
}

# ms_since T0: whole milliseconds since T0 (taken as t0=${EPOCHREALTIME/./}).
ms_since() { echo $(( (${EPOCHREALTIME/./} - $1) / 1000 )); }

# exited PID: the process is gone or a zombie (PID 1 here reaps orphans late, and kill -0 still succeeds on a zombie).
exited() { [ ! -e "/proc/$1" ] || [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]; }

# record_since FILE T0: appends the milliseconds since T0 to FILE, one per line. Take T0 with
# t0=${EPOCHREALTIME/./} (microseconds, no fork: $(...) would add a fork to what is measured).
record_since() {
    local d=$(( ${EPOCHREALTIME/./} - $2 ))
    printf '%d.%03d\n' $((d / 1000)) $((d % 1000)) >>"$1"
}

# oci_bundles DIR ROOTFS_TAR: the anchors' OCI bundles over one rootfs unpacked from the very tarball Vessel's
# image holds: DIR/rootfs, DIR/true (runs /bin/true) and DIR/sleep (sleeps, a long-running container). Both
# are `runc spec` defaults otherwise: no user namespace, read-only root, no seccomp profile.
oci_bundles() {
    local dir=$1 tarball=$2
    mkdir -p "$dir/rootfs" "$dir/true" "$dir/sleep"
    tar -xf "$tarball" -C "$dir/rootfs" --same-owner --numeric-owner
    (cd "$dir" && runc spec)
    jq --arg root "$dir/rootfs" '.root.path = $root | .process.terminal = false | .process.args = ["/bin/true"]' \
        "$dir/config.json" >"$dir/true/config.json"
    jq --arg root "$dir/rootfs" '.root.path = $root | .process.terminal = false | .process.args = ["/bin/sleep", "infinity"]' \
        "$dir/config.json" >"$dir/sleep/config.json"
}

# oci_remove_all RUNTIME STATE_ROOT: force-deletes every container of runc or crun under that state root.
oci_remove_all() {
    local runtime=$1 root=$2
    [ -d "$root" ] || return 0
    "$runtime" --root "$root" list -q 2>/dev/null | xargs -r -n1 "$runtime" --root "$root" delete --force >/dev/null 2>&1 || true
}

# percentile FILE P: the P-th percentile (0-100, nearest rank) of one number per line.
percentile() {
    sort -n "$1" | awk -v p="$2" '{a[NR]=$1} END {r=NR*p/100; i=int(r)+(r>int(r)); if (i<1) i=1; print a[i]}'
}

# percentiles FILE: p50 and p99 of one number per line.
percentiles() {
    sort -n "$1" | awk '{a[NR]=$1} END {printf "p50 %.2f ms, p99 %.2f ms", a[int(NR*0.50)+(NR*0.50>int(NR*0.50))], a[int(NR*0.99)+(NR*0.99>int(NR*0.99))]}'
}
