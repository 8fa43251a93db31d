#!/usr/bin/env bash
# Runs the cogramctl-validate hook of .pre-commit-hooks.yaml through pre-commit itself, on a scratch repository
# with valid manifests (the hook passes) and then an invalid one (the hook fails and shows the error).
#
# Usage: scripts/check-pre-commit-hook.sh PATH-TO-COGRAMCTL
set -euo pipefail
binary="$(cd "$(dirname "${1:?usage: scripts/check-pre-commit-hook.sh PATH-TO-COGRAMCTL}")" && pwd)/$(basename "$1")"
repository="$(cd "$(dirname "$0")/.." && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/project/manifests"
ln -s "$binary" "$work/bin/cogramctl"
export PATH="$work/bin:$PATH" PRE_COMMIT_HOME="$work/cache"
cp "$repository"/examples/northwind/*.yaml "$work/project/manifests/"
cd "$work/project"
git init -q .
git add manifests

pre-commit try-repo "$repository" cogramctl-validate --all-files
printf 'version: 1\nprojects:\n  - external_id: broken\n    nmae: Broken\n' > manifests/broken.yaml
git add manifests/broken.yaml
if output=$(pre-commit try-repo "$repository" cogramctl-validate --all-files 2>&1); then
    echo "$output"
    echo "error: the hook passed invalid manifests" >&2
    exit 1
fi
echo "$output" | grep -q "manifests/broken.yaml:4:5: error:" || { echo "$output"; echo "error: the hook did not show the error" >&2; exit 1; }
echo "pre-commit hook OK"
