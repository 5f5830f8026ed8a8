#!/usr/bin/env bash
# CLI round trip: `vessel list` start-to-exit, against curl doing the same GET over the same unix socket
# in the same run. 100 instances in the store. Prints p50 and p99; asserts nothing.
. "$(dirname "$0")/common.sh"
ensure_packages sqlite3 curl

runs=${RUNS:-300}
start_daemon
stop_daemon
seed_instances 100
start_daemon

measure() { # measure FILE COMMAND...: one start-to-exit time in ms per line
    local file=$1; shift
    "$@" >/dev/null # warm the page cache
    for _ in $(seq "$runs"); do
        local t0 t1
        t0=$(date +%s%N)
        "$@" >/dev/null
        t1=$(date +%s%N)
        echo $(( (t1 - t0) / 1000 )) | awk '{printf "%.3f\n", $1 / 1000}'
    done > "$file"
}

measure "$work/vessel" "$vessel" list
measure "$work/curl" curl -s --unix-socket "$socket" "http://vessel/1.0/instances?recursion=1"
echo "start-to-exit over $runs runs, 100 instances, $(nproc) cores"
echo "vessel list:                     $(percentiles "$work/vessel")"
echo "curl --unix-socket (same GET):   $(percentiles "$work/curl")"
v50=$(sort -n "$work/vessel" | awk '{a[NR]=$1} END {print a[int(NR/2)+1]}')
c50=$(sort -n "$work/curl" | awk '{a[NR]=$1} END {print a[int(NR/2)+1]}')
awk -v v="$v50" -v c="$c50" 'BEGIN {printf "ratio vessel/curl at p50: %.2f\n", v/c}'
