#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer and AddressSanitizer (the Fuzz/ package), one fuzzer after the other:
#   decoders       the JSON parser, every platform's payload and webhook readers, then merge, diff and encoding of what
#                  they read (events and state record); the time, time-span and Retry-After parsers
#   webhooks       the HMAC-SHA256 and shared-secret checks, and the reading of an accepted body
#   configuration  `convobridge run --config`: YAML, environment overrides, validation
# Each runs for SECONDS (default 60) from its seeds plus the corpus it grew before (.build/fuzz/NAME/corpus). A crash,
# a hang (over 5 s), 2 GB of memory or a broken rule in the harness is a finding: its input is left in
# .build/fuzz/NAME/ (crash-…, timeout-…, oom-…), the end of the log is shown, and the script exits 1. Replay one with
# `Fuzz/.build/release/FuzzNAME .build/fuzz/NAME/crash-…` (FuzzDecoders, FuzzWebhooks, FuzzConfiguration).
#   scripts/fuzz.sh [SECONDS] [decoders|webhooks|configuration …]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
fuzzers=("$@")
[ ${#fuzzers[@]} -gt 0 ] || fuzzers=(decoders webhooks configuration)
for fuzzer in "${fuzzers[@]}"; do
    case "$fuzzer" in
        decoders | webhooks | configuration) ;;
        *) echo "fuzz.sh: unknown fuzzer '$fuzzer' (decoders, webhooks or configuration)" >&2; exit 2 ;;
    esac
done

seeds_for() {
    case "$1" in
        decoders) echo Fuzz/seeds/decoders ;;
        webhooks) echo Fuzz/seeds/webhooks ;;
        # Past findings, the example configurations and every bad file the tests refuse.
        configuration) echo Fuzz/seeds/configuration config Tests/Fixtures/bad-configs ;;
    esac
}

product_for() {
    case "$1" in
        decoders) echo FuzzDecoders ;;
        webhooks) echo FuzzWebhooks ;;
        configuration) echo FuzzConfiguration ;;
    esac
}

# lld: GNU gold stops with an internal error on these sanitized objects.
build=(swift build --package-path Fuzz -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld)
status=0
for fuzzer in "${fuzzers[@]}"; do
    read -r -a seeds <<< "$(seeds_for "$fuzzer")"
    product="$(product_for "$fuzzer")"
    echo "── building $product"
    workdir=".build/fuzz/$fuzzer"
    mkdir -p "$workdir/corpus"
    if ! "${build[@]}" --product "$product" > "$workdir/build.log" 2>&1; then
        grep -E "error:" -A4 "$workdir/build.log" >&2 || tail -n 40 "$workdir/build.log" >&2
        echo "fuzz.sh: $product did not build (log: $workdir/build.log)" >&2
        exit 1
    fi
    grep -E "^Build of product" "$workdir/build.log" || true
    binary="Fuzz/.build/release/$product"
    echo "── fuzzing $fuzzer for ${seconds}s (seeds: ${seeds[*]})"
    # Swift's backtracer off: AddressSanitizer reports the crash, and the two together garble it.
    if SWIFT_BACKTRACE=enable=no "$binary" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$workdir/" "$workdir/corpus" "${seeds[@]}" > "$workdir/log" 2>&1; then
        grep -E "^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)" "$workdir/log" \
            | sed "s/^stat::/   $fuzzer /"
    else
        echo "fuzz.sh: $fuzzer found a problem; the input is in $workdir/, the log in $workdir/log:" >&2
        tail -n 40 "$workdir/log" >&2
        status=1
    fi
done
exit "$status"
