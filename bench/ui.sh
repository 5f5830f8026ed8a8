#!/usr/bin/env bash
# Web UI: with 1,000 instances in the store (999 seeded stopped straight into the store, as api-throughput.sh does,
# plus one real busybox container), measures in headless Debian chromium the instance list's first render (the
# /1.0/instances response arriving -> rows painted; goal <= 200 ms) against chromium painting the same rows as a
# plain static HTML table, and the delay from a pause/resume of the real container to the list showing it (goal
# <= 100 ms) against the event reaching a bare EventSource. The daemon serves the UI over HTTPS (core.https_address
# on a free loopback port), logged in with a token. Prints figures; asserts nothing.
. "$(dirname "$0")/common.sh"
ensure_packages chromium sqlite3
command -v node >/dev/null || die "node 20 or later is needed (for Vite and playwright-core)"

count=${COUNT:-1000}
live=uibench-live

start_daemon
stop_daemon
seed_instances $((count - 1))
start_daemon
cleanup_hooks+=(remove_all_instances)
"$vessel" image build busybox >/dev/null
"$vessel" launch busybox "$live" --network none >/dev/null
port=$(free_port)
"$vessel" server set core.https_address "127.0.0.1:$port"
token=$("$vessel" auth token create --description "bench/ui.sh" --expiry 1H 2>/dev/null)

node ui/bench/ui.bench.mjs --url "https://127.0.0.1:$port" --token "$token" --socket "$socket" --instance "$live" \
    --runs "${RUNS:-7}" --changes "${CHANGES:-5}" \
    --source "$((count - 1)) seeded stopped into the store, 1 real busybox container; a real GET /1.0/instances?recursion=1"
