#!/usr/bin/env bash
# Discovery of N conversations through Advisor pages, against the target N / RATE + 2 s.
# Usage: scripts/bench-discovery.sh [N=1000] [RATE=500]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product convobridge >&2
CONVOBRIDGE=.build/release/convobridge exec python3 Benchmarks/poll-engine/bench_discovery.py "$@"
