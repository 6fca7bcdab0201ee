#!/usr/bin/env python3
"""The fault suite: the bridge, the simulator and an embedded Kafka broker as processes, a scripted workload, and one
kind of fault per scenario. Prints a table of transitions expected / delivered / lost / duplicated / invented.

Workload: N conversations listed in the configuration, polled every 300 ms. Once all are discovered, one
conversation every GAP seconds (round-robin) takes its next step: close (with an end reason), end-reason change,
reopen. Each conversation therefore changes only every N x GAP seconds (12 s by default), longer than any fault
below keeps the bridge from seeing it, so every step is a transition the bridge must deliver:

  close   -> conversation.closed, conversation.ended_reason_changed   (none -> reason)
  reason  -> conversation.ended_reason_changed
  reopen  -> conversation.reopened, conversation.ended_reason_changed (reason -> none)

Checks, per scenario: every expected transition delivered, in order, per conversation (lost = expected - matched);
no delivered closed/reopened/ended_reason_changed that no step explains (invented); duplicates only with an identical
ce_id and identical bytes; ids {key}/1..n without a gap; every event valid under the contract's JSON Schemas
(scripts/check-contract.py's checker: deploy/schemas/v1, record time = observed_at); the bridge alive at the end and exiting 0 on SIGTERM; and
the message a user would look for in its log or metrics. Exit status 1 when any check fails.

Scenarios: kill9 (kill -9 three times at random moments, restart), broker-outage (all brokers down 60 s),
broker-errors (NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT, _TRANSPORT on produce and metadata requests),
platform (429 storm with Retry-After, 500s, latency spikes, malformed JSON, HTML error pages, truncated and oversized
bodies, credentials refused for 6 s), disk-full (the store on a 16 MiB tmpfs, filled for 8 s, with store.min_free_space 2MiB; needs root),
scale (300 Jelou conversations through Advisor discovery and 300 Zild from configured ids, open_interval 1 s, 15 % bad
answers and 3 × kill -9, judged per transition, stale discovered snapshots included, and by poll lag p99 <= 2 s),
scale-clean (500 + 500 conversations, no fault), hostile (absurd dates, numbers, sizes, nesting and control characters
in 8 poison conversations' answers, a huge Retry-After, webhooks with absurd timestamps and ids, a 200-fold replay,
1,000 event names, a 2 MB body, 400 idle and half-sent connections, wrong admin tokens and ids; the process alive
after each and the workload's conversations losing nothing), bad-config (every file in Tests/Fixtures/bad-configs refused, naming its key),
webhooks (outbound webhooks: scripts/webhook_suite.py; needs aiohttp and confluent-kafka),
replicas (3 replicas coordinated by Kafka, 1,500 + 1,500 conversations, kill -9, a SIGSTOP zombie and a new replica:
scripts/replica_suite.py).

Usage: scripts/fault-suite.sh [--runs K] [--seed S] [--only NAME[,NAME...]] [--markdown]
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_bridge import http, metric_sum, metrics, wait_for_file  # noqa: E402

BINARY = os.environ.get("CONVOBRIDGE", ".build/debug/convobridge")
SOURCE = "jelou-faults"
TRACKED = ("conversation.closed", "conversation.reopened", "conversation.ended_reason_changed")
EVENTS_OF_STEP = {"closed": ["conversation.closed", "conversation.ended_reason_changed"],
                  "ended_reason_changed": ["conversation.ended_reason_changed"],
                  "reopened": ["conversation.reopened", "conversation.ended_reason_changed"]}
REASONS = ["closed_by_operator", "closed_by_user", "abandoned", "resolved", "timeout"]


class Failure(Exception):
    pass


class Run:
    """One scenario run: its processes, files and workload."""

    def __init__(self, work, population, gap, rng):
        self.work = work
        self.population = population
        self.gap = gap
        self.rng = rng
        self.processes = []
        self.bridge = None
        self.bridge_logs = []
        self.bridge_url = None
        self.notes = []
        self.store_dir = work
        self.min_free_space = "64MiB"
        # Conversations outside the workload (the hostile scenario's poison answers), and whether webhooks and the
        # admin API are on.
        self.extra_ids = []
        self.webhooks = False
        # librdkafka's mock cluster keeps about 5 MiB per partition: a large run needs more partitions to keep it all.
        self.partitions = 6

    def start(self, arguments, stdin=None, stdout=None, stderr=None):
        process = subprocess.Popen([BINARY] + arguments, stdin=stdin, stdout=stdout or subprocess.DEVNULL,
                                   stderr=stderr or subprocess.DEVNULL)
        self.processes.append(process)
        return process

    def start_environment(self):
        self.kafka = self.start(["kafka-dev", "--bootstrap-file", f"{self.work}/bootstrap", "--log-level", "notice",
                                 "--topic", f"conversation-events:{self.partitions}", "--topic", f"conversation-state:{self.partitions}"],
                                stdin=subprocess.PIPE, stderr=open(f"{self.work}/kafka.log", "w"))
        self.bootstrap = wait_for_file(f"{self.work}/bootstrap")
        with open(f"{self.work}/simulator.url", "w") as url_file:
            self.start(["simulate", "--port", "0", "--population", "0", "--log-level", "warning"], stdout=url_file)
        self.simulator = wait_for_file(f"{self.work}/simulator.url")
        # Open conversations, so that steps run close -> end-reason change -> reopen from the start.
        self.ids = [json.loads(http("POST", self.simulator + "/_sim/conversations", {"id": f"f-{n:03d}"}))["conversation_id"]
                    for n in range(1, self.population + 1)]
        with open(f"{self.work}/api-key", "w") as handle:
            handle.write("sim-api-key")

    def write_config(self):
        conversations = "".join(f"      - {conversation_id}\n" for conversation_id in self.ids + self.extra_ids)
        server, webhook = '{listen: "127.0.0.1:0"}', ""
        if self.webhooks:
            for name, value in (("signing-secret", WEBHOOK_SECRET), ("admin-token", ADMIN_TOKEN)):
                with open(f"{self.work}/{name}", "w") as handle:
                    handle.write(value)
            server = f'{{listen: "127.0.0.1:0", admin_token_file: {self.work}/admin-token, header_timeout: 2s, body_timeout: 3s}}'
            webhook = f"\n    webhook: {{signing_secret_file: {self.work}/signing-secret}}"
        with open(f"{self.work}/bridge.yaml", "w") as handle:
            handle.write(f"""store: {{path: {self.store_dir}/bridge.sqlite, min_free_space: {self.min_free_space}}}
