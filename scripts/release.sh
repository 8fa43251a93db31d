#!/usr/bin/env bash
# Builds the release artifacts of cogramctl for this machine's architecture:
#
#   dist/cogramctl-VERSION-linux-ARCH.tar.gz          the archive
#   dist/cogramctl-VERSION-linux-ARCH.tar.gz.sha256   its checksum, in `sha256sum --check` format
#
# The archive holds cogramctl-VERSION-linux-ARCH/ with bin/cogramctl (release build, the Swift runtime and
# Foundation linked statically, libyaml and SQLite too where their archives are installed, stripped),
# share/man/man1/cogramctl.1 (swift-argument-parser's GenerateManual plugin), completions for bash, zsh and fish,
# README.md and SECURITY.md, and the repository's schemas/, examples/ and docs/ (what git tracks there), so that
# a user of the release can wire up an editor, copy an example pipeline and read the docs offline; the links
# between README, docs and schemas stay relative and resolve inside the archive. VERSION is what
# `cogramctl --version` prints.
#
# Usage: scripts/release.sh [--check]
#   --check  afterwards, run scripts/check-release.sh on the archive (empty environment, no Swift runtime library).
# RELEASE_SCRATCH_PATH: SwiftPM's build folder for the release build (default .build), e.g. to keep it apart from
# the debug one that other commands are using. MANUAL_SCRATCH_PATH: the build folder the GenerateManual plugin
# builds the package in, in debug mode (default: RELEASE_SCRATCH_PATH); point it at the folder of an existing debug
# build so that the plugin reuses it (CI passes .build while the release build goes to .build-release).
set -euo pipefail
cd "$(dirname "$0")/.."

case "$(uname -m)" in
    x86_64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) echo "error: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac

scratch="${RELEASE_SCRATCH_PATH:-.build}"

# libyaml and SQLite from their archives where the system has them (Debian's libyaml-dev and libsqlite3-dev do):
# a folder that holds only the archives, named by a private yaml-0.1.pc whose `-L` comes first on the link line
# (the system's pkg-config file would put /usr/lib/ARCH first, where the linker finds the shared libraries).
# SQLite's `-lsqlite3` is found in the same folder.
static_libraries="$(pwd)/$scratch/release-static-libraries"
rm -rf "$static_libraries"
mkdir -p "$static_libraries/pkgconfig"
linked_statically=()
libdir="$(pkg-config --variable=libdir yaml-0.1 2>/dev/null || echo /usr/lib)"
for library in yaml sqlite3; do
    if [ -f "$libdir/lib$library.a" ]; then
        ln -s "$libdir/lib$library.a" "$static_libraries/lib$library.a"
        linked_statically+=("$library")
    fi
done
if [ ${#linked_statically[@]} -gt 0 ]; then
    cat > "$static_libraries/pkgconfig/yaml-0.1.pc" <<PC
Name: yaml-0.1
Description: libyaml, linked from its archive
Version: $(pkg-config --modversion yaml-0.1)
Libs: -L$static_libraries -lyaml
PC
    export PKG_CONFIG_PATH="$static_libraries/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
fi
echo "linking statically: Swift runtime, Foundation${linked_statically[*]:+, ${linked_statically[*]}}"

started=$(date +%s)
# SwiftPM keeps the build description of an earlier release build made without --static-swift-stdlib (it does not
# count that flag as a change) and would link the runtime dynamically again: remove the description and the binary,
# so that this link is the static one whatever built the release configuration before.
rm -f "$scratch/release.yaml" "$scratch/release/description.json" "$scratch/release/cogramctl"
swift build -c release --scratch-path "$scratch" --product cogramctl --static-swift-stdlib
echo "release build: $(( $(date +%s) - started )) s"

binary="$scratch/release/cogramctl"
for library in ${linked_statically[@]+"${linked_statically[@]}"}; do
    if ldd "$binary" | grep -q "lib$library"; then
        echo "error: lib$library was to be linked from its archive, but the binary loads the shared library" >&2
        exit 1
    fi
done
version=$("$binary" --version)
name="cogramctl-$version-linux-$arch"
stage="dist/$name"
rm -rf "$stage" "dist/$name.tar.gz" "dist/$name.tar.gz.sha256"
mkdir -p "$stage/bin" "$stage/share/man/man1" "$stage/completions"

cp "$binary" "$stage/bin/cogramctl"
strip "$stage/bin/cogramctl"
"$stage/bin/cogramctl" --generate-completion-script bash > "$stage/completions/cogramctl.bash"
"$stage/bin/cogramctl" --generate-completion-script zsh > "$stage/completions/_cogramctl"
"$stage/bin/cogramctl" --generate-completion-script fish > "$stage/completions/cogramctl.fish"
cp README.md SECURITY.md "$stage/"
# Only tracked files: an untracked scratch file in examples/ must not ship. Without git (an unpacked source
# archive) everything in the folders is copied.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z -- schemas examples docs | xargs -0 cp --parents -t "$stage/"
else
    cp -R schemas examples docs "$stage/"
fi

# The man page from the command's own help. The plugin builds its generator from the swift-argument-parser
# checkout in .build, so it needs no network once the package's dependencies are resolved. It takes no product
# name: it builds the whole package (in debug mode here, so that it reuses the test build and leaves the static
# release binary alone) and writes a manual for every executable that uses ArgumentParser, cogram-bench's too,
# each in a folder of its own; only cogramctl's goes into the archive.
manual_scratch="${MANUAL_SCRATCH_PATH:-$scratch}"
manual_output="$manual_scratch/plugins/GenerateManual/outputs/cogramctl"
if swift package --scratch-path "$manual_scratch" --disable-sandbox plugin generate-manual --configuration debug \
    >/dev/null 2>"$manual_scratch/generate-manual.log" \
    && [ -f "$manual_output/cogramctl.1" ]; then
    cp "$manual_output"/*.1 "$stage/share/man/man1/"
else
    echo "error: the GenerateManual plugin failed; see $manual_scratch/generate-manual.log" >&2
    exit 1
fi

tar -C dist -czf "dist/$name.tar.gz" --owner=0 --group=0 --numeric-owner "$name"
(cd dist && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")
rm -rf "$stage"
ls -l "dist/$name.tar.gz"
cat "dist/$name.tar.gz.sha256"

if [ "${1:-}" = --check ]; then
    bash scripts/check-release.sh "dist/$name.tar.gz"
fi
