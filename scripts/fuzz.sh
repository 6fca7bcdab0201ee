#!/usr/bin/env bash
# Coverage-guided fuzzing of the payload decoders with libFuzzer (Fuzz/FuzzDecoders.swift compiled with the Core's
# sources, AddressSanitizer on). Runs for SECONDS (default 60), from the seeds in Fuzz/seeds plus the corpus it
# grew before (.build/fuzz/corpus). A crash leaves its input in .build/fuzz/ and exits non-zero.
#   scripts/fuzz.sh [SECONDS] [libFuzzer options…]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
mkdir -p .build/fuzz/corpus
swiftc -parse-as-library -swift-version 6 -O -g -sanitize=fuzzer,address -module-name ConvoBridgeFuzz \
    -enable-upcoming-feature ExistentialAny -enable-upcoming-feature InternalImportsByDefault \
    $(find Sources/ConvoBridgeCore -name '*.swift' | sort) Fuzz/FuzzDecoders.swift -o .build/fuzz/decoders
cd .build/fuzz
exec ./decoders -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 "$@" corpus ../../Fuzz/seeds