kafka: {{bootstrap_servers: "{self.bootstrap}"}}
server: {server}
relay: {{drain_deadline: 5s}}
sources:
  - name: {SOURCE}
    base_url: {self.simulator}/jelouapi
    project_id: sim-project
    auth: {{api_key_file: {self.work}/api-key}}
    schedule: {{open_interval: 300ms, closed_interval: 300ms, closed_grace: 1h, jitter: 0.1, not_found_recheck: 1s,
                failure_backoff: 200ms, max_failure_backoff: 2s, vanish_after: 3}}
    http: {{requests_per_second: 300, burst: 50, max_concurrent: 8, timeout: 5s, max_attempts: 4,
            auth_failure_threshold: 3, auth_probe_interval: 2s}}{webhook}
    conversations:
{conversations}""")

    def start_bridge(self):
        log_path = f"{self.work}/bridge-{len(self.bridge_logs) + 1}.log"
        self.bridge_logs.append(log_path)
        self.bridge = self.start(["run", "--config", f"{self.work}/bridge.yaml", "--log-format", "json", "--log-level", "info"],
                                 stderr=open(log_path, "w"))
        deadline = time.time() + 60
        while time.time() < deadline:
            with open(log_path) as handle:
                for line in handle:
                    if "HTTP server listening" in line:
                        self.bridge_url = json.loads(line)["url"]
                        return
            if self.bridge.poll() is not None:
                raise Failure(f"the bridge exited with {self.bridge.returncode}; see {log_path}")
            time.sleep(0.05)
        raise Failure(f"the bridge did not start; see {log_path}")

    def metrics(self):
        return metrics(self.bridge_url)

    def wait_ready(self, timeout=30):
        """Whether /readyz answers 200 within `timeout` seconds."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                http("GET", self.bridge_url + "/readyz")
                return True
            except Exception:
                time.sleep(0.2)
        return False

    def wait_for_discoveries(self):
        deadline = time.time() + 120
        while metric_sum(self.metrics(), "convobridge_transitions_total", type="conversation.discovered") < len(self.ids):
            if time.time() > deadline:
                raise Failure("not every conversation was discovered within 120 s")
            time.sleep(0.2)

    def workload(self, duration):
        """Steps conversations round-robin every `gap` seconds for `duration` seconds."""
        step_of = {conversation_id: 0 for conversation_id in self.ids}
        started = time.time()
        index = 0
        while time.time() - started < duration:
            tick = time.time()
            conversation_id = self.ids[index % len(self.ids)]
            index += 1
            step = step_of[conversation_id] % 3
            step_of[conversation_id] += 1
            base = f"{self.simulator}/_sim/conversations/{conversation_id}"
            if step == 0:
                http("POST", base + "/close", {"reason": self.rng.choice(REASONS)})
            elif step == 1:
                http("POST", base + "/ended-reason", {"reason": self.rng.choice(REASONS) + "_later"})
            else:
                http("POST", base + "/reopen", {})
            time.sleep(max(0.0, self.gap - (time.time() - tick)))

    def settle(self):
        """Lets the last steps be polled and the outbox drain, then stops the bridge with SIGTERM."""
        time.sleep(3)
        deadline = time.time() + 120
        while metric_sum(self.metrics(), "convobridge_outbox_events") > 0:
            if time.time() > deadline:
                raise Failure("the outbox did not drain within 120 s after the faults ended")
            time.sleep(0.5)
        if self.bridge.poll() is not None:
            raise Failure(f"the bridge died (status {self.bridge.returncode}); see {self.bridge_logs[-1]}")
        self.bridge.send_signal(signal.SIGTERM)
        try:
            status = self.bridge.wait(timeout=30)
        except subprocess.TimeoutExpired:
            raise Failure("the bridge did not stop within 30 s of SIGTERM")
        if status != 0:
            raise Failure(f"the bridge exited {status} on SIGTERM")

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()

    def kafka_command(self, line):
        self.kafka.stdin.write((line + "\n").encode())
        self.kafka.stdin.flush()

    def log_text(self):
        text = ""
        for path in self.bridge_logs:
            with open(path) as handle:
                text += handle.read()
        return text

    def account(self):
        """Matches the simulator's steps against what Kafka holds."""
        by_key, duplicates, conflicting, gaps, invalid = read_events(self.bootstrap)
        changes = json.loads(http("GET", self.simulator + "/_sim/changes"))
        expected_total = matched_total = invented_total = 0
        for conversation_id in self.ids:
            key = f"{SOURCE}/{conversation_id}"
            expected = [event for change in changes if change["conversation_id"] == conversation_id
                        and change["kind"] in EVENTS_OF_STEP and change["number"] > self.first_step_number
                        for event in EVENTS_OF_STEP[change["kind"]]]
            delivered = [event[1] for event in by_key.get(key, []) if event[1] in TRACKED]
            matched = matched_in_order(expected, delivered)
            expected_total += len(expected)
            matched_total += matched
            invented_total += len(delivered) - matched
        return {"expected": expected_total, "delivered": matched_total, "lost": expected_total - matched_total,
                "duplicated": duplicates, "conflicting": conflicting, "invented": invented_total, "gaps": gaps,
                "schema_invalid": invalid}


