#!/usr/bin/env bash
# The fault suite: kill -9, a 60 s broker outage, broker errors, platform faults, the store's disk filling up (as
# root: it mounts a tmpfs), hostile input on every outside path, the scale scenarios and bad configuration files, each
# on a scripted workload with known transitions.
# Prints a table of transitions expected / delivered / lost / duplicated / invented; exits 1 if any check fails.
# Needs python3 and kcat (apt-get install -y kcat). About 7 minutes per run of every scenario.
#   scripts/fault-suite.sh [--runs K] [--seed S] [--only kill9,broker-outage,broker-errors,platform,disk-full,hostile,scale,scale-clean,bad-config] [--markdown]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v kcat >/dev/null || { echo "kcat is needed: apt-get install -y kcat" >&2; exit 1; }
swift build --product convobridge >&2
CONVOBRIDGE=.build/debug/convobridge exec python3 scripts/fault_suite.py "$@"
