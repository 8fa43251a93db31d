#!/usr/bin/env python3
"""Runs the issue-keeping scripts of the example drift workflows (GitHub: the step "Keep one issue per
organization" of examples/ci/github/cogram-drift.yml; GitLab: the job `drift` of examples/ci/gitlab/.gitlab-ci.yml)
with stand-ins for `gh`, `curl` and `cogramctl` on PATH, and checks that they keep one issue per organization:
opened on drift, its body updated while the drift lasts (the same issue, not a second one), closed when it is gone,
and left alone when the check fails. Every other script of the two drift loops is checked with `bash -n`.

usage: check-drift-loop.py COGRAMCTL

COGRAMCTL makes a real Markdown report and metrics file (a drift of examples/northwind against a fresh embedded
sandbox); the stand-in `cogramctl` of the GitLab job replays them with the exit status a scenario asks for.
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent

GH = """#!/bin/bash
# Records each call; `gh issue list` answers with the open issues of the scenario.
printf '%s\\n' "$*" >> "$CALLS"
if [ "$1 $2" = "issue list" ]; then cat "$OPEN_ISSUES"; fi
if [ "$1 $2" = "issue create" ] || [ "$1 $2" = "issue edit" ]; then
    while [ $# -gt 0 ]; do [ "$1" = --body-file ] && cp "$2" "$WORK/posted.md"; shift; done
fi
exit 0
"""

CURL = """#!/bin/bash
# Records method, URL and body of each call; a GET of the issues answers with the open issues of the scenario.
method=GET; url=""; data=""
while [ $# -gt 0 ]; do
    case "$1" in
        -X) method=$2; shift ;;
        --data) data=$2; shift ;;
        --header) shift ;;
        -*) ;;
        *) url=$1 ;;
    esac
    shift