def matched_in_order(expected, delivered):
    """How many of the expected event types the delivered ones show, in order (each delivered event used once)."""
    matched = position = 0
    for wanted in expected:
        while position < len(delivered) and delivered[position] != wanted:
            position += 1
        if position == len(delivered):
            break
        matched += 1
        position += 1
    return matched


def contract_checker():
    """scripts/check-contract.py's checker: every event read is validated against deploy/schemas/v1."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("check_contract", os.path.join(os.path.dirname(os.path.abspath(__file__)), "check-contract.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Checker(module.load_schemas())


def read_events(bootstrap, kcat_options=()):
    """Every record of conversation-events, by key, in sequence order, as (sequence, type, ce_id, value); the
    duplicates (a ce_id read again), those among them that differ from the first, the keys whose ids have a gap, and
    the records the contract's schemas refuse."""
    consumed = subprocess.run(["kcat", "-b", bootstrap, *kcat_options, "-C", "-t", "conversation-events", "-o", "beginning", "-e", "-q",
                               "-f", "%k\t%T\t%h\t%s\n"], capture_output=True, text=True, timeout=300)
    if consumed.returncode != 0:
        raise Failure("kcat could not read conversation-events: " + consumed.stderr.strip())
    by_key, seen = {}, {}
    duplicates = conflicting = invalid = 0
    checker = contract_checker()
    for line in consumed.stdout.splitlines():
        parts = line.split("\t", 3)
        if len(parts) != 4:
            continue
        key, timestamp, header_text, value = parts
        headers = dict(pair.split("=", 1) for pair in header_text.split(",") if "=" in pair)
        try:
            problems = checker.problems({"key": key, "timestamp": int(timestamp), "headers": headers, "value": json.loads(value)})
        except ValueError as error:
            problems = [f"not JSON: {error}"]
        if problems:
            invalid += 1
            if invalid <= 5:
                print(f"    schema: {key}: {'; '.join(problems)[:300]}", file=sys.stderr)
        event_id = headers.get("ce_id", "")
        if event_id in seen:
            duplicates += 1
            conflicting += seen[event_id] != value
            continue
        seen[event_id] = value
        by_key.setdefault(key, []).append((int(headers.get("ce_sequence", "0")), headers.get("ce_type"), event_id, value))
    for events in by_key.values():
        events.sort()
    gaps = sum(1 for key, events in by_key.items() if [event[2] for event in events] != [f"{key}/{n}" for n in range(1, len(events) + 1)])
    return by_key, duplicates, conflicting, gaps, invalid


def run_scenario(name, scenario, population, gap, duration, rng):
    work = tempfile.mkdtemp(prefix=f"convobridge-faults-{name}-")
    run = Run(work, population, gap, rng)
    try:
        run.start_environment()
        setup = getattr(scenario, "setup", None)
        if setup:
            setup(run)
        run.write_config()
        run.start_bridge()
        run.wait_for_discoveries()
        changes = json.loads(http("GET", run.simulator + "/_sim/changes"))
        run.first_step_number = changes[-1]["number"] if changes else 0
        worker = threading.Thread(target=run.workload, args=(duration,))
        worker.start()
        try:
            faults, message_ok = scenario(run, duration)
        finally:
            worker.join()
        run.settle()
        result = run.account()
        result.update(faults=faults, message=message_ok, notes=run.notes)
        return result, work
    except Failure as failure:
        return {"error": str(failure)}, work
    finally:
        run.stop()
        teardown = getattr(scenario, "teardown", None)
        if teardown:
            teardown(run)


# MARK: Scenarios. Each injects its faults while the workload runs and returns (faults injected, message seen).

def kill9(run, duration):
    kills = 0
    ready_after_restart = 0
    started = time.time()
    for segment in range(3):
        # A random moment in each third of the run, leaving the last seconds for the final observations.
        at = started + duration * (segment + run.rng.uniform(0.2, 0.8)) / 3.3
        time.sleep(max(0.0, at - time.time()))
        run.bridge.send_signal(signal.SIGKILL)
        run.bridge.wait(timeout=10)
        if run.bridge.returncode != -signal.SIGKILL:
            raise Failure(f"the bridge was not killed by SIGKILL ({run.bridge.returncode})")
        kills += 1
        time.sleep(run.rng.uniform(0.2, 2.0))
        run.start_bridge()
        ready_after_restart += run.wait_ready()
    time.sleep(max(0.0, started + duration - time.time()))
    # Cleanly restarted: each new process became ready (store, Kafka and source checks) again.
    return f"{kills} × kill -9, restarted", ready_after_restart == kills


def broker_outage(run, duration):
    time.sleep(5)
    run.kafka_command("down")
    time.sleep(60)
    backlog = metric_sum(run.metrics(), "convobridge_outbox_events")
    run.kafka_command("up")
    run.notes.append(f"outbox at the end of the outage: {int(backlog)} records")
    time.sleep(max(0.0, duration - 65))
    log = run.log_text()
    return "all brokers down 60 s", backlog > 0 and ("Kafka" in log)


broker_outage.duration = 80


