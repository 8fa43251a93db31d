#!/usr/bin/env bash
# The README's main job with a given binary, on a fresh sandbox database: the first apply makes changes, the
# second prints "No changes." and `plan --detailed-exitcode` exits 0.
set -euo pipefail
binary=${1:?usage: main-job-smoke.sh PATH/TO/cogramctl}
cd "$(dirname "$0")/.."
db=$(mktemp -d)/sandbox.sqlite
trap 'rm -rf "$(dirname "$db")"' EXIT

first=$("$binary" apply examples/northwind --sandbox="$db" --auto-approve)
echo "$first" | tail -n 3
echo "$first" | grep -q "^Apply complete: .* 0 failed, 0 skipped.$" || { echo "error: the first apply did not complete" >&2; exit 1; }

second=$("$binary" apply examples/northwind --sandbox="$db" --auto-approve)
echo "$second" | tail -n 1
echo "$second" | grep -q "No changes. Cogram matches the manifests." || { echo "error: the second apply was not a no-op" >&2; exit 1; }

"$binary" plan examples/northwind --sandbox="$db" --detailed-exitcode >/dev/null
echo "main job: first apply converged, second apply and plan found no changes"
