#!/usr/bin/env python3
"""The poll engine against its ceiling and against what a user would write, in one run, on one static endpoint.

nginx serves N identical-shaped Jelou Get Conversation answers (static files, so every poll after the first is an
unchanged answer). In turn, each for DURATION seconds against the same nginx:

  1. wrk -t1 -c16 with a Lua script rotating over the N ids: the endpoint's ceiling on this machine;
  2. what_a_user_would_write.py: asyncio + aiohttp (64 in flight) + confluent-kafka, diffing dicts in memory;
  3. convobridge run: the N ids configured, open_interval INTERVAL, max_concurrent 64, a real store and Kafka
     (`convobridge kafka-dev`, librdkafka's mock cluster, for both the bridge and the Python poller).

Reports snapshots/s for each, the ratios the poll engine is judged by (bridge / Python >= 3, bridge / wrk >= 0.25),
the bridge's CPU seconds per 1,000 unchanged polls (target <= 0.1) and its poll lag p99, as a Markdown table.

Usage: scripts/bench-poll-engine.sh [N=10000] [INTERVAL=0.25] [DURATION=20]   (builds the release binary first)
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
from bench_bridge import bridge_url_from_log, stop_processes, wait_for_file  # noqa: E402
BINARY = os.environ.get("CONVOBRIDGE", ".build/release/convobridge")
PROJECT = "bench"
PATH_PREFIX = f"/jelouapi/v1/external-support/{PROJECT}/conversations"


def conversation(conversation_id, index):
    """Jelou's Get Conversation answer, as the simulator (and the documentation) give it."""
    return {"message": ["Conversation retrieved successfully"], "statusMessage": "success", "status": 1,
            "data": {"_id": conversation_id, "roomId": f"room-{index:06d}", "state": "active", "startAt": "2026-11-30T10:00:00.000Z",
                     "User": {"id": f"user-{index:06d}", "names": f"User {index:06d}", "referenceId": f"ref-{index:06d}",
                              "createdAt": "2026-11-29T10:00:00.000Z"},
                     "Bot": {"id": "bot-1", "name": "Asistente", "type": "Facebook"}}}


def free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode()


def metric_sum(text, name, **labels):
    total = 0.0
    for line in text.splitlines():
        if line.startswith("#") or not (line.startswith(name + "{") or line.startswith(name + " ")):
            continue
        key, _, value = line.rpartition(" ")
        if all(f'{label}="{expected}"' in key for label, expected in labels.items()):
            total += float(value)
    return total


