#!/usr/bin/env python3
"""End-to-end load harness: the simulator, an embedded Kafka broker and the bridge, each its own process.

The bridge watches N simulated Jelou conversations (listed in its configuration) and polls each every INTERVAL
seconds. Once every conversation has been discovered, the harness moves CHANGE_FRACTION of them one lifecycle step
per poll interval through the simulator's control API, for DURATION seconds, then reports:

  snapshots polled/s, events/s, detection latency p50/p99 (simulator change -> the event's Kafka timestamp),
  the bridge's RSS (total and per watched conversation), its CPU seconds per 1k snapshots, the outbox depth,
  and, in the same run, wrk's raw ceiling against the same Get Conversation endpoint.

Usage: scripts/bench-bridge.sh N [INTERVAL] [CHANGE_FRACTION] [DURATION]   (builds release binaries first)
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime

BINARY = os.environ.get("CONVOBRIDGE", ".build/release/convobridge")
# The events that show each simulator change. A close seen after an unseen reopen (both within one poll interval)
# is, from the last snapshot, a move between closed states: state_changed.
EVENT_OF_CHANGE = {"closed": ("conversation.closed", "conversation.state_changed"),
                   "ended_reason_changed": ("conversation.ended_reason_changed",),
                   "reopened": ("conversation.reopened",), "deleted": ("conversation.vanished",)}


def wait_for_file(path, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path) and os.path.getsize(path) > 0:
            with open(path) as handle:
                return handle.read().strip().splitlines()[0]
        time.sleep(0.05)
    sys.exit(f"{path} did not appear within {timeout} s")


def http(method, url, body=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read().decode()


def bridge_url_from_log(path, timeout=120):
    """The URL a `convobridge run --log-format json` logged it listens on, or None after `timeout` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(path) as handle:
            for line in handle:
                if "HTTP server listening" in line:
                    return json.loads(line)["url"]
        time.sleep(0.1)
    return None


def stop_processes(processes):
    """SIGTERM, newest first; SIGKILL what has not stopped 30 s later."""
    for process in reversed(processes):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def metrics(url):
    values = {}
    for line in http("GET", url + "/metrics").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name_labels, _, value = line.rpartition(" ")
        values[name_labels] = float(value)
    return values


def metric_sum(values, name, **labels):
    total = 0.0
    for key, value in values.items():
        if key == name or key.startswith(name + "{"):
            if all(f'{label}="{expected}"' in key for label, expected in labels.items()):
                total += value
    return total


