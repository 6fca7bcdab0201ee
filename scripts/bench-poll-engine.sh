#!/usr/bin/env bash
# The poll engine against wrk (the ceiling) and a 50-line Python poller, on one static nginx endpoint, in one run.
# Usage: scripts/bench-poll-engine.sh [N=10000] [INTERVAL=0.25] [DURATION=20]
# Needs nginx and wrk (apt-get install nginx-light wrk) and, for the Python poller, aiohttp and confluent-kafka (pip).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import aiohttp, confluent_kafka" 2>/dev/null || pip install -q aiohttp confluent-kafka
swift build -c release --product convobridge >&2
CONVOBRIDGE=.build/release/convobridge exec python3 Benchmarks/poll-engine/bench_poll_engine.py "$@"
