#!/usr/bin/env bash
# The hot path per platform (decode + normalize + diff + encode of one snapshot), with ordo-one/benchmark:
# throughput, wall clock and mallocs per snapshot. Builds the separate package in Benchmarks/ (release) first.
set -euo pipefail
cd "$(dirname "$0")/../Benchmarks"
swift package benchmark --target HotPath --no-progress --metric throughput --metric wallClock --metric mallocCountTotal "$@"
