#!/usr/bin/env bash
# Runs the jobs of examples/ci/gitlab/organizations.gitlab-ci.yml (validate, plan, apply) as GitLab would, with the
# real cogramctl against a sandbox that serves the two organizations of examples/organizations over HTTP, one key
# each in its root's api_key_env variable, and a stand-in `curl` for the GitLab API. Checks: the merge request note
# holds the totals and a section per organization; the reviewed plan set is applied; a plan set the merged
# manifests no longer call for is refused (exit 3) and nothing is applied; without a reviewed plan set the job fails
# (exit 1) and applies nothing; a missing key stops the plan, naming the variable.
#
# usage: check-gitlab-organizations.sh COGRAMCTL
set -euo pipefail
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "error: $*" >&2; exit 1; }

mkdir -p "$work/bin" "$work/repo" "$work/artifact"
ln -s "$bin" "$work/bin/cogramctl"
python3 - "$root/examples/ci/gitlab/organizations.gitlab-ci.yml" "$work" <<'EOF'
import sys, yaml
pipeline = yaml.safe_load(open(sys.argv[1]))
for job in ("validate", "plan", "apply"):
    # GitLab stops a job at the first failing line of `script`.
    open(f"{sys.argv[2]}/{job}.sh", "w").write("set -eo pipefail\n" + "\n".join(pipeline[job]["script"]) + "\n")
print(pipeline["variables"]["MANIFESTS"], file=open(f"{sys.argv[2]}/manifests", "w"))
EOF
manifests=$(cat "$work/manifests")
cp -R "$root/examples/organizations" "$work/repo/$manifests"

cat > "$work/bin/curl" <<'EOF'
#!/usr/bin/env bash
# The GitLab API as the jobs call it: records each call, keeps the last body sent, answers from fixed documents.
method=GET; out=""; data=""; url=""
while [ $# -gt 0 ]; do
    case "$1" in
        -X) method=$2; shift 2 ;;
        -o) out=$2; shift 2 ;;
        --header) shift 2 ;;
        --data) data=$2; shift 2 ;;
        -*) shift ;;
        *) url=$1; shift ;;
    esac
done
echo "$method $url" >> "$WORK/calls"
[ -n "$data" ] && printf '%s' "$data" > "$WORK/body.json"
case "$url" in
    */notes\?*) echo '[]' ;;
    */notes) echo '{}' ;;
    */repository/commits/reviewed/merge_requests) echo '[{"iid": 5}]' ;;
    */repository/commits/*/merge_requests) echo '[]' ;;
    */merge_requests/5) echo '{"head_pipeline": {"id": 9}}' ;;
    */pipelines/9/jobs) echo '[{"name": "validate", "id": 10}, {"name": "plan", "id": 11}]' ;;
    */jobs/11/artifacts/plan.json) cp "$WORK/artifact/plan.json" "$out" ;;
    *) echo "curl stand-in: unexpected $method $url" >&2; exit 22 ;;
esac
EOF
chmod +x "$work/bin/curl"

# One database holding both organizations (seeded from the seeds beside their roots), a key for each, served.
"$bin" plan "$work/repo/$manifests" --sandbox="$work/db.sqlite" > /dev/null 2>&1
(umask 077
 "$bin" sandbox keys create --db "$work/db.sqlite" --org "Northwind Build UK" --name ci > "$work/uk.key" 2>/dev/null
 "$bin" sandbox keys create --db "$work/db.sqlite" --org "Northwind Build US" --name ci > "$work/us.key" 2>/dev/null)
"$bin" sandbox serve --db "$work/db.sqlite" --port 0 > /dev/null 2> "$work/serve.log" &
server=$!
for _ in $(seq 100); do grep -q 'listening on http' "$work/serve.log" && break; sleep 0.1; done
url=$(grep -o 'listening on http://[0-9.:]*' "$work/serve.log" | sed 's/listening on //')
[ -n "$url" ] || fail "the sandbox did not start: $(cat "$work/serve.log")"

job() { # job NAME [VAR=VALUE...]: runs the job's script in the repository; its exit status
    local name=$1; shift
    (cd "$work/repo" && env PATH="$work/bin:$PATH" WORK="$work" MANIFESTS="$manifests" COGRAM_API_URL="$url/v1" \
        COGRAM_API_KEY_NORTHWIND_UK="$(cat "$work/uk.key")" COGRAM_API_KEY_NORTHWIND_US="$(cat "$work/us.key")" \
        CI_API_V4_URL=https://gitlab.example/api/v4 CI_PROJECT_ID=42 CI_MERGE_REQUEST_IID=5 CI_COMMIT_SHA=reviewed \
        "$@" bash "$work/$name.sh" > "$work/$name.out" 2>&1) && return 0 || return $?
}

job validate || fail "validate exited $?: $(cat "$work/validate.out")"

status=0; job plan || status=$?
[ "$status" -eq 0 ] || fail "plan exited $status: $(tail -n 5 "$work/plan.out")"
body=$(jq -r .body "$work/body.json")
[[ "$body" == '<!-- cogramctl-plan -->'* ]] || fail "the note does not start with its marker"
for heading in "## Northwind Build UK" "## Northwind Build US"; do
    grep -qx "$heading" <<< "$body" || fail "the note has no section '$heading'"
done
grep -q 'Totals: 13 changes in 2 organizations' <<< "$body" || fail "the note has no line of totals"
grep -q '"kind" : "cogramctl-plan-set"' "$work/repo/plan.json" || fail "the plan job did not save a plan set"
for key in uk us; do
    ! grep -rqF "$(cat "$work/$key.key")" "$work/repo" "$work/plan.out" "$work/body.json" || fail "a key was written out"
done

cp "$work/repo/plan.json" "$work/artifact/plan.json"
status=0; job apply || status=$?
[ "$status" -eq 0 ] || fail "apply of the reviewed plan set exited $status: $(tail -n 5 "$work/apply.out")"
grep -q 'Totals: 13 changes applied, 0 failed in 2 organizations' "$work/apply.out" || fail "apply: $(tail -n 3 "$work/apply.out")"

# A plan set reviewed for a change that the merged manifests no longer make: refused, nothing applied.
cp "$work/repo/$manifests/uk/projects.yaml" "$work/projects.yaml"
sed -i 's/Thames Lock Refurbishment/Thames Lock Works/' "$work/repo/$manifests/uk/projects.yaml"
job plan || fail "the second plan exited $?"
cp "$work/repo/plan.json" "$work/artifact/plan.json"
cp "$work/projects.yaml" "$work/repo/$manifests/uk/projects.yaml"
status=0; job apply || status=$?
[ "$status" -eq 3 ] || fail "apply of a plan set the manifests no longer call for exited $status, not 3"
grep -q 'Totals: 0 changes applied' "$work/apply.out" || fail "a refused plan set applied: $(tail -n 3 "$work/apply.out")"

status=0; job apply CI_COMMIT_SHA=pushed || status=$?
[ "$status" -eq 1 ] || fail "apply without a reviewed plan set exited $status, not 1"
grep -q 'No plan set reviewed' "$work/apply.out" || fail "apply without a reviewed plan set: $(cat "$work/apply.out")"

status=0; job plan COGRAM_API_KEY_NORTHWIND_US= || status=$?
[ "$status" -eq 1 ] || fail "plan without one organization's key exited $status, not 1"
grep -q 'no Cogram API key in COGRAM_API_KEY_NORTHWIND_US' "$work/plan.out" || fail "the missing key is not named"
echo "ok: the GitLab organizations pipeline plans, notes, applies the reviewed plan set and refuses the rest"
