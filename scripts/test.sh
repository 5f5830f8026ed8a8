#!/usr/bin/env bash
# Runs every test: installs what the tests need, builds, publishes the real binaries to artifacts/bin,
# then runs the unit tests and the integration tests (which start real daemons in temp directories,
# driven through the real CLI binary). Needs root. Prints "N passed, N failed" at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
require_root
ensure_packages $RUNTIME_PACKAGES $TEST_PACKAGES
require_dotnet

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
start=$(date +%s)
echo "== build"
dotnet build Vessel.sln -c Release --nologo -v quiet -clp:ErrorsOnly
rm -rf artifacts/bin
publish_binaries artifacts/bin
export VESSEL_BIN_DIR=$PWD/artifacts/bin

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0
for project in tests/*/; do
    name=$(basename "$project")
    echo "== $name"
    # A test that hangs is killed and named after 10 minutes instead of holding CI until its limit.
    dotnet test "$project" -c Release --no-build --nologo --blame-hang-timeout 10m 2>&1 | tee "$results/$name.log" |
        grep -E "^\s+Failed |^\s+Skipped |Error Message|^\s*(Passed|Failed)!|error" || true
    grep -qE "^\s*(Passed!|Failed!)" "$results/$name.log" || { echo "$name: no test summary (build or runner failure)"; status=1; }
    grep -qE "^\s*Failed!" "$results/$name.log" && status=1
done

passed=$(grep -hoE "Passed: +[0-9]+" "$results"/*.log | awk '{s += $2} END {print s + 0}')
failed=$(grep -hoE "Failed: +[0-9]+" "$results"/*.log | awk '{s += $2} END {print s + 0}')
skipped=$(grep -hoE "Skipped: +[0-9]+" "$results"/*.log | awk '{s += $2} END {print s + 0}')
echo "== done in $(( $(date +%s) - start ))s"
echo "tests: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
[ "${failed:-0}" = 0 ] || status=1
exit $status
