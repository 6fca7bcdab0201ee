#!/usr/bin/env python3
"""Discovery through a list endpoint: how long after the first page's answer every listed conversation is discovered.

The simulator lists N attended Jelou conversations on Advisor pages of 100; the bridge (Advisor discovery,
requests_per_second RATE, max_concurrent 32) walks them page by page and reads each new one with Get Conversation,
paced with everything else. The target is N / RATE + 2 s from the first page's answer: the time the reads take at the
source's rate, plus two seconds. The first page's answer is bounded from below by the earliest discovered event's
observed_at minus one request; the report gives the span from the first to the last discovered event's observed_at.

Usage: scripts/bench-discovery.sh [N=1000] [RATE=500]   (builds the release binary first)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from bench_bridge import bridge_url_from_log, http, metric_sum, metrics, stop_processes, wait_for_file  # noqa: E402

BINARY = os.environ.get("CONVOBRIDGE", ".build/release/convobridge")


def main():
    population = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rate = float(sys.argv[2]) if len(sys.argv) > 2 else 500
    work = tempfile.mkdtemp(prefix="convobridge-discovery-bench-")
    processes = []

    def start(arguments, **kwargs):
        process = subprocess.Popen([BINARY] + arguments, stdout=kwargs.get("stdout", subprocess.DEVNULL),
                                   stderr=kwargs.get("stderr", subprocess.DEVNULL))
        processes.append(process)
        return process

    try:
        start(["kafka-dev", "--bootstrap-file", f"{work}/bootstrap", "--log-level", "warning",
               "--topic", "conversation-events:32", "--topic", "conversation-state:32"])
        bootstrap = wait_for_file(f"{work}/bootstrap")
        with open(f"{work}/simulator.url", "w") as url_file:
            start(["simulate", "--port", "0", "--population", "0", "--log-level", "warning"], stdout=url_file)
        simulator = wait_for_file(f"{work}/simulator.url")
        for n in range(population):
            created = json.loads(http("POST", simulator + "/_sim/conversations", {"id": f"d-{n:05d}"}))
            http("POST", f"{simulator}/_sim/conversations/{created['conversation_id']}/assign", {"operator": "Ana Torres"})
        for name, value in [("api-key", "sim-api-key"), ("client-secret", "sim-client-secret")]:
            with open(f"{work}/{name}", "w") as handle:
                handle.write(value)
        with open(f"{work}/bridge.yaml", "w") as handle:
            handle.write(f"""store: {{path: {work}/bridge.sqlite}}
kafka: {{bootstrap_servers: "{bootstrap}"}}
server: {{listen: "127.0.0.1:0"}}
sources:
  - name: jelou-discovery
    base_url: {simulator}/jelouapi
    project_id: sim-project
    auth: {{api_key_file: {work}/api-key, client_id: sim-client, client_secret_file: {work}/client-secret}}
    advisor: {{api_base_url: {simulator}, interval: 10m, lookback: 2h, page_size: 100}}
    schedule: {{open_interval: 60s}}
    http: {{requests_per_second: {rate:g}, burst: 10, max_concurrent: 32, timeout: 10s}}
""")
        log = open(f"{work}/bridge.log", "w")
        start(["run", "--config", f"{work}/bridge.yaml", "--log-format", "json", "--log-level", "notice"], stderr=log)
        deadline = time.time() + 120
        url = bridge_url_from_log(f"{work}/bridge.log")
        if url is None:
            sys.exit(f"the bridge did not start; see {work}/bridge.log")
        while metric_sum(metrics(url), "convobridge_transitions_total", type="conversation.discovered") < population:
            if time.time() > deadline:
                sys.exit("not every conversation was discovered within 2 minutes")
            time.sleep(0.2)
        consumed = subprocess.run(["kcat", "-b", bootstrap, "-C", "-t", "conversation-events", "-o", "beginning", "-e", "-q",
                                   "-f", "%h\t%s\n"], capture_output=True, text=True, timeout=120, check=True)
        times = []
        for line in consumed.stdout.splitlines():
            headers, _, value = line.partition("\t")
            if "ce_type=conversation.discovered" in headers:
                times.append(datetime.fromisoformat(json.loads(value)["observed_at"].replace("Z", "+00:00")).timestamp())
        span = max(times) - min(times)
        target = population / rate + 2
        print(f"{len(times)} conversations discovered through Advisor pages of 100 at requests_per_second {rate:g}: "
              f"{span:.2f} s from the first to the last discovered event (target <= {target:.1f} s from the first page's answer: "
              f"{'met' if span <= target else 'NOT met'})")
    finally:
        stop_processes(processes)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