done
[ "$data" = "@-" ] && data=$(cat)
printf '%s %s %s\\n' "$method" "$url" "$(printf '%s' "$data" | tr '\\n' ' ' | cut -c1-200)" >> "$CALLS"
[ -n "$data" ] && printf '%s' "$data" > "$WORK/posted.json"
if [ "$method" = GET ]; then cat "$OPEN_ISSUES"; fi
exit 0
"""

COGRAMCTL = """#!/bin/bash
# Replays a real report: Markdown on stdout, the metrics file where --metrics points, the scenario's exit status.
while [ $# -gt 0 ]; do [ "$1" = --metrics ] && cp "$WORK/real.prom" "$2"; shift; done
cat "$WORK/real.md"
exit "$STATUS"
"""


def github_script():
    workflow = yaml.safe_load((ROOT / "examples/ci/github/cogram-drift.yml").read_text())
    steps = workflow["jobs"]["drift"]["steps"]
    return next(s["run"] for s in steps if s.get("name") == "Keep one issue per organization")


def gitlab_script():
    pipeline = yaml.safe_load((ROOT / "examples/ci/gitlab/.gitlab-ci.yml").read_text())
    return "\n".join(pipeline["drift"]["script"])


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 64
    cogramctl = os.path.abspath(sys.argv[1])
    problems = []
    # The scripts this check cannot run (the adopt jobs, the drift step itself) parse at least.
    workflow = yaml.safe_load((ROOT / "examples/ci/github/cogram-drift.yml").read_text())
    pipeline = yaml.safe_load((ROOT / "examples/ci/gitlab/.gitlab-ci.yml").read_text())
    scripts = [(f"{job}: {step.get('name', 'step')}", step["run"])
               for job, body in workflow["jobs"].items() for step in body["steps"] if "run" in step]
    scripts += [(job, "\n".join(pipeline[job]["script"])) for job in ("drift", "drift-adopt")]
    for name, script in scripts:
        syntax = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True)
        if syntax.returncode != 0:
            problems.append(f"{name}: {syntax.stderr.strip()}")
    with tempfile.TemporaryDirectory(prefix="cogramctl-drift-loop-") as temp:
        work = pathlib.Path(temp)
        bin_dir = work / "bin"
        bin_dir.mkdir()
        for name, text in (("gh", GH), ("curl", CURL), ("cogramctl", COGRAMCTL)):
            (bin_dir / name).write_text(text)
            (bin_dir / name).chmod(0o755)
        with open(work / "real.md", "w") as md:
            status = subprocess.run(
                [cogramctl, "drift", "examples/northwind", f"--sandbox={work / 'sandbox.sqlite'}", "--format", "markdown",
                 "--metrics", str(work / "real.prom")], cwd=ROOT, stdout=md, stderr=subprocess.DEVNULL).returncode
        if status != 2:
            print(f"error: drift of examples/northwind on a fresh sandbox exited {status}, not 2", file=sys.stderr)
            return 1
        prom = (work / "real.prom").read_text()
        # A name that needs the label's escaping undone.
        (work / "real.prom").write_text(prom.replace('organization="unnamed"', 'organization="Acme \\"US\\""'))
        title = 'Drift: Acme "US"'

        def run(platform, status, open_issues):
            calls = work / "calls"
            calls.write_text("")
            for leftover in ("posted.md", "posted.json"):
                (work / leftover).unlink(missing_ok=True)
            run_dir = work / "run"
            run_dir.mkdir(exist_ok=True)
            env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", CALLS=str(calls), WORK=str(work),
                       OPEN_ISSUES=str(work / "open.json"), STATUS=str(status))
            if platform == "github":
                (work / "open.json").write_text(json.dumps([{"number": n, "title": t} for n, t in open_issues]))
                subprocess.run(["cp", work / "real.md", run_dir / "drift.md"], check=True)
                subprocess.run(["cp", work / "real.prom", run_dir / "drift.prom"], check=True)
                env.update(GH_TOKEN="token", ROOT="manifests", RUN_URL="https://github.example/run/1")
                script = github_script()
            else:
                (work / "open.json").write_text(json.dumps([{"iid": n, "title": t} for n, t in open_issues]))
                env.update(MANIFESTS="manifests", COGRAM_READ_API_KEY="key", COGRAM_NOTE_TOKEN="token",
                           CI_API_V4_URL="https://gitlab.example/api/v4", CI_PROJECT_ID="42",
                           CI_JOB_URL="https://gitlab.example/job/1")
                script = gitlab_script()
            result = subprocess.run(["bash", "-eo", "pipefail", "-c", script], cwd=run_dir, env=env,
                                    capture_output=True, text=True)
            return result.returncode, calls.read_text().splitlines(), result.stderr

        def expect(condition, what):
            if not condition:
                problems.append(what)

        for platform in ("github", "gitlab"):
            # Drift, no open issue: one issue is opened with the report and both ways out.
            code, calls, err = run(platform, 2, [(3, "Drift: other")])
            expect(code == 0, f"{platform}, new drift: exit {code}: {err}")
            if platform == "github":
                created = [c for c in calls if c.startswith("issue create")]
                expect(len(created) == 1 and f"--title {title} --label cogram-drift" in created[0], f"{platform}: {calls}")
                posted = (work / "posted.md").read_text() if (work / "posted.md").exists() else ""
            else:
                created = [c for c in calls if c.startswith("POST https://gitlab.example/api/v4/projects/42/issues ")]
                expect(len(created) == 1, f"{platform}, new drift: {calls}")
                document = json.loads((work / "posted.json").read_text()) if (work / "posted.json").exists() else {}
                expect(document.get("title") == title and document.get("labels") == "cogram-drift", f"{platform}: {document}")
                posted = document.get("description", "")
            for text in ("cogramctl plan manifests --out plan.json", "cogramctl apply plan.json --manifests manifests",
                         "--adopt", "Drift in the unnamed organization"):
                expect(text in posted, f"{platform}: the issue body lacks {text!r}")

            # Drift, the issue is open: that issue is updated, nothing new is opened.
            code, calls, err = run(platform, 2, [(3, "Drift: other"), (7, title)])
            expect(code == 0, f"{platform}, lasting drift: exit {code}: {err}")
            if platform == "github":
                expect(any(c.startswith("issue edit 7 ") for c in calls) and not any(c.startswith("issue create") for c in calls),
                       f"{platform}, lasting drift: {calls}")
            else:
                expect(any(c.startswith("PUT https://gitlab.example/api/v4/projects/42/issues/7 ") and "description" in c for c in calls)
                       and not any(c.startswith("POST https://gitlab.example/api/v4/projects/42/issues ") for c in calls),
                       f"{platform}, lasting drift: {calls}")

            # No drift: the open issue is closed.
            code, calls, err = run(platform, 0, [(7, title)])
            expect(code == 0, f"{platform}, drift gone: exit {code}: {err}")
            if platform == "github":
                expect(any(c.startswith("issue close 7 ") for c in calls), f"{platform}, drift gone: {calls}")
            else:
                expect(any(c.startswith("PUT https://gitlab.example/api/v4/projects/42/issues/7 ") and "close" in c for c in calls),
                       f"{platform}, drift gone: {calls}")

        # GitLab: a failed check (exit 1) fails the job and touches no issue. (GitHub: the step before fails.)
        code, calls, err = run("gitlab", 1, [(7, title)])
        expect(code == 1 and calls == [], f"gitlab, failed check: exit {code}, calls {calls}")

    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    print("drift loop: GitHub and GitLab open, update and close one issue per organization: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
