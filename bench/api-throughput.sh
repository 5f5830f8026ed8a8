#!/usr/bin/env bash
# API throughput: GET /1.0/instances with 100 instances in the store, wrk at 64 connections for 10 s,
# against nginx serving the very same response bodies from files on the same machine in the same run.
# Prints figures; asserts nothing.
. "$(dirname "$0")/common.sh"
ensure_packages wrk nginx-light sqlite3

port=18443
anchor_port=18444
duration=${DURATION:-10}

start_daemon
stop_daemon
seed_instances 100
export VESSEL_UNAUTHENTICATED_TCP=1 # the TCP API has no authentication yet: only for this throwaway daemon
start_daemon --tcp 127.0.0.1:$port

mkdir -p "$work/www/1.0"
curl -s "http://127.0.0.1:$port/1.0/instances" > "$work/www/1.0/instances"
curl -s "http://127.0.0.1:$port/1.0/instances?recursion=1" > "$work/www/1.0/full"
cat > "$work/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    default_type application/json;
    server { listen 127.0.0.1:$anchor_port; root $work/www; }
}
CONF
nginx -c "$work/nginx.conf"
cleanup_hooks+=("kill \$(cat $work/nginx.pid)")

run() { # run NAME URL -> "rps p50 p99"
    local out
    out=$(wrk -t2 -c64 -d"${duration}s" --latency "$2")
    local rps p50 p99
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    printf "%-44s %10.0f req/s   p50 %-9s p99 %s\n" "$1" "$rps" "$p50" "$p99" >&2
    echo "$rps"
}

echo "GET /1.0/instances, 100 instances in the store, wrk -t2 -c64 -d${duration}s, $(nproc) cores" >&2
v1=$(run "vesseld  /1.0/instances (paths)" "http://127.0.0.1:$port/1.0/instances")
a1=$(run "nginx    same body from a file" "http://127.0.0.1:$anchor_port/1.0/instances")
v2=$(run "vesseld  /1.0/instances?recursion=1 ($(stat -c %s "$work/www/1.0/full") B)" "http://127.0.0.1:$port/1.0/instances?recursion=1")
a2=$(run "nginx    same body from a file" "http://127.0.0.1:$anchor_port/1.0/full")
awk -v v1="$v1" -v a1="$a1" -v v2="$v2" -v a2="$a2" 'BEGIN {
    printf "ratio vesseld/nginx: paths %.2f, recursion=1 %.2f\n", v1/a1, v2/a2 }'
