#!/usr/bin/env bash
# Figure 9 of BENCHMARKS.md: CPU time per request of the client (`cogramctl plan`) and of the sandbox
# (`cogramctl sandbox serve`), as separate processes, from the kernel's accounting (user + system time), at the
# plan of figure 1 (2,000 projects × 10 members, 1,000 users: 2,030 requests).
#   scripts/cpu-per-request.sh BIN_DIR [RUNS]
# BIN_DIR holds release builds of cogramctl and cogram-bench. Prints one line per run and the best of RUNS (3).
set -euo pipefail
bin="${1:?usage: scripts/cpu-per-request.sh BIN_DIR [RUNS]}"
runs="${2:-3}"
work="$(mktemp -d)"
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$bin/cogram-bench" generate --db "$work/org.sqlite" --projects 2000 --members 10 --users 1000 --out "$work/org" \
  --change-fraction 0.1 --seed 9 >/dev/null
umask 077
"$bin/cogramctl" sandbox keys create --db "$work/org.sqlite" --org "Bench Organization" --name bench > "$work/key"

# Clock ticks of a process (utime + stime, fields 14 and 15 of /proc/PID/stat).
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz="$(getconf CLK_TCK)"

"$bin/cogramctl" sandbox serve --db "$work/org.sqlite" --port 0 --rate-limit 100000000 2> "$work/serve.log" &
server=$!
for _ in $(seq 100); do
  port="$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/serve.log")"
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$work/serve.log" >&2; exit 1; }

plan_args=(plan "$work/org/variant" --api-url "http://127.0.0.1:$port" --api-key-file "$work/key" --rate-limit 100000000)
# Exit 2: the plan has changes.
checked() { local status=0; "$@" > /dev/null 2> "$work/plan.log" || status=$?; [ "$status" -le 2 ] || { tail "$work/plan.log" >&2; exit 1; }; }

# One untimed run with --verbose for the number of requests; the timed runs log nothing per request.
checked "$bin/cogramctl" "${plan_args[@]}" --verbose
requests="$(sed -n 's/^Read Cogram with \([0-9,]*\) requests.*/\1/p' "$work/plan.log" | tr -d ,)"
[ -n "$requests" ] || { tail "$work/plan.log" >&2; exit 1; }

best_client="" best_server=""
for run in $(seq "$runs"); do
  before="$(ticks "$server")"
  checked /usr/bin/time -f "%U %S" -o "$work/time" "$bin/cogramctl" "${plan_args[@]}"
  after="$(ticks "$server")"
  client="$(awk '{ printf "%.3f", $1 + $2 }' "$work/time")"
  served="$(awk -v a="$after" -v b="$before" -v hz="$hz" 'BEGIN { printf "%.3f", (a - b) / hz }')"
  echo "run $run: $requests requests; client $client s ($(awk -v c="$client" -v r="$requests" 'BEGIN { printf "%.3f", 1000 * c / r }') ms/request); sandbox $served s ($(awk -v s="$served" -v r="$requests" 'BEGIN { printf "%.3f", 1000 * s / r }') ms/request)"
  if [ -z "$best_client" ] || awk -v a="$client" -v b="$best_client" 'BEGIN { exit !(a < b) }'; then best_client="$client"; fi
  if [ -z "$best_server" ] || awk -v a="$served" -v b="$best_server" 'BEGIN { exit !(a < b) }'; then best_server="$served"; fi
done
echo "best of $runs: client $best_client s, sandbox $best_server s, $requests requests"
