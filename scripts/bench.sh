#!/usr/bin/env bash
# Builds cogram-bench in release mode (in its own scratch folder, so the shared .build stays free) and runs it.
#   scripts/bench.sh smoke   tiny sizes: checks that every figure runs (no timing targets)
#   scripts/bench.sh full    the figures of BENCHMARKS.md (about 4 minutes after the build)
# Extra arguments go to `cogram-bench run`, e.g. `scripts/bench.sh full --only 4 5`.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-smoke}"
shift || true
case "$mode" in
  smoke) flags=(--smoke) ;;
  full) flags=() ;;
  *) echo "usage: scripts/bench.sh [smoke|full] [cogram-bench run options]" >&2; exit 64 ;;
esac

scratch="${BENCH_SCRATCH_PATH:-.build-bench}"
swift build -c release --scratch-path "$scratch" --product cogram-bench
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/cogram-bench"

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(free -g | awk '/^Mem:/ {print $2}') GiB" >&2
"$bin" run "${flags[@]}" "$@"
