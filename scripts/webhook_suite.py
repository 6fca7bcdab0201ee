#!/usr/bin/env python3
"""Outbound webhooks under faults, end to end, as processes: `convobridge kafka-dev` (a broker), 5,000 contract events
across 500 conversations on its events topic, `convobridge deliver`, and scripts/webhook_receiver.py (a receiver that
checks Standard Webhooks signatures itself, written from the specification).

Faults: the receiver fails 20 % of requests (500, or 503 with Retry-After), stalls 5 % past the deliverer's 1 s
timeout (it keeps those events: a re-delivery follows), goes away for 30 s once; the deliverer is kill -9'd twice and
restarted. Checks: every event delivered or dead-lettered; per conversation, events first delivered in sequence order;
duplicates only with the same webhook-id; every signature valid; content type application/cloudevents+json.

--bench instead: 20,000 events to a receiver that always answers 200, no fault: events/s delivered by `convobridge
deliver`, by what a user would write instead (a Python consumer that POSTs each event in turn), and wrk's POST rate
against the same receiver (the ceiling).

Usage: scripts/webhook_suite.py [--events 5000] [--conversations 500] [--markdown] | --bench [--events 20000]
Needs: aiohttp, confluent-kafka (pip); CONVOBRIDGE=path of the binary (default .build/debug/convobridge).
"""
import argparse
import base64
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta, timezone

from confluent_kafka import Consumer, Producer, TopicPartition

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_bridge import metric_sum, metrics, wait_for_file  # noqa: E402

BINARY = os.environ.get("CONVOBRIDGE", ".build/debug/convobridge")
HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = "whsec_" + base64.b64encode(b"convobridge-webhook-suite-secret-32b").decode()
SOURCE = "wh-src"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def produce_events(bootstrap, conversations, per_conversation):
    """Contract events in binary mode, as the bridge writes them: per conversation sequences 1..n, interleaved."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "acks": "all"})
    base = datetime(2026, 1, 15, 10, 0, tzinfo=timezone.utc)
    for sequence in range(1, per_conversation + 1):
        for number in range(conversations):
            conversation = f"c-{number:04d}"
            key = f"{SOURCE}/{conversation}"
            at = (base + timedelta(seconds=sequence, milliseconds=number)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            kind = "conversation.closed" if sequence % 2 == 0 else "conversation.reopened"
            data = {"source": SOURCE, "platform": "zild", "conversation_id": conversation, "sequence": sequence,
                    "observed_at": at, "transition": {"kind": kind.split(".")[1], "field": "status"}}
            headers = [("ce_specversion", "1.0"), ("ce_id", f"{key}/{sequence}"), ("ce_source", f"/sources/{SOURCE}"),
                       ("ce_type", kind), ("ce_subject", conversation), ("ce_time", at), ("ce_sequence", str(sequence)),
                       ("ce_partitionkey", key), ("content-type", "application/json")]
            producer.produce("conversation-events", key=key, value=json.dumps(data), headers=headers)
        producer.flush(30)
    producer.flush(30)


def dead_letters(bootstrap):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"suite-{time.time()}", "enable.auto.commit": False})
    consumer.assign([TopicPartition("conversation-events-dlq", 0, 0)])
    ids = {}
    quiet = 0
    while quiet < 3:
        message = consumer.poll(0.5)
        if message is None:
            quiet += 1
            continue
        quiet = 0
        if message.error():
            continue
        headers = dict((name, value.decode()) for name, value in message.headers() or [])
        ids[headers.get("ce_id")] = headers
    consumer.close()
    return ids


def read_log(path):
    requests = []
    with open(path) as handle:
        for line in handle:
            entry = json.loads(line)
            if "id" in entry:
                requests.append(entry)
    return requests


class Environment:
    def __init__(self, work, partitions=6):
        self.work = work
        self.processes = []
        self.kafka = self.start([BINARY, "kafka-dev", "--bootstrap-file", f"{work}/bootstrap", "--log-level", "warning",
                                 "--topic", f"conversation-events:{partitions}", "--topic", "conversation-events-dlq:1"],
                                stdin=subprocess.PIPE)
        self.bootstrap = wait_for_file(f"{work}/bootstrap")
        with open(f"{work}/secret", "w") as handle:
            handle.write(SECRET)
        with open(f"{work}/token", "w") as handle:
            handle.write("unused-platform-token")

    def start(self, arguments, **kwargs):
        process = subprocess.Popen(arguments, stdout=kwargs.pop("stdout", subprocess.DEVNULL),
                                   stderr=kwargs.pop("stderr", subprocess.DEVNULL), **kwargs)
        self.processes.append(process)
        return process

    def receiver(self, fail_rate=0.0, stall_rate=0.0, seed=1):
        self.receiver_port = free_port()
        self.receiver_log = f"{self.work}/receiver.jsonl"
        process = self.start([sys.executable, f"{HERE}/webhook_receiver.py", "--port", str(self.receiver_port), "--secret-file",
                              f"{self.work}/secret", "--log", self.receiver_log, "--fail-rate", str(fail_rate), "--stall-rate",
                              str(stall_rate), "--stall", "3", "--seed", str(seed)], stdout=subprocess.PIPE)
        process.stdout.readline()
        return process

    def write_config(self, retry_schedule, timeout="1s", concurrency=32):
        with open(f"{self.work}/deliver.yaml", "w") as handle:
            handle.write(f"""kafka:
  bootstrap_servers: "{self.bootstrap}"
  # The mock cluster keeps a member that was killed until its session times out: a short one for quick takeovers.
  properties: {{session.timeout.ms: "6000", heartbeat.interval.ms: "500"}}
