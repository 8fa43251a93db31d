#!/usr/bin/env bash
# Prints the path of the official SARIF 2.1.0 JSON Schema (OASIS, oasis-tcs/sarif-spec), downloading it once into
# .build/vendor/ from a pinned commit and checking its sha256. It is not committed: it is OASIS's file, and CI
# only needs it to check `cogramctl validate --format sarif` (see schemas/vendor/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
commit=e0583813964ec43cea53b6b531b402866095ed1f
sha256=c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e
url="https://raw.githubusercontent.com/oasis-tcs/sarif-spec/$commit/sarif-2.1/schema/sarif-schema-2.1.0.json"
file=.build/vendor/sarif-2.1.0.json
if ! echo "$sha256  $file" | sha256sum --check --status 2>/dev/null; then
    mkdir -p "$(dirname "$file")"
    curl --fail --silent --show-error --location --retry 3 --output "$file.tmp" "$url"
    echo "$sha256  $file.tmp" | sha256sum --check --status \
        || { echo "error: $url does not have the expected sha256 $sha256" >&2; rm -f "$file.tmp"; exit 1; }
    mv "$file.tmp" "$file"
fi
echo "$file"
