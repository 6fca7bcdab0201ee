#!/usr/bin/env bash
# The simulator's throughput (release build): `convobridge simulate` in one process, load from another.
#  1. wrk, 1 thread, 32 keep-alive connections, 10 s: the server alone.
#  2. convobridge bench-simulator: the same endpoint through ConvoBridge's own HTTP client and Jelou adapter
#     (rate limiter, JSON parsing, normalization), i.e. client and server sharing the machine.
# Usage: scripts/bench-simulator.sh [REQUESTS] [CONCURRENCY]
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-200000}
concurrency=${2:-32}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
swift build -c release --product convobridge >&2
bin=.build/release/convobridge
work=$(mktemp -d)
trap 'kill "$simulator" 2>/dev/null || true; wait "$simulator" 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin" simulate --port 0 --population 200 --log-level warning >"$work/url" &
simulator=$!
for _ in $(seq 100); do [ -s "$work/url" ] && break; sleep 0.1; done
url=$(head -1 "$work/url")
echo "wrk, 32 connections, 10 s:"
wrk -t1 -c"$concurrency" -d10s -H 'x-api-key: sim-api-key' "$url/jelouapi/v1/external-support/sim-project/conversations/conv-000042" \
    | grep -E "Requests/sec|requests in|Latency"
echo "convobridge bench-simulator (ConvoBridge's client + Jelou adapter):"
"$bin" bench-simulator --url "$url" --requests "$requests" --concurrency "$concurrency" --conversations 200 --log-level warning