sources:
  - {{name: {SOURCE}, platform: zild, base_url: "http://127.0.0.1:9/unused", auth: {{token_file: {self.work}/token}}}}
webhooks:
  retry_schedule: [{", ".join(retry_schedule)}]
  commit_interval: 500ms
  subscriptions:
    - name: suite
      url: http://127.0.0.1:{self.receiver_port}/hook
      secret_file: {self.work}/secret
      allow_private_network: true
      timeout: {timeout}
      concurrency: {concurrency}
""")

    def start_deliverer(self, index):
        self.metrics_url = f"http://127.0.0.1:{self.metrics_port}"
        log = open(f"{self.work}/deliver-{index}.log", "w")
        return self.start([BINARY, "deliver", "--config", f"{self.work}/deliver.yaml", "--listen", f"127.0.0.1:{self.metrics_port}",
                           "--log-level", "info"], stderr=log)

    def stop(self):
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def faults(options):
    work = tempfile.mkdtemp(prefix="convobridge-webhooks-")
    environment = Environment(work)
    try:
        per_conversation = options.events // options.conversations
        total = per_conversation * options.conversations
        produce_events(environment.bootstrap, options.conversations, per_conversation)
        environment.receiver(fail_rate=0.20, stall_rate=0.05, seed=options.seed)
        # Svix's schedule shortened ~300-fold; its sum (~68 s) outlasts the 30 s outage.
        environment.write_config(["200ms", "1s", "3s", "6s", "12s", "20s", "25s"])
        environment.metrics_port = free_port()
        deliverer = environment.start_deliverer(0)
        started = time.time()
        kills = []
        rng = random.Random(options.seed)
        plan = sorted([("kill", rng.uniform(4, 10)), ("away", rng.uniform(12, 16)), ("kill", rng.uniform(20, 30))], key=lambda p: p[1])
        done_at = None
        while time.time() - started < options.limit:
            elapsed = time.time() - started
            while plan and plan[0][1] <= elapsed:
                what, _ = plan.pop(0)
                if what == "kill":
                    deliverer.send_signal(signal.SIGKILL)
                    deliverer.wait()
                    kills.append(round(elapsed, 1))
                    deliverer = environment.start_deliverer(len(kills))
                else:
                    urllib.request.urlopen(urllib.request.Request(
                        f"http://127.0.0.1:{environment.receiver_port}/_control/away?seconds=30", method="POST"), timeout=5).read()
            requests = read_log(environment.receiver_log)
            delivered = {r["id"] for r in requests if r["status"] == 200 and r["valid"]}
            if not plan and len(delivered) >= total:
                done_at = time.time() - started
                break
            if not plan and len(delivered) > 0 and int(elapsed) % 10 == 0:
                dead = dead_letters(environment.bootstrap)
                if len(delivered | set(dead)) >= total:
                    done_at = time.time() - started
                    break
            time.sleep(1)
        values = metrics(environment.metrics_url)
        deliverer.send_signal(signal.SIGTERM)
        exit_status = deliverer.wait(timeout=60)
        requests = read_log(environment.receiver_log)
        dead = dead_letters(environment.bootstrap)
        return judge(requests, dead, total, kills, done_at, exit_status, values, work)
    finally:
        environment.stop()


def judge(requests, dead, total, kills, done_at, exit_status, values, work):
    ok_requests = [r for r in requests if r["status"] == 200 and r["valid"]]
    delivered = {r["id"] for r in ok_requests}
    by_conversation = {}
    first_seen = set()
    order_broken = 0
    for r in ok_requests:
        if r["id"] in first_seen:
            continue
        first_seen.add(r["id"])
        previous = by_conversation.get(r["key"], 0)
        sequence = int(r["sequence"])
        # The next new event of a conversation follows the last one delivered, unless those between were dead-lettered.
        skipped = [f"{r['key']}/{s}" for s in range(previous + 1, sequence)]
        if sequence <= previous or any(s not in dead for s in skipped):
            order_broken += 1
        by_conversation[r["key"]] = sequence
    accounted = delivered | set(dead)
    duplicates = len(ok_requests) - len(delivered)
    mismatched = sum(1 for r in requests if r["id"] != r["event_id"])
    invalid = sum(1 for r in requests if not r["valid"])
    wrong_type = sum(1 for r in requests if r["content_type"] != "application/cloudevents+json")
    lost = total - len({i for i in accounted if i.startswith(SOURCE)})
    result = {
        "events": total, "requests": len(requests), "delivered": len(delivered), "dead_lettered": len(dead), "lost": lost,
        "duplicates_same_id": duplicates, "id_mismatch": mismatched, "invalid_signatures": invalid, "wrong_content_type": wrong_type,
        "order_broken": order_broken, "kills_at_s": kills, "all_done_after_s": round(done_at, 1) if done_at else None,
        "exit_status_on_sigterm": exit_status,
        "failed_attempts": {k.split('status="')[1].split('"')[0]: int(v) for k, v in values.items()
                            if k.startswith("convobridge_webhook_delivery_failed_attempts_total") and v},
    }
    result["ok"] = (lost == 0 and order_broken == 0 and invalid == 0 and mismatched == 0 and wrong_type == 0
                    and exit_status == 0 and done_at is not None)
    if not result["ok"]:
        result["files"] = work
    return result


def bench(options):
    work = tempfile.mkdtemp(prefix="convobridge-webhooks-bench-")
    environment = Environment(work)
    try:
        per_conversation = 10
        conversations = options.events // per_conversation
        total = conversations * per_conversation
        produce_events(environment.bootstrap, conversations, per_conversation)
        environment.receiver()
        environment.write_config(["1s"], timeout="5s", concurrency=64)
        environment.metrics_port = free_port()
        started = time.time()
        deliverer = environment.start_deliverer(0)
        while len({r["id"] for r in read_log(environment.receiver_log)}) < total and time.time() - started < 300:
            time.sleep(0.2)
        requests = read_log(environment.receiver_log)
        first, last = min(r["at"] for r in requests), max(r["at"] for r in requests)
        ours = total / (last - first)
        deliverer.send_signal(signal.SIGTERM)
        deliverer.wait(timeout=60)
        # What a user would write instead: one consumer, one POST at a time, signed the same way.
        naive_log_start = len(requests)
        naive_started = time.time()
        subprocess.run([sys.executable, f"{HERE}/../Benchmarks/webhooks/what_a_user_would_write.py", environment.bootstrap,
                        f"http://127.0.0.1:{environment.receiver_port}/hook", SECRET, str(total)], check=True)
        naive_seconds = time.time() - naive_started
        naive = (len(read_log(environment.receiver_log)) - naive_log_start) / naive_seconds
        body = json.dumps({"specversion": "1.0", "id": "x", "data": {}})
        with open(f"{work}/post.lua", "w") as handle:
            handle.write(f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\nwrk.headers["Content-Type"] = "application/json"\n')
        wrk = subprocess.run(["wrk", "-t2", "-c64", "-d10s", "-s", f"{work}/post.lua", f"http://127.0.0.1:{environment.receiver_port}/hook"],
                             capture_output=True, text=True)
        ceiling = next((float(line.split()[1]) for line in wrk.stdout.splitlines() if line.startswith("Requests/sec")), None)
        return {"events": total, "convobridge_deliver_events_per_s": round(ours), "what_a_user_would_write_events_per_s": round(naive),
                "wrk_unsigned_posts_per_s_ceiling": round(ceiling) if ceiling else None}
    finally:
        environment.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--conversations", type=int, default=500)
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--limit", type=float, default=300, help="seconds to wait for every event to be done")
    parser.add_argument("--bench", action="store_true")
    parser.add_argument("--markdown", action="store_true")
    options = parser.parse_args()
    print(f"[{datetime.now():%H:%M:%S}] webhook suite, binary {BINARY}", file=sys.stderr)
    result = bench(options) if options.bench else faults(options)
    if options.markdown:
        print("| " + " | ".join(result) + " |")
        print("|" + "---|" * len(result))
        print("| " + " | ".join(str(value) for value in result.values()) + " |")
    else:
        print(json.dumps(result, indent=2))
    sys.exit(0 if options.bench or result["ok"] else 1)


if __name__ == "__main__":
    main()
