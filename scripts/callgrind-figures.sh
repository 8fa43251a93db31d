#!/usr/bin/env bash
# Instruction counts (callgrind's Ir) for figures 4 and 5 of BENCHMARKS.md: the manifest load, the bare libyaml scan
# it is divided by, and makePlan, each counted inside `profiledWork` only, so that two builds compare on any machine
# however loaded it is.
#   scripts/callgrind-figures.sh COGRAM_BENCH [VALGRIND]
# COGRAM_BENCH is a release build of cogram-bench; VALGRIND (default: `valgrind` on PATH) must be 3.20 or newer with
# the rt_sigsuspend fix that BENCHMARKS.md describes ("Instruction counts"): the distribution's 3.19 cannot read
# Swift 6.3's DWARF 5, and an unpatched one dies in libdispatch. Takes about 3 minutes (each count runs ~50× slower
# than natively). Prints one line per count and figure 4's ratio.
set -euo pipefail
bench="${1:?usage: scripts/callgrind-figures.sh COGRAM_BENCH [VALGRIND]}"
valgrind="${2:-valgrind}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Swift seeds its hashing per process; a fixed seed makes dictionary layouts, and so figure 5's count, repeatable.
export SWIFT_DETERMINISTIC_HASHING=1
# Figures 4 and 5 of `cogram-bench run`: 10,000 projects × 20 members, 2,000 users.
sizes=(--projects 10000 --members 20 --users 2000)

count() {
  local name="$1"; shift
  "$valgrind" --tool=callgrind --collect-atstart=no --toggle-collect='*profiledWork*' \
    --callgrind-out-file="$work/$name.out" "$bench" profile "$@" "${sizes[@]}" > "$work/$name.log" 2>&1 \
    || { tail -20 "$work/$name.log" >&2; exit 1; }
  local ir
  ir="$(sed -n 's/^==[0-9]*== Collected : \([0-9]*\)$/\1/p' "$work/$name.log")"
  [ -n "$ir" ] && [ "$ir" -gt 0 ] || { echo "no count for $name:" >&2; tail -20 "$work/$name.log" >&2; exit 1; }
  echo "$ir"
}

load="$(count load 4)"
scan="$(count scan 4 --scan)"
diff="$(count diff 5)"
awk -v load="$load" -v scan="$scan" -v diff="$diff" 'BEGIN {
  printf "figure 4, load:       %.0f Ir\nfigure 4, bare scan:  %.0f Ir\nfigure 4, load / scan: %.2f×\nfigure 5, makePlan:   %.0f Ir\n", load, scan, load / scan, diff
}'