def broker_errors(run, duration):
    # The embedded broker keeps injected errors queued until requests of that type come, and a _TRANSPORT error
    # costs a reconnect (with librdkafka's growing backoff): a round every 12 s, not faster, or the queue would keep
    # the connection failing long after the run.
    injected = 0
    started = time.time()
    rounds = 0
    while time.time() - started < duration - 10:
        run.kafka_command("errors produce NOT_LEADER_FOR_PARTITION,REQUEST_TIMED_OUT,_TRANSPORT")
        injected += 3
        if rounds in (0, 2):
            run.kafka_command("errors metadata REQUEST_TIMED_OUT,_TRANSPORT")
            injected += 2
        rounds += 1
        time.sleep(12)
    time.sleep(max(0.0, started + duration - time.time()))
    return f"{injected} produce/metadata errors", "Kafka client error" in run.log_text()


def platform(run, duration):
    faults = [({"kind": "rate_limit", "count": 40, "retry_after": 2}, "429 storm (40 × Retry-After: 2)"),
              ({"kind": "server_error", "count": 20}, "20 × 500"),
              ({"kind": "latency", "count": 20, "latency_ms": 2500}, "20 × 2.5 s latency"),
              ({"kind": "malformed_json", "count": 10}, "10 × malformed JSON"),
              ({"kind": "html_error", "count": 10}, "10 × HTML 502 page"),
              ({"kind": "truncated_body", "count": 10}, "10 × truncated body"),
              ({"kind": "oversized_body", "count": 5}, "5 × 8 MiB body")]
    started = time.time()
    for body, label in faults:
        http("POST", run.simulator + "/_sim/faults", body)
        run.notes.append(label)
        time.sleep(5)
    # Credentials revoked for 6 s, then accepted again.
    http("POST", run.simulator + "/_sim/faults", {"kind": "unauthorized", "count": 1000000})
    time.sleep(6)
    http("DELETE", run.simulator + "/_sim/faults")
    time.sleep(max(0.0, started + duration - time.time()))
    values = run.metrics()
    reasons = {reason for reason in ("rate_limited", "http_status", "invalid_payload", "response_too_large", "unauthorized")
               if metric_sum(values, "convobridge_poll_failures_total", reason=reason) > 0}
    run.notes.append("poll failures by reason: " + ", ".join(
        f"{reason} {int(metric_sum(values, 'convobridge_poll_failures_total', reason=reason))}" for reason in sorted(reasons)))
    run.notes.append(f"429 answers: {int(metric_sum(values, 'convobridge_http_rate_limited_total'))}")
    answers = sum(body["count"] for body, _ in faults)
    return f"{len(faults)} kinds of bad answer ({answers}), credentials refused 6 s", \
        {"http_status", "invalid_payload", "response_too_large"} <= reasons


platform.duration = 70


def disk_full(run, duration):
    time.sleep(8)
    filler = f"{run.store_dir}/filler"
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass
    deadline = time.time() + 10
    gauge = 0
    while time.time() < deadline and gauge < 1:
        gauge = metric_sum(run.metrics(), "convobridge_store_disk_full")
        time.sleep(0.2)
    try:
        http("GET", run.bridge_url + "/readyz")
        ready = True
    except Exception:
        ready = False
    time.sleep(6)
    os.remove(filler)
    time.sleep(max(0.0, duration - 16))
    log = run.log_text()
    message = gauge == 1 and not ready and "polling paused: the store's disk is full" in log and "polling resumed" in log
    run.notes.append(f"while full: gauge {int(gauge)}, /readyz {'200' if ready else '503'}")
    return "store's tmpfs full 8 s", message


def disk_full_setup(run):
    # A 16 MiB volume: pausing below 2 MiB free leaves SQLite room to finish what it started.
    run.min_free_space = "2MiB"
    run.store_dir = f"{run.work}/store"
    os.makedirs(run.store_dir)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", run.store_dir], check=True)


def disk_full_teardown(run):
    subprocess.run(["umount", "-l", run.store_dir], check=False)


disk_full.setup = disk_full_setup
disk_full.teardown = disk_full_teardown


WEBHOOK_SECRET = "sim-signing-secret"  # the simulator's default
ADMIN_TOKEN = "fault-suite-admin-token-0123456789abcdef"
POISON = {
    "startAt: year 0": {"startAt": "0000-01-01T00:00:00+01:00"},
    "endAt: year 99999": {"state": "closed", "endAt": "99999-01-01T00:00:00Z"},
    "startAt: -292277022657": {"startAt": "-292277022657-01-27T08:29:52Z"},
    "priority: 1e400": {"priority": 1e400},
    "a 20-digit integer": {"attempts": 123456789012345678901234567890},
    "control characters in names": {"user": {"id": "u-1", "names": "Ana\n2026-01-01 ERROR forged log line\u0000\u001b[31m"}},
    "a 1.2 MB member (the event is trimmed)": {"notes": "x" * 1_200_000, "state": "closed", "endedReason": "closed_by_operator"},
    "state: a number": {"state": 12345},
}


