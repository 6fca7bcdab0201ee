#!/usr/bin/env bash
# Installs what ConvoBridge needs from Debian/Ubuntu packages, only if it is missing:
# librdkafka (the Kafka client library, linked through pkg-config), SQLite (the store, through GRDB), kcat (used by
# the black-box tests) and pkg-config; from PyPI, jsonschema for the contract check and noida-db (a broker with
# transactions) for the replica tests.
set -euo pipefail
needed=()
pkg-config --exists rdkafka 2>/dev/null || needed+=(librdkafka-dev)
command -v kcat >/dev/null 2>&1 || needed+=(kcat)
command -v pkg-config >/dev/null 2>&1 || needed+=(pkg-config)
[ -e /usr/include/sqlite3.h ] || needed+=(libsqlite3-dev)
if [ ${#needed[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "Installing ${needed[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${needed[@]}" >&2
fi
# jsonschema (PyPI) validates every event the tests produce against the contract's schemas (scripts/check-contract.py).
if ! python3 -c "import jsonschema, referencing" 2>/dev/null; then
    echo "Installing jsonschema (PyPI)" >&2
    python3 -m pip install -q "jsonschema>=4.18" 2>/dev/null || python3 -m pip install -q --break-system-packages "jsonschema>=4.18"
fi
# noida-db (PyPI) is a real single-node Kafka broker with transactions: the replica tests need fencing and
# read_committed, which librdkafka's mock cluster does not model.
if ! command -v noida-db >/dev/null 2>&1; then
    echo "Installing noida-db (PyPI)" >&2
    python3 -m pip install -q "noida-db==0.2.3" 2>/dev/null || python3 -m pip install -q --break-system-packages "noida-db==0.2.3"
fi
command -v swift >/dev/null 2>&1 || { echo "Swift 6.2 or newer is required: https://www.swift.org/install" >&2; exit 1; }
