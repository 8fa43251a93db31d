#!/usr/bin/env bash
# Contract test: run schemathesis against a live sandbox with the project's OpenAPI document.
#
#   scripts/schemathesis.sh PATH/TO/cogramctl
#
# Builds nothing. Needs `openapi-spec-validator` and `st` (pip install schemathesis openapi-spec-validator) on
# PATH. Starts `cogramctl sandbox serve` on a free loopback port with examples/sandbox-seed.json and a fresh
# database, validates the document, runs schemathesis with every check, stops the sandbox, and exits non-zero on
# any failure. Phases: examples, coverage, fuzzing and stateful (sequences along the document's `links`).
# Environment: SCHEMATHESIS_MAX_EXAMPLES (default 50), SCHEMATHESIS_STATEFUL_MAX_EXAMPLES (default 300),
# SCHEMATHESIS_SEED (default 20261129), SCHEMATHESIS_TIMEOUT seconds (default 170).
set -euo pipefail

if [[ $# -ne 1 || ! -x "$1" ]]; then
    echo "usage: $0 PATH/TO/cogramctl" >&2
    exit 64
fi
binary=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
spec="$root/schemas/cogram-api.v1.openapi.yaml"
work=$(mktemp -d "${TMPDIR:-/tmp}/cogram-schemathesis.XXXXXX")
key="schemathesis-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
server_pid=""

cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "== openapi-spec-validator" >&2
openapi-spec-validator "$spec"

echo "== starting the sandbox" >&2
# A high rate limit: schemathesis sends thousands of requests with one key. Port 0 picks a free port, read back
# from the startup line.
# The key goes through the environment, not argv, where other users could read it.
COGRAM_SANDBOX_API_KEY="$key" "$binary" sandbox serve --db "$work/sandbox.sqlite" \
    --seed "$root/examples/sandbox-seed.json" --host 127.0.0.1 --port 0 --rate-limit 10000000 2>"$work/stderr" &
server_pid=$!

url=""
for _ in $(seq 1 100); do
    url=$(sed -n 's/^cogram sandbox listening on \(http:\/\/[^ ]*\).*/\1/p' "$work/stderr" | head -n 1)
    [[ -n "$url" ]] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "the sandbox exited before listening:" >&2
        cat "$work/stderr" >&2
        exit 1
    fi
    sleep 0.1
done
if [[ -z "$url" ]]; then
    echo "the sandbox did not start within 10 s:" >&2
    cat "$work/stderr" >&2
    exit 1
fi
echo "sandbox at $url" >&2

# The stateful phase follows the document's `links` (create a project → get, patch, archive it, list and change
# its members; list users → patch one) in sequences of up to 10 steps, with its own, larger example budget.
cat >"$work/schemathesis.toml" <<EOF
[generation]
max-examples = ${SCHEMATHESIS_MAX_EXAMPLES:-50}

[phases.stateful]
max-steps = 10

[phases.stateful.generation]
max-examples = ${SCHEMATHESIS_STATEFUL_MAX_EXAMPLES:-300}
EOF

# use_after_free is excluded on purpose: the contract's DELETE /v1/projects/{id} archives, and archived projects
# stay readable with GET (cogram-api-v1.md, "Projects"), which that check reports as a deleted resource still
# being available.
echo "== schemathesis" >&2
set +e
timeout "${SCHEMATHESIS_TIMEOUT:-170}" st --config-file "$work/schemathesis.toml" run "$spec" \
    --url "$url" \
    --header "Authorization: Bearer $key" \
    --phases examples,coverage,fuzzing,stateful \
    --checks all \
    --exclude-checks use_after_free \
    --seed "${SCHEMATHESIS_SEED:-20261129}" \
    --request-timeout 10 \
    --no-color \
    --report-dir "$work/report" 2>&1 | tee "$work/st.log"
status=${PIPESTATUS[0]}
set -e

if [[ $status -ne 0 ]]; then
    [[ $status -eq 124 ]] && echo "schemathesis did not finish within ${SCHEMATHESIS_TIMEOUT:-170} s" >&2
    echo "schemathesis failed (exit $status)" >&2
    exit "$status"
fi
# A document whose links no longer resolve would silently skip the stateful phase: that is a failure too.
if ! grep -Eq '^ *Scenarios: *[1-9]' "$work/st.log"; then
    echo "schemathesis ran no stateful scenario (check the links in $spec)" >&2
    exit 1
fi
echo "schemathesis passed" >&2
