#!/usr/bin/env bash
# The main step of the cogramctl GitHub Action (action.yml): runs `cogramctl validate|plan|apply` as the inputs
# say and hands the job what it needs next.
#
# Inputs arrive as environment variables (INPUT_COMMAND, INPUT_PATHS, INPUT_PLAN_FILE, INPUT_CHANGED_SINCE,
# INPUT_API_URL, INPUT_ARGS); the API keys come from the step's environment (COGRAM_API_KEY, or each
# organization root's api_key_env variable) and are never handled here. cogramctl itself appends its outputs
# (has-changes, change-count, destructive, access-removed, plan-file, and with several organizations
# organizations=NAME,NAME; applied, failed) to GITHUB_OUTPUT and its Markdown to GITHUB_STEP_SUMMARY. A plan of
# several organizations is one plan set, so the comment is one too: the totals and a section per organization. This script adds
# `exit-code` and, for plans, `comment-file`: the Markdown of the sticky pull-request comment. It always exits 0, so that the comment is
# posted even for a failed plan; the action's last step fails the job with `exit-code`.
set -uo pipefail

: "${GITHUB_OUTPUT:?GITHUB_OUTPUT must be set (this script runs as a GitHub Actions step)}"
bin="${COGRAMCTL_BIN:-cogramctl}"
command="${INPUT_COMMAND:-plan}"
temp="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"

# Paths: separated by spaces or new lines (a YAML block scalar in the workflow).
read -r -a paths <<< "$(printf '%s' "${INPUT_PATHS:-.}" | tr '\n' ' ')"
read -r -a extra <<< "${INPUT_ARGS:-}"
[ -n "${INPUT_API_URL:-}" ] && export COGRAM_API_URL="$INPUT_API_URL"

output() { printf '%s=%s\n' "$1" "$2" >> "$GITHUB_OUTPUT"; }

plan_file="${INPUT_PLAN_FILE:-}"
case "$command" in
    validate)
        arguments=(validate "${paths[@]}")
        ;;
    plan)
        # A plan is always saved, so that the comment can be rendered from exactly what was planned.
        [ -n "$plan_file" ] || plan_file="$temp/cogramctl-plan-$$.json"
        arguments=(plan "${paths[@]}" --out "$plan_file")
        [ -n "${INPUT_CHANGED_SINCE:-}" ] && arguments+=(--changed-since "$INPUT_CHANGED_SINCE")
        ;;
    apply)
        if [ -n "$plan_file" ]; then
            # The reviewed plan, refused (exit 3) if the manifests no longer produce it.
            arguments=(apply "$plan_file")
            for path in "${paths[@]}"; do arguments+=(--manifests "$path"); done
        else
            arguments=(apply "${paths[@]}" --auto-approve)
        fi
        ;;
    *)
        echo "::error title=cogramctl::the command input must be validate, plan or apply, not '$command'"
        output exit-code 64
        exit 0
        ;;
esac
arguments+=("${extra[@]}")

echo "cogramctl ${arguments[*]}"
# stderr is shown as it comes (progress in long applies) and kept for the comment of a failed plan.
errors="$temp/cogramctl-stderr-$$.txt"
{ "$bin" "${arguments[@]}" 2>&1 1>&3 3>&- | tee "$errors" >&2; } 3>&1
status=${PIPESTATUS[0]}
output exit-code "$status"

if [ "$command" = plan ]; then
    comment="$temp/cogramctl-comment-$$.md"
    if [ -s "$plan_file" ] && [ "$status" -ne 1 ]; then
        "$bin" show "$plan_file" --format markdown > "$comment" 2>/dev/null || : > "$comment"
    fi
    if [ ! -s "$comment" ]; then
        {
            echo "### cogramctl plan failed (exit $status)"
            echo
            echo '```text'
            tail -n 40 "$errors" | sed 's/```/'"'''"'/g'
            echo '```'
        } > "$comment"
    fi
    if [ -n "${GITHUB_SERVER_URL:-}" ] && [ -n "${GITHUB_RUN_ID:-}" ]; then
        printf '\n<sub>From [run %s](%s/%s/actions/runs/%s).</sub>\n' \
            "${GITHUB_RUN_NUMBER:-$GITHUB_RUN_ID}" "$GITHUB_SERVER_URL" "${GITHUB_REPOSITORY:-}" "$GITHUB_RUN_ID" >> "$comment"
    fi
    output comment-file "$comment"
fi
rm -f "$errors"
exit 0