def histogram_quantile(text, name, quantile):
    buckets = []
    for line in text.splitlines():
        match = re.match(rf'{name}_bucket{{.*le="([^"]+)".*}} (\S+)', line)
        if match:
            buckets.append((float("inf") if match.group(1) == "+Inf" else float(match.group(1)), float(match.group(2))))
    buckets.sort()
    if not buckets or buckets[-1][1] == 0:
        return float("nan")
    target = quantile * buckets[-1][1]
    return next(le for le, count in buckets if count >= target)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    population = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    interval = float(sys.argv[2]) if len(sys.argv) > 2 else 0.25
    duration = float(sys.argv[3]) if len(sys.argv) > 3 else 20.0
    if not shutil.which("nginx") or not shutil.which("wrk"):
        sys.exit("needs nginx and wrk: apt-get install nginx-light wrk")
    work = tempfile.mkdtemp(prefix="convobridge-poll-bench-")
    os.chmod(work, 0o755)  # nginx's workers run as another user
    processes = []

    def start(arguments, **kwargs):
        process = subprocess.Popen(arguments, stdout=kwargs.get("stdout", subprocess.DEVNULL),
                                   stderr=kwargs.get("stderr", subprocess.DEVNULL))
        processes.append(process)
        return process

    try:
        # The static endpoint.
        root = os.path.join(work, "www", PATH_PREFIX.strip("/"))
        os.makedirs(root)
        ids = [f"c-{index:06d}" for index in range(population)]
        for index, conversation_id in enumerate(ids):
            with open(os.path.join(root, conversation_id), "w") as handle:
                json.dump(conversation(conversation_id, index), handle)
        with open(f"{work}/ids", "w") as handle:
            handle.write("\n".join(ids))
        port = free_port()
        with open(f"{work}/nginx.conf", "w") as handle:
            handle.write(f"""worker_processes 1; daemon off; pid {work}/nginx.pid; error_log {work}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{ access_log off; keepalive_requests 1000000; keepalive_timeout 120s; default_type application/json;
  server {{ listen 127.0.0.1:{port}; root {work}/www; }} }}
""")
        start(["nginx", "-c", f"{work}/nginx.conf", "-p", work])
        base = f"http://127.0.0.1:{port}"
        for attempt in range(100):
            try:
                json.loads(get(f"{base}{PATH_PREFIX}/{ids[0]}"))
                break
            except Exception as error:
                if attempt == 99:
                    sys.exit(f"nginx does not serve the answers: {error}")
                time.sleep(0.05)
        start([BINARY, "kafka-dev", "--bootstrap-file", f"{work}/bootstrap", "--log-level", "warning"])
        bootstrap = wait_for_file(f"{work}/bootstrap")
        results = {}

        # 1. wrk, rotating over the ids.
        with open(f"{work}/rotate.lua", "w") as handle:
            handle.write(f'counter = 0\nrequest = function()\n  counter = counter + 1\n'
                         f'  return wrk.format("GET", string.format("{PATH_PREFIX}/c-%06d", counter % {population}))\nend\n')
        wrk = subprocess.run(["wrk", "-t1", "-c16", f"-d{int(duration)}s", "-s", f"{work}/rotate.lua", base],
                             capture_output=True, text=True, check=True)
        results["wrk"] = float(re.search(r"Requests/sec:\s+([\d.]+)", wrk.stdout).group(1))

        # 2. What a user would write.
        python = subprocess.Popen([sys.executable, os.path.join(HERE, "what_a_user_would_write.py"), base + PATH_PREFIX,
                                   f"{work}/ids", bootstrap, str(interval), "64", str(duration)],
                                  stdout=subprocess.PIPE, text=True)
        output, _ = python.communicate(timeout=duration + 120)
        python_cpu = None
        match = re.search(r"snapshots=(\d+) seconds=([\d.]+)", output)
        results["python"] = int(match.group(1)) / float(match.group(2))

        # 3. The bridge.
        with open(f"{work}/api-key", "w") as handle:
            handle.write("bench-api-key")
        with open(f"{work}/bridge.yaml", "w") as handle:
            handle.write(f"""store: {{path: {work}/bridge.sqlite}}
kafka: {{bootstrap_servers: "{bootstrap}"}}
server: {{listen: "127.0.0.1:0"}}
relay: {{batch_size: 5000, max_backlog: 10000000}}
sources:
  - name: jelou-bench
    base_url: {base}/jelouapi
    project_id: {PROJECT}
    auth: {{api_key_file: {work}/api-key}}
    schedule: {{open_interval: {interval}s, jitter: 0.1}}
    http: {{requests_per_second: 1000000, burst: 10000, max_concurrent: 64, timeout: 10s}}
    conversations:
""")
            for conversation_id in ids:
                handle.write(f"      - {conversation_id}\n")
        bridge_log = open(f"{work}/bridge.log", "w")
        bridge = start([BINARY, "run", "--config", f"{work}/bridge.yaml", "--log-format", "json", "--log-level", "notice"],
                       stderr=bridge_log)
        deadline = time.time() + 120
        url = bridge_url_from_log(f"{work}/bridge.log")
        if url is None:
            sys.exit(f"the bridge did not start; see {work}/bridge.log")
        # Warm-up: every conversation's first answer is a discovery (a write and an event); then only unchanged ones.
        while metric_sum(get(url + "/metrics"), "convobridge_transitions_total", type="conversation.discovered") < population:
            if time.time() > deadline:
                text = get(url + "/metrics")
                sys.exit("the bridge did not discover every conversation within 2 minutes: "
                         f"{metric_sum(text, 'convobridge_transitions_total', type='conversation.discovered'):g} discovered, "
                         f"{metric_sum(text, 'convobridge_http_requests_total'):g} requests; see {work}/bridge.log")
            time.sleep(0.5)
        time.sleep(2)
        before, cpu_before, started = get(url + "/metrics"), cpu_seconds(bridge.pid), time.time()
        if os.environ.get("BENCH_PERF"):
            # A CPU profile of the bridge over the measured window (perf from Debian's linux-perf).
            subprocess.run(["perf", "record", "-e", "cpu-clock", "-F", "499", "-g", "-p", str(bridge.pid),
                            "-o", os.environ["BENCH_PERF"], "--", "sleep", str(duration)], capture_output=True)
        else:
            time.sleep(duration)
        after, cpu_after, elapsed = get(url + "/metrics"), cpu_seconds(bridge.pid), time.time() - started
        polls = (metric_sum(after, "convobridge_http_requests_total", code="200")
                 - metric_sum(before, "convobridge_http_requests_total", code="200"))
        results["bridge"] = polls / elapsed
        cpu_per_thousand = (cpu_after - cpu_before) / (polls / 1000) if polls else float("nan")
        lag_p99 = histogram_quantile(after, "convobridge_poll_lag_seconds", 0.99)
        errors = metric_sum(after, "convobridge_poll_failures_total")

        print(f"\n{population} conversations, open_interval {interval:g} s, {duration:g} s each, on {os.cpu_count()} cores "
              f"(nginx, 1 worker, serving static answers)\n")
        print("| client | snapshots/s | vs Python poller | vs wrk |")
        print("|---|---:|---:|---:|")
        for name, label in [("wrk", "wrk -t1 -c16, rotating ids (ceiling)"),
                            ("python", "asyncio + aiohttp + confluent-kafka, 64 in flight"),
                            ("bridge", "convobridge run, max_concurrent 64")]:
            print(f"| {label} | {results[name]:,.0f} | {results[name] / results['python']:.2f} | {results[name] / results['wrk']:.2f} |")
        print(f"\nbridge: {cpu_per_thousand:.3f} CPU s per 1,000 unchanged polls (target <= 0.1), "
              f"poll lag p99 <= {lag_p99:g} s, {errors:g} poll errors; "
              f"ratios {results['bridge'] / results['python']:.2f}x Python (target >= 3), "
              f"{results['bridge'] / results['wrk']:.2f}x wrk (target >= 0.25)")
    finally:
        stop_processes(processes)
        if os.environ.get("KEEP_BENCH_FILES"):
            print(f"files kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