def proc_stats(pid):
    with open(f"/proc/{pid}/status") as handle:
        rss_kb = int(re.search(r"VmRSS:\s+(\d+)", handle.read()).group(1))
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu_seconds = (int(fields[11]) + int(fields[12])) / ticks
    return rss_kb, cpu_seconds


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main():
    population = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    interval = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
    fraction = float(sys.argv[3]) if len(sys.argv) > 3 else 0.05
    duration = float(sys.argv[4]) if len(sys.argv) > 4 else 60.0
    work = tempfile.mkdtemp(prefix="convobridge-bench-")
    processes = []

    def start(arguments, stdout=None, stderr=None):
        process = subprocess.Popen([BINARY] + arguments, stdout=stdout or subprocess.DEVNULL,
                                   stderr=stderr or subprocess.DEVNULL)
        processes.append(process)
        return process

    try:
        start(["kafka-dev", "--bootstrap-file", f"{work}/bootstrap", "--log-level", "warning"])
        bootstrap = wait_for_file(f"{work}/bootstrap")
        with open(f"{work}/simulator.url", "w") as url_file:
            start(["simulate", "--port", "0", "--population", str(population), "--seed", "3", "--log-level", "warning"],
                  stdout=url_file)
        simulator = wait_for_file(f"{work}/simulator.url")
        ids = [conversation["_id"] for conversation in json.loads(http("GET", simulator + "/_sim/conversations"))]
        with open(f"{work}/api-key", "w") as handle:
            handle.write("sim-api-key")
        with open(f"{work}/bridge.yaml", "w") as handle:
            handle.write(f"""store: {{path: {work}/bridge.sqlite}}
kafka: {{bootstrap_servers: "{bootstrap}"}}
server: {{listen: "127.0.0.1:0"}}
relay: {{batch_size: 5000, max_backlog: 10000000}}
sources:
  - name: jelou-bench
    base_url: {simulator}/jelouapi
    project_id: sim-project
    auth: {{api_key_file: {work}/api-key}}
    schedule: {{open_interval: {interval}s, closed_interval: {interval}s, closed_grace: 24h, jitter: 0.2,
                not_found_recheck: 1s, vanish_after: 2}}
    http: {{requests_per_second: 1000000, burst: 10000, max_concurrent: 64, timeout: 30s}}
    conversations:
""")
            for conversation_id in ids:
                handle.write(f"      - {conversation_id}\n")
        bridge_log = open(f"{work}/bridge.log", "w")
        bridge = start(["run", "--config", f"{work}/bridge.yaml", "--log-format", "json", "--log-level", "notice"],
                       stderr=bridge_log)
        bridge_url = bridge_url_from_log(f"{work}/bridge.log")
        if bridge_url is None:
            sys.exit("the bridge did not start; see " + f"{work}/bridge.log")

        # Warm-up: every conversation discovered (one poll each), then one more interval to settle.
        warm_start = time.time()
        while metric_sum(metrics(bridge_url), "convobridge_transitions_total", type="conversation.discovered") < population:
            if time.time() - warm_start > max(600, population / 100):
                sys.exit("warm-up did not finish")
            time.sleep(0.5)
        warm_up = time.time() - warm_start
        time.sleep(interval)

        before = metrics(bridge_url)
        rss_start, cpu_start = proc_stats(bridge.pid)
        changes_before = len(json.loads(http("GET", simulator + "/_sim/changes")))
        started = time.time()
        steps = max(1, int(population * fraction))
        while time.time() - started < duration:
            tick = time.time()
            http("POST", simulator + "/_sim/advance", {"steps": steps})
            time.sleep(max(0.0, interval - (time.time() - tick)))
        elapsed = time.time() - started
        after = metrics(bridge_url)
        rss_end, cpu_end = proc_stats(bridge.pid)
        # Let the last changes' polls (one interval plus jitter) and their publication come in before reading Kafka.
        # Under overload the real cycle is longer than the interval: N / the measured poll rate.
        polls_so_far = metric_sum(after, "convobridge_http_requests_total", operation="get-conversation") \
            - metric_sum(before, "convobridge_http_requests_total", operation="get-conversation")
        cycle = max(1.2 * interval, 1.2 * population / max(1.0, polls_so_far / (time.time() - started)))
        settle_deadline = time.time() + 2 * cycle + 30
        time.sleep(cycle + 2)
        while metric_sum(metrics(bridge_url), "convobridge_outbox_events") > 0 and time.time() < settle_deadline:
            time.sleep(0.5)
        settled = metrics(bridge_url)

        polls = metric_sum(after, "convobridge_http_requests_total", operation="get-conversation") \
            - metric_sum(before, "convobridge_http_requests_total", operation="get-conversation")
        events = metric_sum(after, "convobridge_transitions_total") - metric_sum(before, "convobridge_transitions_total")
        watched = set(ids)
        # Conversations the simulator creates during the run are not in the watch list (no discovery here).
        changes = [c for c in json.loads(http("GET", simulator + "/_sim/changes"))[changes_before:]
                   if c["kind"] in EVENT_OF_CHANGE and c["conversation_id"] in watched]

        consumed = subprocess.run(["kcat", "-b", bootstrap, "-C", "-t", "conversation-events", "-o", "beginning", "-e", "-q",
                                   "-f", "%k\t%T\t%h\n"], capture_output=True, text=True, timeout=300).stdout
        arrivals = {}
        for line in consumed.splitlines():
            parts = line.split("\t")
            if len(parts) != 3:
                continue
            headers = dict(pair.split("=", 1) for pair in parts[2].split(",") if "=" in pair)
            arrivals.setdefault((parts[0], headers.get("ce_type")), []).append(int(parts[1]) / 1000)
        latencies = []
        missing = 0
        superseded = 0
        def when(change):
            return datetime.fromisoformat(change["at"].replace("Z", "+00:00")).timestamp()
        every = json.loads(http("GET", simulator + "/_sim/changes"))[changes_before:]
        for change in changes:
            at = when(change)
            key = f"jelou-bench/{change['conversation_id']}"
            times = [t for kind in EVENT_OF_CHANGE[change["kind"]] for t in arrivals.get((key, kind), []) if t >= at - 0.001]
            if times:
                latencies.append(min(times) - at)
            elif any(other["conversation_id"] == change["conversation_id"] and 0 <= when(other) - at <= 1.2 * interval + 1
                     and other["number"] > change["number"] for other in every):
                # Undone or overtaken by the next step before a poll could see it: polling cannot show it.
                superseded += 1
            else:
                missing += 1
                if os.environ.get("BENCH_DEBUG"):
                    seen = sorted((t, kind) for (k, kind), ts in arrivals.items() if k == key for t in ts)
                    print("missing", change, "events of the key:", [(round(t - at, 2), kind) for t, kind in seen], file=sys.stderr)

        wrk = subprocess.run(["wrk", "-t2", "-c64", "-d10s", "-H", "x-api-key: sim-api-key",
                              f"{simulator}/jelouapi/v1/external-support/sim-project/conversations/{ids[0]}"],
                             capture_output=True, text=True, timeout=60).stdout
        wrk_rate = float(re.search(r"Requests/sec:\s+([\d.]+)", wrk).group(1))

        polled_rate = polls / elapsed
        report = {
            "conversations": population, "poll_interval_s": interval, "changed_per_interval": steps,
            "duration_s": round(elapsed, 1), "warm_up_s": round(warm_up, 1),
            "snapshots_polled_per_s": round(polled_rate, 1), "events_per_s": round(events / elapsed, 2),
            "changes_checked": len(changes), "changes_superseded_within_one_interval": superseded,
            "changes_without_event": missing,
            "detection_latency_p50_s": round(percentile(latencies, 0.5), 3),
            "detection_latency_p99_s": round(percentile(latencies, 0.99), 3),
            "rss_mb": round(rss_end / 1024, 1), "rss_bytes_per_conversation": round(rss_end * 1024 / population),
            "cpu_s_per_1k_snapshots": round((cpu_end - cpu_start) / max(1, polls) * 1000, 3),
            "bridge_cpu_share_of_one_core": round((cpu_end - cpu_start) / elapsed, 2),
            "outbox_depth_after": metric_sum(settled, "convobridge_outbox_events"),
            "wrk_requests_per_s": wrk_rate,
            "polled_over_wrk": round(polled_rate / wrk_rate, 3),
            "needed_poll_rate_per_s": round(population / interval, 1),
        }
        print(json.dumps(report, indent=2))
    finally:
        stop_processes(processes)
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
