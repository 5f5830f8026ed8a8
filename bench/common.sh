# Shared by the benchmarks: build the binaries once, run a throwaway daemon in a temp directory.
# shellcheck shell=bash
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib.sh
require_root

bin=$PWD/artifacts/bin
if [ ! -x "$bin/cli/vessel" ] || [ ! -x "$bin/daemon/vesseld" ]; then
    require_dotnet
    publish_binaries "$bin"
fi
vessel=$bin/cli/vessel

work=$(mktemp -d /tmp/vessel-bench.XXXXXX)
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

start_daemon() {
    "$bin/daemon/vesseld" "$@" >>"$work/vesseld.log" 2>&1 &
    daemon_pid=$!
    for _ in $(seq 200); do "$vessel" version 2>/dev/null | grep -q "^Server version: [0-9]" && return 0; sleep 0.05; done
    cat "$work/vesseld.log" >&2
    die "vesseld did not start"
}

stop_daemon() { kill "$daemon_pid"; wait "$daemon_pid" || true; daemon_pid=; }

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

# percentiles FILE: p50 and p99 of one number per line.
percentiles() {
    sort -n "$1" | awk '{a[NR]=$1} END {printf "p50 %.2f ms, p99 %.2f ms", a[int(NR*0.50)+(NR*0.50>int(NR*0.50))], a[int(NR*0.99)+(NR*0.99>int(NR*0.99))]}'
}
