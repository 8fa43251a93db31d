#!/usr/bin/env bash
# Puts cogramctl on the job's PATH for the cogramctl GitHub Action (action.yml).
#
# With COGRAMCTL_VERSION (the action's `version` input): downloads the release asset
# cogramctl-VERSION-linux-ARCH.tar.gz of COGRAMCTL_REPOSITORY and its .sha256, refuses it unless the checksum
# matches, and unpacks it. Without: builds the action's own source in release mode (the step before restores
# .build from actions/cache, so that only the first run of a commit pays for the build).
set -euo pipefail

: "${GITHUB_PATH:?GITHUB_PATH must be set (this script runs as a GitHub Actions step)}"
action_path="${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/../.." && pwd)}"
version="${COGRAMCTL_VERSION:-}"
version="${version#v}"

if [ -n "$version" ]; then
    case "$(uname -s)-$(uname -m)" in
        Linux-x86_64) arch=x86_64 ;;
        Linux-aarch64 | Linux-arm64) arch=aarch64 ;;
        *) echo "::error title=cogramctl::release builds exist for Linux x86_64 and aarch64 only; leave the version input empty to build from source"; exit 1 ;;
    esac
    : "${COGRAMCTL_REPOSITORY:?COGRAMCTL_REPOSITORY (owner/name of the release) must be set}"
    name="cogramctl-$version-linux-$arch"
    url="${GITHUB_SERVER_URL:-https://github.com}/$COGRAMCTL_REPOSITORY/releases/download/v$version"
    directory="${RUNNER_TEMP:-/tmp}/cogramctl-$version"
    mkdir -p "$directory"
    cd "$directory"
    curl --fail --silent --show-error --location --retry 3 -o "$name.tar.gz" "$url/$name.tar.gz"
    curl --fail --silent --show-error --location --retry 3 -o "$name.tar.gz.sha256" "$url/$name.tar.gz.sha256"
    if ! sha256sum --check --strict "$name.tar.gz.sha256"; then
        echo "::error title=cogramctl::the SHA-256 of $name.tar.gz does not match its .sha256; refusing to run it"
        exit 1
    fi
    tar -xzf "$name.tar.gz"
    echo "$directory/$name/bin" >> "$GITHUB_PATH"
    "$directory/$name/bin/cogramctl" --version
else
    if ! command -v swift >/dev/null; then
        echo "::error title=cogramctl::building from source needs Swift 6 on the runner (for example a swift:6.2 container); or set the version input to download a release"
        exit 1
    fi
    missing=()
    for package in libyaml-dev libsqlite3-dev; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
    fi
    swift build -c release --product cogramctl --package-path "$action_path"
    echo "$action_path/.build/release" >> "$GITHUB_PATH"
    "$action_path/.build/release/cogramctl" --version
fi
