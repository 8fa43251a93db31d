#!/usr/bin/env bash
# Checks a release archive from scripts/release.sh the way a user's machine would meet it: the checksum
# matches, the binary runs with an empty environment (no PATH, no HOME, no Swift toolchain), and it needs no
# Swift runtime library (ldd lists none of libswift*, libFoundation*, libdispatch, libBlocksRuntime), the
# archive carries schemas/, examples/ and docs/, and every packed schema is what the packed binary's
# `cogramctl schema NAME` prints.
#
# Usage: scripts/check-release.sh dist/cogramctl-VERSION-linux-ARCH.tar.gz
set -euo pipefail
archive="${1:?usage: scripts/check-release.sh ARCHIVE}"
(cd "$(dirname "$archive")" && sha256sum --check --strict "$(basename "$archive").sha256")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -C "$work" -xzf "$archive"
name=$(basename "$archive" .tar.gz)
root="$work/$name"
binary="$root/bin/cogramctl"
for file in bin/cogramctl share/man/man1/cogramctl.1 completions/cogramctl.bash completions/_cogramctl completions/cogramctl.fish README.md \
    SECURITY.md schemas/cogram-manifest.v1.schema.json schemas/cogramctl-plan.v1.schema.json \
    schemas/cogramctl-plan-set.v1.schema.json schemas/cogramctl-drift.v1.schema.json \
    schemas/cogramctl-access.v1.schema.json schemas/cogramctl-drift-set.v1.schema.json \
    schemas/cogramctl-access-set.v1.schema.json schemas/cogramctl-apply-report-set.v1.schema.json schemas/cogram-api.v1.openapi.yaml examples/northwind/organization.yaml \
    examples/ci/github/cogram-plan.yml docs/manifest.md docs/import.md docs/ci.md; do
    [ -s "$root/$file" ] || { echo "error: $file is missing from the archive" >&2; exit 1; }
done

echo "== ldd"
ldd "$binary" | tee "$work/ldd.txt"
if grep -E 'libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime|libicu' "$work/ldd.txt"; then
    echo "error: the binary needs a Swift runtime library (listed above)" >&2
    exit 1
fi
if grep 'not found' "$work/ldd.txt"; then
    echo "error: the binary needs a library this system lacks" >&2
    exit 1
fi

echo "== run with an empty environment"
version=$(env -i "$binary" --version)
echo "cogramctl --version: $version"
case "$name" in
    cogramctl-"$version"-linux-*) ;;
    *) echo "error: the archive is named $name but the binary says $version" >&2; exit 1 ;;
esac
cat > "$work/manifest.yaml" <<'YAML'
version: 1
projects:
  - external_id: release-check
    name: Release check
YAML
(cd "$work" && env -i "$binary" validate manifest.yaml)

echo "== packed schemas against the packed binary"
for pair in manifest:cogram-manifest plan:cogramctl-plan plan-set:cogramctl-plan-set drift:cogramctl-drift access:cogramctl-access drift-set:cogramctl-drift-set access-set:cogramctl-access-set apply-report-set:cogramctl-apply-report-set; do
    env -i "$binary" schema "${pair%%:*}" > "$work/printed.json"
    cmp "$work/printed.json" "$root/schemas/${pair#*:}.v1.schema.json" \
        || { echo "error: schemas/${pair#*:}.v1.schema.json differs from \`cogramctl schema ${pair%%:*}\`" >&2; exit 1; }
done
# The packed examples load with the packed binary, their modelines resolving inside the archive.
(cd "$root" && env -i bin/cogramctl validate examples/northwind >/dev/null)
grep -q '^# yaml-language-server: \$schema=../../schemas/cogram-manifest.v1.schema.json' "$root/examples/northwind/organization.yaml" \
    && [ -f "$root/examples/northwind/../../schemas/cogram-manifest.v1.schema.json" ] \
    || { echo "error: the packed examples' schema modeline does not resolve inside the archive" >&2; exit 1; }
(cd "$work" && env -i "$binary" plan manifest.yaml --sandbox="$work/sandbox.sqlite" >/dev/null)
echo "release archive OK: $archive"
