#!/usr/bin/env bash
# Publisher throughput next to kcat -P, same machine, same embedded cluster, same run.
# Usage: scripts/bench-publisher.sh [MESSAGES] [SIZE]
set -euo pipefail
cd "$(dirname "$0")/.."
messages=${1:-1000000}
size=${2:-100}
command -v kcat >/dev/null || { echo "kcat is missing: apt-get install -y kcat" >&2; exit 1; }
swift build -c release --product convobridge >&2
bin=.build/release/convobridge
work=$(mktemp -d)
trap 'kill "$broker" 2>/dev/null || true; wait "$broker" 2>/dev/null || true; rm -rf "$work"' EXIT

"$bin" kafka-dev --brokers 3 --bootstrap-file "$work/bootstrap" --topic kcat-bench:6 --topic bench:6 \
    --log-level warning >/dev/null &
broker=$!
for _ in $(seq 100); do [ -s "$work/bootstrap" ] && break; sleep 0.1; done
bootstrap=$(cat "$work/bootstrap")

python3 -c "import sys; line = b'x' * $size + b'\n'; sys.stdout.buffer.write(line * $messages)" > "$work/payload"

start=$(date +%s.%N)
kcat -b "$bootstrap" -P -t kcat-bench -X enable.idempotence=true -X acks=all -X linger.ms=5 -l "$work/payload"
end=$(date +%s.%N)
kcat_rate=$(python3 -c "print(int($messages / ($end - $start)))")
# (No count back: the embedded cluster keeps ~5 MiB per partition. Delivery is checked by the tests.)
echo "kcat -P:                       $messages records of $size bytes: $kcat_rate records/s"

ours=$("$bin" bench-publisher --bootstrap "$bootstrap" --messages "$messages" --size "$size" --log-level warning)
ours_rate=$(echo "$ours" | sed -E 's/.*: ([0-9]+) records\/s/\1/')
echo "convobridge publisher:         $ours"
with_headers=$("$bin" bench-publisher --bootstrap "$bootstrap" --topic bench-ce --messages "$messages" --size "$size" \
    --cloud-event-headers --log-level warning)
echo "convobridge, key + ce headers: $with_headers"
python3 -c "print(f'ratio publisher / kcat: {$ours_rate / $kcat_rate:.2f}')"