def signed_post(url, body):
    """POSTs `body` (bytes) with Jelou's signature; returns the status."""
    import hashlib
    import hmac
    import urllib.error
    import urllib.request
    signature = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(url, data=body, method="POST", headers={"X-Jelou-Signature": signature})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def raw_status(url, method="GET", headers=None, body=None):
    import urllib.error
    import urllib.request
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def hostile(run, duration):
    """Hostile values from every outside path, one after the other, while the workload runs; after each, the
    bridge must still be alive and answer /healthz. The workload's conversations must lose nothing meanwhile."""
    import socket
    started = time.time()
    tried = alive = 0
    outcomes = []

    def check(label, ok=True):
        nonlocal tried, alive
        tried += 1
        living = run.bridge.poll() is None and raw_status(run.bridge_url + "/healthz") == 200
        alive += living
        outcomes.append((label, living and ok))
        if not (living and ok):
            run.notes.append(f"{label}: {'alive' if living else 'DEAD'}, {'as expected' if ok else 'UNEXPECTED'}")

    # Platform answers: one poison conversation per value, polled again and again from now on.
    for (label, patch), conversation_id in zip(POISON.items(), run.extra_ids):
        status = raw_status(f"{run.simulator}/_sim/conversations/{conversation_id}/patch", "PUT", {"Content-Type": "application/json"},
                            json.dumps(patch).encode())
        time.sleep(1.5)
        check(f"answer with {label}", status == 200)
    # Retry-After far beyond any sane value, from a proxy, on one conversation's reads: it waits (capped), no other does.
    http("POST", run.simulator + "/_sim/faults", {"kind": "rate_limit", "count": 3, "retry_after": 999999999999,
                                                  "conversation_id": run.extra_ids[-1]})
    time.sleep(1.5)
    check("Retry-After: 999999999999")

    webhook_url = run.bridge_url + f"/webhooks/{SOURCE}"
    now_ms = int(time.time() * 1000)
    cases = [
        ("webhook timestamp -2^63", {"event": "conversation.close", "timestamp": -9223372036854775808, "conversation_id": run.ids[0]}, 400),
        ("webhook timestamp 10 min old", {"event": "conversation.close", "timestamp": now_ms - 600_000, "conversation_id": run.ids[0]}, 400),
        ("webhook id with a path", {"event": "message", "timestamp": now_ms, "conversation_id": "not-a-number/../x"}, 400),
        ("webhook id with a newline", {"event": "message", "timestamp": now_ms, "conversation_id": "c-1\nforged"}, 400),
        ("webhook id of 10,000 bytes", {"event": "message", "timestamp": now_ms, "conversation_id": "a" * 10_000}, 400),
    ]
    for label, payload, expected in cases:
        status = signed_post(webhook_url, json.dumps(payload).encode())
        check(label, status == expected)
    # A replay flood: one signed body 200 times.
    replayed = json.dumps({"event": "message", "timestamp": now_ms, "conversation_id": "hostile-replayed"}).encode()
    statuses = [signed_post(webhook_url, replayed) for _ in range(200)]
    check("one webhook replayed 200 times", statuses[0] == 202 and all(status == 200 for status in statuses[1:]))
    # 1,000 distinct event names.
    names_ok = all(signed_post(webhook_url, json.dumps({"event": f"custom.e{n}", "timestamp": now_ms, "conversation_id": "hostile-names"}).encode()) == 202
                   for n in range(1000))
    check("1,000 distinct webhook event names", names_ok)
    check("a 2 MB webhook body", signed_post(webhook_url, b'{"pad":"' + b"x" * 2_000_000 + b'"}') == 413)

    # Clients: 300 idle connections and 100 half-sent requests, then the listener must still answer.
    host, port = run.bridge_url.replace("http://", "").split(":")
    sockets = []
    for n in range(400):
        connection = socket.create_connection((host, int(port)), timeout=5)
        if n >= 300:
            connection.sendall(b"POST /webhooks/" + SOURCE.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
        sockets.append(connection)
    check("400 idle and half-sent connections held open")
    time.sleep(4)
    closed = 0
    for connection in sockets:
        connection.settimeout(0.5)
        try:
            closed += connection.recv(1) == b""
        except (socket.timeout, OSError):
            pass
        connection.close()
    check(f"slow clients cut off by the server ({closed}/400)", closed >= 390)

    # Admin API: wrong tokens (answered late), ids that cannot be, an unknown id.
    admin = run.bridge_url + "/admin"
    wrong = [raw_status(admin + "/sources", headers={"Authorization": "Bearer guess-" + str(n)}) for n in range(5)]
    check("5 wrong admin tokens", all(status == 401 for status in wrong))
    bearer = {"Authorization": "Bearer " + ADMIN_TOKEN}
    check("admin: watch an id with a path", raw_status(admin + f"/sources/{SOURCE}/conversations/a%2F..%2Fb/poll", "POST", bearer) == 400)
    check("admin: remove an unknown id", raw_status(admin + f"/sources/{SOURCE}/conversations/never-seen", "DELETE", bearer) == 404)

    time.sleep(max(0.0, started + duration - time.time()))
    # The poison answers cost their own conversations only; none of them is discovered with an absurd value.
    for conversation_id in run.extra_ids:
        raw_status(f"{run.simulator}/_sim/conversations/{conversation_id}/patch", "PUT", {"Content-Type": "application/json"}, b"{}")
    values = run.metrics()
    invalid = int(metric_sum(values, "convobridge_poll_failures_total", reason="invalid_payload"))
    duplicates = int(metric_sum(values, "convobridge_webhook_requests_total", outcome="duplicate"))
    # The 1.2 MB answer was delivered, trimmed: its event says what it lost.
    large = run.extra_ids[list(POISON).index("a 1.2 MB member (the event is trimmed)")]
    by_key = read_events(run.bootstrap)[0]
    trimmed = any('"truncated":["raw"]' in event[3] for event in by_key.get(f"{SOURCE}/{large}", []))
    run.notes.append(f"{alive}/{tried} inputs survived, poll failures invalid_payload {invalid}, webhook duplicates {duplicates}, "
                     f"1.2 MB answer delivered with data.truncated: {'yes' if trimmed else 'NO'}")
    ok = alive == tried and all(good for _, good in outcomes) and duplicates == 199 and invalid > 0 and trimmed
    return f"{tried} hostile inputs, alive after {alive}", ok


def hostile_setup(run):
    run.webhooks = True
    # One per poison value, and one for the absurd Retry-After.
    run.extra_ids = [json.loads(http("POST", run.simulator + "/_sim/conversations", {"id": f"poison-{n}"}))["conversation_id"]
                     for n in range(1, len(POISON) + 2)]


hostile.setup = hostile_setup
hostile.duration = 70


# MARK: Scale: two platforms, hundreds of conversations, a share of bad answers and kill -9, judged per transition.

SCALE_SOURCES = ("jelou-scale", "zild-scale")
CLOSE_REASONS = ["closed_by_operator", "closed_by_user"]
LATER_REASONS = ["expired", "closed_by_bot"]  # Zild ids 3 and 4: always a different id from the close's 1 or 2
BAD_ANSWERS = [{"kind": "rate_limit", "retry_after": 1}, {"kind": "server_error"}, {"kind": "truncated_body"},
               {"kind": "html_error"}]


def status_after(kind, previous):
    return {"created": "open", "closed": "closed", "reopened": "open"}.get(kind, previous)


def scale(options, rng, population, fault_rate, kills, duration):
    """300 Jelou conversations found through Advisor discovery and 300 Zild conversations from configured ids (by
    default), open_interval 1 s, every answer bad with probability `fault_rate` (429 with Retry-After: 1, 500,
    truncated JSON, HTML 502) from the bridge's first request on, and `kills` × kill -9 with restarts. Every
    conversation takes a step every 8 s from the moment the bridge starts (discovery included), so every transition
    lasts 8 s, and conversations change while they are being discovered.

    Judged: every transition after a conversation's discovered event delivered in order (a step within the second
    before that event's observed_at counts as seen if the discovered state already shows it); no discovered event
    whose state is not the platform's state at some instant of the second before its observed_at (a stale
    snapshot, counted as invented); no other invented transition; no gap; duplicates only byte-identical; poll lag p99.
    """
    work = tempfile.mkdtemp(prefix="convobridge-faults-scale-")
    run = Run(work, population, 0, rng)
    run.partitions = 64
    notes = []
    try:
        run.start_environment()  # creates `population` Jelou-shaped open conversations f-001…
        jelou_ids = run.ids
        for conversation_id in jelou_ids:  # Advisor lists attended conversations only
            http("POST", f"{run.simulator}/_sim/conversations/{conversation_id}/assign", {"operator": "Ana Torres"})
        zild = [json.loads(http("POST", run.simulator + "/_sim/conversations", {"id": f"z-{n:03d}"}))
                for n in range(1, population + 1)]
        zild_numbers = {created["conversation_id"]: created["conversation_number"] for created in zild}
        with open(f"{work}/token", "w") as handle:
            handle.write("sim-bearer-token")
        with open(f"{work}/client-secret", "w") as handle:
            handle.write("sim-client-secret")
        zild_ids = "".join(f"      - {number}\n" for number in zild_numbers.values())
        http_settings = "{requests_per_second: 1000, burst: 100, max_concurrent: 16, timeout: 5s}"
        schedule = "{open_interval: 1s, closed_interval: 1s, closed_grace: 1h, jitter: 0.1, not_found_recheck: 1s, vanish_after: 3}"
        with open(f"{work}/bridge.yaml", "w") as handle:
            handle.write(f"""store: {{path: {work}/bridge.sqlite}}
kafka: {{bootstrap_servers: "{run.bootstrap}"}}
server: {{listen: "127.0.0.1:0"}}
relay: {{drain_deadline: 5s}}
sources:
  - name: jelou-scale
    base_url: {run.simulator}/jelouapi
    project_id: sim-project
    auth: {{api_key_file: {work}/api-key, client_id: sim-client, client_secret_file: {work}/client-secret}}
    advisor: {{api_base_url: {run.simulator}, interval: 2s, lookback: 2h, overlap: 1m, page_size: 100}}
    schedule: {schedule}
    http: {http_settings}
  - name: zild-scale
    platform: zild
    base_url: {run.simulator}/zild
    auth: {{token_file: {work}/token}}
    schedule: {schedule}
    http: {http_settings}
    conversations:
{zild_ids}""")
        http("POST", run.simulator + "/_sim/fault-rate", {"rate": fault_rate, "kinds": BAD_ANSWERS, "seed": rng.randrange(1 << 30)})
        run.start_bridge()
        started = time.time()
        samples = []

        def workload():
            everyone = jelou_ids + list(zild_numbers)
            step_round_robin(run.simulator, everyone, 8.0 / len(everyone), rng, lambda: time.time() - started < duration)

        worker = threading.Thread(target=workload)
        worker.start()
        try:
            for segment in range(kills):
                at = started + duration * (segment + rng.uniform(0.3, 0.8)) / (kills + 0.5)
                time.sleep(max(0.0, at - time.time()))
                samples.append(run.metrics())
                run.bridge.send_signal(signal.SIGKILL)
                run.bridge.wait(timeout=10)
                time.sleep(rng.uniform(0.2, 1.5))
                run.start_bridge()
        finally:
            worker.join()
        http("POST", run.simulator + "/_sim/fault-rate", {"rate": 0})
        time.sleep(4)
        samples.append(run.metrics())
        run.settle()
        result = account_scale(run, jelou_ids, zild_numbers)
        lag = {}
        for source in SCALE_SOURCES:
            buckets = {}
            for values in samples:
                for key, value in values.items():
                    if key.startswith("convobridge_poll_lag_seconds_bucket{") and f'source="{source}"' in key:
                        le = key.split('le="')[1].split('"')[0]
                        buckets[le] = buckets.get(le, 0) + value
            ordered = sorted(((float("inf") if le == "+Inf" else float(le)), count) for le, count in buckets.items())
            total = ordered[-1][1] if ordered else 0
            lag[source] = next((le for le, count in ordered if count >= 0.99 * total), float("nan")) if total else float("nan")
        polls = {source: int(sum(metric_sum(values, "convobridge_http_requests_total", source=source) for values in samples))
                 for source in SCALE_SOURCES}
        failures = int(sum(metric_sum(values, "convobridge_poll_failures_total") for values in samples))
        notes.append("poll lag p99 " + ", ".join(f"{source} <= {lag[source]:g} s" for source in SCALE_SOURCES))
        notes.append(f"requests {polls}, failed attempts {failures}, stale discovered {result['stale_discovered']}")
        notes.append(f"events refused by the contract's schemas {result['schema_invalid']}")
        result["lag_ok"] = all(value <= 2 for value in lag.values())
        result.update(faults=f"{population} + {population} conversations, {fault_rate:.0%} bad answers, {kills} × kill -9",
                      message=result["lag_ok"], notes=notes)
        return result, work
    except Failure as failure:
        return {"error": str(failure)}, work
    finally:
        run.stop()


def step_round_robin(simulator, ids, gap, rng, keep_going, sleep=time.sleep):
    """One conversation every `gap` seconds, round-robin, takes its next scripted step (close with a reason whose
    Zild id differs from the later one, end-reason change, reopen) while `keep_going()`."""
    step_of = {conversation_id: 0 for conversation_id in ids}
    index = 0
    while keep_going():
        tick = time.time()
        conversation_id = ids[index % len(ids)]
        index += 1
        step = step_of[conversation_id] % 3
        step_of[conversation_id] += 1
        base = f"{simulator}/_sim/conversations/{conversation_id}"
        if step == 0:
            http("POST", base + "/close", {"reason": rng.choice(CLOSE_REASONS)})
        elif step == 1:
            http("POST", base + "/ended-reason", {"reason": rng.choice(LATER_REASONS)})
        else:
            http("POST", base + "/reopen", {})
        sleep(max(0.0, gap - (time.time() - tick)))


def account_scale(run, jelou_ids, zild_numbers):
    by_key, duplicates, conflicting, gaps, invalid = read_events(run.bootstrap)
    changes = json.loads(http("GET", run.simulator + "/_sim/changes"))
    def seconds(text):
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    keys = {conversation_id: f"jelou-scale/{conversation_id}" for conversation_id in jelou_ids}
    keys.update({conversation_id: f"zild-scale/{number}" for conversation_id, number in zild_numbers.items()})
    totals = {"expected": 0, "delivered": 0, "lost": 0, "invented": 0, "stale_discovered": 0, "undiscovered": 0}
    details = []
    for conversation_id, key in keys.items():
        events = sorted(by_key.get(key, []))
        timeline = [(seconds(change["at"]), change["kind"]) for change in changes if change["conversation_id"] == conversation_id]
        discovered = [event for event in events if event[1] == "conversation.discovered"]
        if not discovered:
            totals["undiscovered"] += 1
            continue
        data = json.loads(discovered[0][3])
        observed = seconds(data["observed_at"])
        shown = data["after"]["status"]

        def status_at(instant):
            status = None
            for at, kind in timeline:
                if at > instant:
                    break
                status = status_after(kind, status)
            return status
        # Every state of that second: the one it began with and each step's within it.
        candidates = {status_at(observed - 1.0), status_at(observed)} | {
            status_after(kind, status_at(at - 1e-3)) for at, kind in timeline if observed - 1.0 <= at <= observed}
        if shown not in candidates:
            totals["stale_discovered"] += 1
        # Steps after the answer are news; one within the second before it is news unless the snapshot shows it.
        expected = []
        for at, kind in timeline:
            if kind not in EVENTS_OF_STEP:
                continue
            if at > observed or (at > observed - 1.0 and status_at(observed) != shown):
                expected += EVENTS_OF_STEP[kind]
        delivered = [event[1] for event in events if event[1] in TRACKED]
        matched = matched_in_order(expected, delivered)
        totals["expected"] += len(expected)
        totals["delivered"] += matched
        totals["invented"] += len(delivered) - matched
        if (matched < len(expected) or len(delivered) > matched or shown not in candidates) and len(details) < 12:
            details.append(f"{key}: discovered {shown} at {data['observed_at']}; steps "
                           + ", ".join(f"{kind}@{datetime.utcfromtimestamp(at):%H:%M:%S.%f}"[:-3] for at, kind in timeline)
                           + "; events " + ", ".join(f"{event[1].replace('conversation.', '')}@"
                                                       f"{json.loads(event[3]).get('observed_at', '?')[11:23]}" for event in events))
    for line in details:
        print("    " + line, file=sys.stderr)
    totals["lost"] = totals["expected"] - totals["delivered"]
    totals["invented"] += totals["stale_discovered"]
    totals.update(duplicated=duplicates, conflicting=conflicting, gaps=gaps, schema_invalid=invalid)
    if totals["undiscovered"]:
        raise Failure(f"{totals['undiscovered']} conversations never discovered")
    return totals


def bad_configs():
    directory = "Tests/Fixtures/bad-configs"
    files = sorted(f for f in os.listdir(directory) if f.endswith(".yaml"))
    named = 0
    problems = []
    for name in files:
        path = f"{directory}/{name}"
        with open(path) as handle:
            keys = [line.split(":", 1)[1].strip() for line in handle if line.startswith("# expect:")]
        result = subprocess.run([BINARY, "check-config", "--config", path], capture_output=True, text=True, timeout=60,
                                env={**os.environ, "BAD_CONFIG_SECRET": "s3cret-value"})
        if result.returncode != 0 and all(key in result.stderr for key in keys) and "s3cret-value" not in result.stderr:
            named += 1
        else:
            problems.append(f"{name}: status {result.returncode}, {result.stderr.strip()[:200]}")
    return len(files), named, problems


SCENARIOS = {"kill9": kill9, "broker-outage": broker_outage, "broker-errors": broker_errors, "platform": platform,
             "disk-full": disk_full, "hostile": hostile}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--only", default="")
    parser.add_argument("--population", type=int, default=30)
    parser.add_argument("--gap", type=float, default=0.4)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--scale-population", type=int, default=300, help="conversations per platform in the scale scenarios")
    options = parser.parse_args()
    wanted = [name for name in options.only.split(",") if name] or list(SCENARIOS) + ["scale", "scale-clean", "bad-config", "webhooks", "replicas"]
    rng = random.Random(options.seed)
    print(f"fault suite: seed {options.seed} (--seed replays the same random moments), binary {BINARY}", file=sys.stderr)
    rows = []
    failed = False
    for name in wanted:
        if name == "webhooks":
            # Outbound webhooks: scripts/webhook_suite.py (5,000 events, a failing receiver that goes away, 2 x kill -9).
            import webhook_suite
            result = webhook_suite.faults(argparse.Namespace(events=5000, conversations=500, seed=options.seed, limit=300))
            print(f"  webhooks: {json.dumps(result)}", file=sys.stderr)
            rows.append((name, 1, f"20 % 500/503, 5 % stalls, receiver away 30 s, kill -9 at {result['kills_at_s']} s", result["events"],
                         result["events"] - result["lost"], result["lost"], result["duplicates_same_id"], 0,
                         ("ok" if result["ok"] else "FAILED") + f": order broken {result['order_broken']}, bad signatures "
                         f"{result['invalid_signatures']}, dead-lettered {result['dead_lettered']}, done after {result['all_done_after_s']} s"))
            failed |= not result["ok"]
            continue
        if name == "replicas":
            # Replicas coordinated by Kafka: scripts/replica_suite.py on the mock cluster (sessions expire there).
            import replica_suite
            suite = replica_suite.Suite(argparse.Namespace(broker="mock", jelou=1500, zild=1500, seed=options.seed, duration=160))
            try:
                result = suite.run()
            except replica_suite.Failure as failure:
                result = {"ok": False, "error": str(failure), "faults": [], "expected": 0, "delivered": 0, "lost": 0,
                          "duplicated": 0, "invented": 0, "conflicting": 0, "gaps": 0}
            finally:
                suite.stop()
            print(f"  replicas: {json.dumps(result)}", file=sys.stderr)
            rows.append((name, 1, "; ".join(result["faults"]), result["expected"], result["delivered"], result["lost"], result["duplicated"],
                         result["invented"], ("ok" if result["ok"] else "FAILED") + f": conflicting {result['conflicting']}, gaps "
                         f"{result['gaps']}, polls {result.get('polls')}" + (f", {result['error']}" if "error" in result else "")))
            failed |= not result["ok"]
            continue
        if name == "bad-config":
            files, named, problems = bad_configs()
            rows.append((name, 1, f"{files} bad files", "-", "-", "-", "-", "-", f"{named}/{files} refused naming the key"))
            for problem in problems:
                print("  bad-config:", problem, file=sys.stderr)
            failed |= named != files
            continue
        if name in ("scale", "scale-clean"):
            # scale: 15 % bad answers and 3 × kill -9; scale-clean: more conversations, no fault.
            population = options.scale_population if name == "scale" else max(options.scale_population, 500)
            fault_rate, kills = (0.15, 3) if name == "scale" else (0.0, 0)

            def attempt_once():
                return scale(options, rng, population, fault_rate, kills, 70)
            verdict = lambda result, ok: ("ok: " if ok else "FAILED: ") + "; ".join(result["notes"])
            joiner = " / "
        else:
            scenario = SCENARIOS[name]
            if name == "disk-full" and os.geteuid() != 0:
                rows.append((name, 0, "skipped: mounting a tmpfs needs root", "-", "-", "-", "-", "-", "-"))
                continue

            def attempt_once():
                return run_scenario(name, scenario, options.population, options.gap, getattr(scenario, "duration", options.duration), rng)
            verdict = lambda result, ok: "ok" if ok else \
                f"FAILED (conflicting {result['conflicting']}, gaps {result['gaps']}, schema-invalid {result.get('schema_invalid', 0)}, message {result['message']})"
            joiner = "; "
        totals = {"expected": 0, "delivered": 0, "lost": 0, "duplicated": 0, "invented": 0}
        faults = ""
        verdicts = []
        for attempt in range(options.runs):
            print(f"[{datetime.now():%H:%M:%S}] {name}: run {attempt + 1} of {options.runs}", file=sys.stderr, flush=True)
            result, work = attempt_once()
            if "error" in result:
                failed = True
                verdicts.append("FAILED: " + result["error"])
                print(f"  {name}: {result['error']} (files in {work})", file=sys.stderr)
                continue
            for key in totals:
                totals[key] += result[key]
            faults = result["faults"]
            ok = (result["lost"] == 0 and result["invented"] == 0 and result["conflicting"] == 0 and result["gaps"] == 0
                  and result.get("schema_invalid", 0) == 0 and result["message"])
            failed |= not ok
            verdicts.append(verdict(result, ok))
            print(f"  {name}: {json.dumps(result)}", file=sys.stderr)
            if ok:
                shutil.rmtree(work, ignore_errors=True)
            else:
                print(f"  files kept in {work}", file=sys.stderr)
        rows.append((name, options.runs, faults, totals["expected"], totals["delivered"], totals["lost"], totals["duplicated"],
                     totals["invented"], joiner.join(sorted(set(verdicts)))))
    header = ("scenario", "runs", "faults injected (per run)", "expected", "delivered", "lost", "duplicated", "invented", "checks")
    if options.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows:
            print("| " + " | ".join(str(cell) for cell in row) + " |")
    else:
        widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]
        for row in [header] + rows:
            print("  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
