#!/usr/bin/env bash
# libFuzzer for the manifest loader (Fuzz/ManifestFuzzer.swift), built outside SwiftPM with swiftc.
#
#   scripts/fuzz.sh build            compile .build-fuzz/manifest-fuzzer (-sanitize=fuzzer,address)
#   scripts/fuzz.sh run [SECONDS]    fuzz for SECONDS (default 60); exit non-zero on any crash, leak, timeout
#                                    or out-of-memory; reproducers go to fuzz-artifacts/
#   scripts/fuzz.sh repro FILE...    run the fuzzer once on each FILE (to replay a crash)
#
# Needs: the Swift toolchain (it ships libFuzzer and ASan: usr/lib/clang/*/lib/linux/libclang_rt.fuzzer*.a)
# and libyaml-dev. Environment: FUZZ_JOBS (parallel workers, default 1), FUZZ_ARGS (extra libFuzzer flags).
set -euo pipefail
cd "$(dirname "$0")/.."

out=.build-fuzz
binary="$out/manifest-fuzzer"
corpus="$out/corpus"        # grows while fuzzing; not committed
artifacts=fuzz-artifacts    # crashes, timeouts, OOMs (gitignored)

build() {
    mkdir -p "$out/modules"
    local flags=(-sanitize=fuzzer,address -parse-as-library -Onone -g -swift-version 6 -enable-upcoming-feature ExistentialAny)
    # CogramCore first, as the module CogramManifest re-exports (instrumented too: its rules run on every input).
    swiftc "${flags[@]}" -module-name CogramCore -emit-module -emit-module-path "$out/modules/CogramCore.swiftmodule" \
        -emit-library -static -o "$out/libCogramCore.a" Sources/CogramCore/*.swift
    # The C shim the loader's file writer imports (`syncfs`), with a module map of its own (SwiftPM makes one).
    mkdir -p "$out/CFileSync"
    printf 'module CFileSync {\n    header "%s"\n    export *\n}\n' "$PWD/Sources/CFileSync/include/CFileSync.h" \
        > "$out/CFileSync/module.modulemap"
    clang -c -fsanitize=address -O0 -g -I Sources/CFileSync/include -o "$out/CFileSync.o" Sources/CFileSync/CFileSync.c
    # One module of the loader's sources plus the entry file: internals stay reachable, SwiftPM is not involved.
    # -parse-as-library: the entry file has top-level declarations only; libFuzzer provides main.
    local sources=()
    while IFS= read -r -d '' file; do sources+=("$file"); done < <(find Sources/CogramManifest -name '*.swift' -print0 | sort -z)
    swiftc "${flags[@]}" -use-ld=lld \
        -module-name CogramManifest \
        -I Sources/CLibYAML -lyaml -I "$out/modules" -L "$out" -lCogramCore -I "$out/CFileSync" "$out/CFileSync.o" \
        "${sources[@]}" Fuzz/ManifestFuzzer.swift \
        -o "$binary"
    echo "built $binary"
}

# Seeds: the valid examples, the invalid examples with their expected diagnostics, the hostile corpus.
seed() {
    local seeds="$out/seeds"
    rm -rf "$seeds"
    mkdir -p "$seeds" "$corpus"
    local n=0
    while IFS= read -r -d '' file; do
        n=$((n + 1))
        cp "$file" "$seeds/$(printf '%04d' "$n")-$(basename "$file")"
    done < <(find examples/northwind examples/invalid Tests/CogramManifestTests/Hostile -type f \
        \( -name '*.yaml' -o -name '*.yml' -o -name '*.bin' \) -size -64k -print0 | sort -z)
    echo "$n seed files" >&2
}

run() {
    local seconds="${1:-60}"
    [ -x "$binary" ] || build
    seed
    mkdir -p "$artifacts"
    # -timeout: one input taking 10 s is a bug (the loader's budget is 2 s); -rss_limit_mb: the limits bound
    # memory, so 2 GiB means a leak or a missing limit. Exit status is libFuzzer's: non-zero on any finding.
    local status=0 parallel=()
    # Leaks of libraries below cogramctl are listed, with the reason, in Fuzz/lsan.supp (an absolute path: -jobs
    # changes the working directory).
    local suppressions="$PWD/Fuzz/lsan.supp"
    # The format's words and the alias, merge-key and block-scalar constructs the loader's limits guard.
    local dictionary="$PWD/Fuzz/manifest.dict"
    # -jobs makes libFuzzer write fuzz-N.log files into the working directory: keep them beside the corpus.
    if [ "${FUZZ_JOBS:-1}" -gt 1 ]; then parallel=(-jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS"); cd "$out"; artifacts="../$artifacts"; binary="./manifest-fuzzer"; corpus=corpus; seeds=seeds; else seeds="$out/seeds"; fi
    # shellcheck disable=SC2086
    LSAN_OPTIONS="suppressions=$suppressions${LSAN_OPTIONS:+:$LSAN_OPTIONS}" "$binary" "$corpus" "$seeds" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -dict="$dictionary" "${parallel[@]}" \
        -artifact_prefix="$artifacts/" -print_final_stats=1 ${FUZZ_ARGS:-} || status=$?
    if [ "$status" -ne 0 ]; then
        echo "fuzz: libFuzzer exited with $status; reproducers in $artifacts/:" >&2
        ls -l "$artifacts" >&2 || true
        exit "$status"
    fi
    echo "fuzz: no crash in ${seconds}s"
}

repro() {
    [ -x "$binary" ] || build
    "$binary" -runs=1 "$@"
}

case "${1:-}" in
    build) build ;;
    run) shift; run "$@" ;;
    repro) shift; repro "$@" ;;
    *) echo "usage: $0 build | run [SECONDS] | repro FILE..." >&2; exit 64 ;;
esac
