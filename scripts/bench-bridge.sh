#!/usr/bin/env bash
# The whole bridge under load: simulator, embedded broker and bridge as processes (release build), N watched
# conversations polled every INTERVAL seconds, CHANGE_FRACTION of them changed per interval, for DURATION seconds.
# Prints one JSON report; needs python3, kcat and wrk (apt-get install -y wrk kcat).
#   scripts/bench-bridge.sh N [INTERVAL=10] [CHANGE_FRACTION=0.05] [DURATION=60]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }
swift build -c release --product convobridge >&2
CONVOBRIDGE=.build/release/convobridge exec python3 scripts/bench_bridge.py "$@"
