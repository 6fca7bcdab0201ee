#!/usr/bin/env python3
"""Replicas coordinated by Kafka under faults, as processes: a real broker (noida-db: transactions, fencing,
read_committed), the platform simulator, and `convobridge run` replicas with `coordination.mode: kafka`.

Workload: JELOU conversations found through Advisor discovery and ZILD conversations from configured ids (1,500 each
by default), polled every 5 s. Once every conversation is discovered, one conversation at a time takes its next
scripted step (close with a reason, end-reason change, reopen), round-robin, so that each changes about once a
minute. During the run: replica r1 is kill -9'd, replica r2 is paused with SIGSTOP for longer than the session
timeout and resumed (the zombie), and replica r4 is added to the group. Throughout, signed Jelou webhooks (ten a
second, each with an event name of its own) go to a random live replica.

Judged, on the events topic read with isolation.level=read_committed: every step's transitions delivered in order
(lost), none that no step explains (invented), ids {key}/1..n without a gap, no two different records with the same
ce_id (fencing held), every webhook answered 202 forwarded exactly once (by whichever replica owned its
conversation, through the handoff topic), every event valid under the contract's schemas; the takeover time after the kill (the
surviving replicas own every partition again; target <= session timeout + one poll interval), and the polls of each
replica (the work is shared).

Brokers (--broker): `mock` (the default), librdkafka's mock cluster through `convobridge kafka-dev`, which expires the
session of a member that stopped heartbeating (so kill -9 and SIGSTOP are taken over) but neither fences producers
nor hides aborted transactions (the replica's own lease keeps a woken zombie from committing); `noida`, a real broker
with fencing and read_committed, which in 0.2.3 never expires a member's session: there the replicas are static
members, r1 is kill -9'd and restarted at once on an empty disk (it takes its member's place, fences its own open
transactions and restores everything from Kafka), and the SIGSTOP phase is skipped. The mock does not store the offsets a transaction commits either, so there a webhook
is forwarded again after each rebalance: its duplicates are reported, judged only on noida. The fencing itself is tested on noida-db
in `swift test` (ReplicaGroupTests, KafkaTransactionsTests).

Usage: scripts/replica_suite.py [--broker mock|noida] [--jelou N] [--zild N] [--seed S] [--duration S] [--json] [--bench]
Needs kcat (and noida-db for --broker noida); uses CONVOBRIDGE (default .build/debug/convobridge).
"""
import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_bridge import bridge_url_from_log, http, metric_sum, metrics, wait_for_file  # noqa: E402
from fault_suite import matched_in_order, read_events, step_round_robin  # noqa: E402

BINARY = os.environ.get("CONVOBRIDGE", ".build/debug/convobridge")
PARTITIONS = 12
SESSION_TIMEOUT = 10
OPEN_INTERVAL = 5
WEBHOOK_INTERVAL = 0.1  # seconds between two webhooks, during the faults
TRACKED = ("conversation.closed", "conversation.reopened", "conversation.ended_reason_changed")
EVENTS_OF_STEP = {"closed": ["conversation.closed", "conversation.ended_reason_changed"],
                  "ended_reason_changed": ["conversation.ended_reason_changed"],
                  "reopened": ["conversation.reopened", "conversation.ended_reason_changed"]}


class Failure(Exception):
    pass


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Suite:
    def __init__(self, options):
        self.options = options
        self.rng = random.Random(options.seed)
        self.work = tempfile.mkdtemp(prefix="convobridge-replicas-")
        self.processes = []
        self.replicas = {}  # name -> {"process", "url", "log"}
        self.last_metrics = {}
        self.notes = []
        self.timeline = []  # (what, epoch milliseconds)
        self.webhooks_accepted = []  # (key, ce_type) of each webhook answered 202
        self.webhooks_refused = 0
        self.webhook_rng = random.Random(options.seed + 1)

    def start(self, arguments, **kwargs):
        process = subprocess.Popen(arguments, stdin=subprocess.DEVNULL, stdout=kwargs.get("stdout", subprocess.DEVNULL),
                                   stderr=kwargs.get("stderr", subprocess.DEVNULL))
        self.processes.append(process)
        return process

    def start_environment(self):
        if self.options.broker == "mock":
            topics = []
            # The mock has no CreateTopics: the coordination topics of every group this suite uses, made up front.
            groups = ["convobridge-suite"] + [f"convobridge-bench-{count}" for count in (1, 2, 3)]
            for topic, partitions in [("conversation-events", 12), ("conversation-state", 12)] + [
                    (f"{group}-{kind}", PARTITIONS) for group in groups for kind in ("watch", "state", "handoff")]:
                topics += ["--topic", f"{topic}:{partitions}"]
            self.start([BINARY, "kafka-dev", "--bootstrap-file", f"{self.work}/bootstrap", "--log-level", "notice", *topics],
                       stderr=open(f"{self.work}/broker.log", "w"))
            self.bootstrap = wait_for_file(f"{self.work}/bootstrap")
        else:
            self.start_noida()
        self.start_platform()

    def start_noida(self):
        port = free_port()
        self.bootstrap = f"127.0.0.1:{port}"
        self.start(["noida-db", "start", "--only", "kafka", "--kafka-port", str(port), "--host", "127.0.0.1",
                    "--data-dir", f"{self.work}/broker"], stderr=open(f"{self.work}/broker.log", "w"))
        deadline = time.time() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise Failure("noida-db did not start; is it installed (pip install noida-db==0.2.3)?")
                time.sleep(0.1)

    def start_platform(self):
        with open(f"{self.work}/simulator.url", "w") as url_file:
            self.start([BINARY, "simulate", "--port", "0", "--population", "0", "--log-level", "warning"], stdout=url_file)
        self.simulator = wait_for_file(f"{self.work}/simulator.url")
        self.jelou_ids = []
        for n in range(1, self.options.jelou + 1):
            created = json.loads(http("POST", self.simulator + "/_sim/conversations", {"id": f"j-{n:04d}"}))
            self.jelou_ids.append(created["conversation_id"])
            http("POST", f"{self.simulator}/_sim/conversations/{created['conversation_id']}/assign", {"operator": "Ana Torres"})
        self.zild_numbers = {}
        for n in range(1, self.options.zild + 1):
            created = json.loads(http("POST", self.simulator + "/_sim/conversations", {"id": f"z-{n:04d}"}))
            self.zild_numbers[created["conversation_id"]] = created["conversation_number"]
        for name, value in (("api-key", "sim-api-key"), ("client-secret", "sim-client-secret"), ("token", "sim-bearer-token"),
                            ("signing-secret", "sim-signing-secret")):
            with open(f"{self.work}/{name}", "w") as handle:
                handle.write(value)

    def config(self, name, group="convobridge-suite", open_interval=OPEN_INTERVAL):
        zild_ids = "".join(f"      - {number}\n" for number in self.zild_numbers.values())
        http_settings = "{requests_per_second: 400, burst: 100, max_concurrent: 16, timeout: 5s}"
        schedule = (f"{{open_interval: {open_interval}s, closed_interval: {open_interval}s, closed_grace: 1h, jitter: 0.1, "
                    "not_found_recheck: 2s, vanish_after: 3}")
        path = f"{self.work}/{name}.yaml"
        os.makedirs(f"{self.work}/{name}", exist_ok=True)
        with open(path, "w") as handle:
            handle.write(f"""store: {{path: {self.work}/{name}/bridge.sqlite}}
kafka: {{bootstrap_servers: "{self.bootstrap}"}}
server: {{listen: "127.0.0.1:0"}}
relay: {{drain_deadline: 10s}}
coordination:
  mode: kafka
  group_id: {group}
  watch_topic: {group}-watch
  state_topic: {group}-state
  handoff_topic: {group}-handoff
  partitions: {PARTITIONS}
  replica_id: {name}
  session_timeout: {SESSION_TIMEOUT}s
  # mock: dynamic members (a replica that stops leaves at once); noida: static members (0.2.3 never expires a
  # session, but a restarted replica with the same id takes its member's place).
  static_membership: {"false" if self.options.broker == "mock" else "true"}
sources:
  - name: jelou-replicas
    base_url: {self.simulator}/jelouapi
    project_id: sim-project
    auth: {{api_key_file: {self.work}/api-key, client_id: sim-client, client_secret_file: {self.work}/client-secret}}
    advisor: {{api_base_url: {self.simulator}, interval: 5s, lookback: 2h, overlap: 1m, page_size: 100}}
    webhook: {{signing_secret_file: {self.work}/signing-secret}}
    schedule: {schedule}
    http: {http_settings}
  - name: zild-replicas
    platform: zild
    base_url: {self.simulator}/zild
    auth: {{token_file: {self.work}/token}}
    schedule: {schedule}
    http: {http_settings}
    conversations:
{zild_ids}""")
        return path

    def start_replica(self, name, **config):
        log = f"{self.work}/{name}.log"
        process = self.start([BINARY, "run", "--config", self.config(name, **config), "--log-format", "json", "--log-level", "info"],
                             stderr=open(log, "w"))
        url = bridge_url_from_log(log, timeout=60)
        if url is None:
            raise Failure(f"replica {name} did not start; see {log}")
        self.replicas[name] = {"process": process, "url": url, "log": log}

    def live(self):
        return {name: replica for name, replica in self.replicas.items() if replica["process"].poll() is None}

    def sample(self, names=None):
        for name, replica in self.live().items():
            if names and name not in names:
                continue
            try:
                self.last_metrics[name] = metrics(replica["url"])
            except Exception:
                pass

    def owned(self, names):
        self.sample(names)
        return sum(metric_sum(self.last_metrics.get(name, {}), "convobridge_partitions_owned") for name in names)

    def wait_owned(self, names, what, timeout=120):
        started = time.time()
        while self.owned(names) != PARTITIONS:
            if time.time() - started > timeout:
                raise Failure(f"{what}: the partitions were not all owned within {timeout} s")
            time.sleep(0.2)
        return time.time() - started

    def discovered(self):
        """Conversations with a discovered event on Kafka (read_committed)."""
        consumed = subprocess.run(["kcat", "-b", self.bootstrap, "-X", "isolation.level=read_committed", "-C", "-t",
                                   "conversation-events", "-o", "beginning", "-e", "-q", "-f", "%k %h\n"],
                                  capture_output=True, text=True, timeout=120)
        return len({line.split(" ", 1)[0] for line in consumed.stdout.splitlines() if "ce_type=conversation.discovered" in line})

    def workload(self, stop):
        everyone = self.jelou_ids + list(self.zild_numbers)
        step_round_robin(self.simulator, everyone, 60.0 / len(everyone), self.rng, lambda: not stop.is_set(), sleep=stop.wait)

    def send_webhooks(self, stop):
        """Signed webhooks (the simulator signs and sends them), each with an event name of its own, to a random live
        replica: whichever receives it, the conversation's owner must forward it once. Those answered 202 are expected."""
        number = 0
        while not stop.is_set():
            live = list(self.live().values())
            if live:
                number += 1
                conversation_id = self.webhook_rng.choice(self.jelou_ids)
                replica = self.webhook_rng.choice(live)
                name = f"suite.w{number}"
                try:
                    answer = json.loads(http("POST", self.simulator + "/_sim/webhooks", {
                        "event": name, "conversation_id": conversation_id, "url": replica["url"] + "/webhooks/jelou-replicas"}, timeout=15))
                    if answer.get("status") == 202:
                        self.webhooks_accepted.append((f"jelou-replicas/{conversation_id}", f"jelou.{name}"))
                    else:
                        self.webhooks_refused += 1
                except Exception:
                    self.webhooks_refused += 1  # the replica was killed or stopped: a platform would retry elsewhere
            stop.wait(WEBHOOK_INTERVAL)

    def run(self):
        options = self.options
        self.start_environment()
        for name in ("r1", "r2", "r3"):
            self.start_replica(name)
        self.wait_owned(["r1", "r2", "r3"], "start")
        total = len(self.jelou_ids) + len(self.zild_numbers)
        deadline = time.time() + 240
        while self.discovered() < total:
            if time.time() > deadline:
                raise Failure(f"only {self.discovered()} of {total} conversations were discovered within 240 s")
            time.sleep(2)
        changes = json.loads(http("GET", self.simulator + "/_sim/changes"))
        self.first_step = changes[-1]["number"] if changes else 0
        stop = threading.Event()
        worker = threading.Thread(target=self.workload, args=(stop,))
        worker.start()
        sender = threading.Thread(target=self.send_webhooks, args=(stop,))
        sender.start()
        faults = []
        try:
            phase = options.duration / 4
            time.sleep(phase)
            self.sample()
            mock = options.broker == "mock"
            self.replicas["r1"]["process"].send_signal(signal.SIGKILL)
            self.replicas["r1"]["process"].wait(timeout=60)
            killed_at = time.time()
            self.timeline.append(("r1 kill -9", int(killed_at * 1000)))
            if mock:
                takeover = self.wait_owned(["r2", "r3"], "after kill -9 of r1")
                faults.append(f"kill -9 r1 (takeover {takeover:.1f} s)")
            else:
                # Restarted on an empty disk: everything it owns comes back from the state topic.
                shutil.rmtree(f"{self.work}/r1", ignore_errors=True)
                self.start_replica("r1")
                takeover = self.wait_owned(["r1", "r2", "r3"], "after r1 restarted")
                faults.append(f"kill -9 r1, restarted on an empty disk (owning again after {takeover:.1f} s)")
            self.takeover = takeover
            time.sleep(max(0.0, phase - (time.time() - killed_at)))
            if mock:
                self.pause_r2(faults)
            else:
                time.sleep(phase)

            self.start_replica("r4")
            added_at = time.time()
            while metric_sum(self.last_metrics.get("r4", {}), "convobridge_partitions_owned") == 0 or self.owned(list(self.live())) != PARTITIONS:
                if time.time() - added_at > 120:
                    raise Failure("r4 was given no partition within 120 s")
                self.sample(["r4"])
                time.sleep(0.2)
            faults.append(f"r4 added (owns {int(metric_sum(self.last_metrics['r4'], 'convobridge_partitions_owned'))} partitions "
                          f"after {time.time() - added_at:.1f} s)")
            time.sleep(phase)
        finally:
            stop.set()
            worker.join()
            sender.join()
        self.finish_steps()
        return self.verdict(faults)

    def pause_r2(self, faults):
        phase = self.options.duration / 4
        self.replicas["r2"]["process"].send_signal(signal.SIGSTOP)
        paused = SESSION_TIMEOUT * 2.5
        stopped_at = time.time()
        self.timeline.append(("r2 SIGSTOP", int(stopped_at * 1000)))
        zombie_takeover = self.wait_owned(["r3"], "while r2 is paused")
        time.sleep(max(0.0, paused - (time.time() - stopped_at)))
        self.replicas["r2"]["process"].send_signal(signal.SIGCONT)
        self.timeline.append(("r2 SIGCONT", int(time.time() * 1000)))
        faults.append(f"SIGSTOP r2 {paused:.0f} s (r3 took over in {zombie_takeover:.1f} s)")
        time.sleep(phase)

    def finish_steps(self):
        # Let the last steps be polled and published, then stop every replica with SIGTERM.
        time.sleep(OPEN_INTERVAL * 3)
        self.sample()
        for name, replica in self.live().items():
            replica["process"].send_signal(signal.SIGTERM)
        exits = {}
        for name, replica in self.replicas.items():
            if name == "r1" and self.options.broker == "mock":
                continue
            try:
                exits[name] = replica["process"].wait(timeout=60)
            except subprocess.TimeoutExpired:
                exits[name] = "hung"
        self.exits = exits

    def verdict(self, faults):
        exits = self.exits
        polls = {name: int(metric_sum(values, "convobridge_polls_total")) for name, values in sorted(self.last_metrics.items())}
        fenced = {name: int(metric_sum(values, "convobridge_transactions_total", outcome="fenced"))
                  for name, values in sorted(self.last_metrics.items())}
        # How each replica took partitions over: in full, or from its checkpoint of a partition it had given up cleanly.
        restores = {name: {kind: int(metric_sum(values, "convobridge_restores_total", kind=kind)) for kind in ("full", "incremental")}
                    for name, values in sorted(self.last_metrics.items())}
        result = self.account()
        # librdkafka's mock cluster, once a member's session expired, waits about the session timeout less a second
        # for the others to rejoin before it assigns (observed: 9 s with a 10 s session); a broker completes the join
        # as soon as the remaining members have rejoined.
        join_delay = SESSION_TIMEOUT - 1 if self.options.broker == "mock" else 0
        result.update(faults=faults, polls=polls, fenced=fenced, restores=restores, exits=exits, takeover_s=round(self.takeover, 1),
                      takeover_target_s=SESSION_TIMEOUT + OPEN_INTERVAL, broker_join_delay_s=join_delay,
                      takeover_without_join_delay_s=round(self.takeover - join_delay, 1))
        result["ok"] = (result["lost"] == 0 and result["invented"] == 0 and result["gaps"] == 0 and result["conflicting"] == 0
                        and result["webhooks_lost"] == 0
                        # The mock accepts offsets committed in a transaction but does not store them (its
                        # TxnOffsetCommit handler ignores them): after each rebalance its owners read the handoff
                        # topic from the start again. Judged on noida-db.
                        and (result["webhooks_duplicated"] == 0 or self.options.broker == "mock")
                        and result["schema_invalid"] == 0 and all(status == 0 for status in exits.values())
                        and result["takeover_without_join_delay_s"] <= result["takeover_target_s"]
                        and all(count > 0 for count in polls.values()))
        return result

    def account(self):
        by_key, duplicates, conflicting, gaps, invalid = read_events(self.bootstrap, ["-X", "isolation.level=read_committed"])
        changes = json.loads(http("GET", self.simulator + "/_sim/changes"))
        keys = {conversation_id: f"jelou-replicas/{conversation_id}" for conversation_id in self.jelou_ids}
        keys.update({conversation_id: f"zild-replicas/{number}" for conversation_id, number in self.zild_numbers.items()})
        expected_total = matched_total = invented_total = 0
        steps = {}
        for change in changes:
            if change["kind"] in EVENTS_OF_STEP and change["number"] > self.first_step:
                steps.setdefault(change["conversation_id"], []).extend(EVENTS_OF_STEP[change["kind"]])
        for conversation_id, key in keys.items():
            expected = steps.get(conversation_id, [])
            delivered = [event[1] for event in by_key.get(key, []) if event[1] in TRACKED]
            matched = matched_in_order(expected, delivered)
            expected_total += len(expected)
            matched_total += matched
            invented_total += len(delivered) - matched
        forwarded = {}
        for key, events in by_key.items():
            for event in events:
                if event[1].startswith("jelou.suite.w"):
                    forwarded[(key, event[1])] = forwarded.get((key, event[1]), 0) + 1
        webhooks_lost = sum(1 for accepted in self.webhooks_accepted if forwarded.get(accepted, 0) == 0)
        webhooks_duplicated = sum(1 for count in forwarded.values() if count > 1)
        if webhooks_lost:
            missing = [accepted for accepted in self.webhooks_accepted if forwarded.get(accepted, 0) == 0]
            print(f"  {webhooks_lost} webhook events answered 202 and never forwarded; the first: {missing[:3]}", file=sys.stderr)
        conflicts = self.conflicts()
        if conflicts:
            with open(f"{self.work}/conflicts.json", "w") as handle:
                json.dump(conflicts, handle, indent=1)
            print(f"  {len(conflicts)} conflicting ce_ids; the first: {json.dumps(conflicts[:3])}", file=sys.stderr)
        return {"conversations": len(keys), "events": sum(len(events) for events in by_key.values()),
                "expected": expected_total, "delivered": matched_total, "lost": expected_total - matched_total,
                "invented": invented_total, "duplicated": duplicates, "conflicting": conflicting, "gaps": gaps,
                "schema_invalid": invalid, "webhooks_accepted": len(self.webhooks_accepted), "webhooks_refused": self.webhooks_refused,
                "webhooks_forwarded": sum(1 for accepted in self.webhooks_accepted if forwarded.get(accepted, 0) > 0),
                "webhooks_lost": webhooks_lost, "webhooks_duplicated": webhooks_duplicated}

    def conflicts(self):
        """The ce_ids read twice with different bytes: where each copy is (partition, offset, Kafka timestamp) and
        what differs, to tell a fence that did not hold from a broker that shows uncommitted records."""
        consumed = subprocess.run(["kcat", "-b", self.bootstrap, "-X", "isolation.level=read_committed", "-C", "-t",
                                   "conversation-events", "-o", "beginning", "-e", "-q", "-f", "%p\t%o\t%T\t%h\t%s\n"],
                                  capture_output=True, text=True, timeout=300)
        first, found = {}, []
        for line in consumed.stdout.splitlines():
            parts = line.split("\t", 4)
            if len(parts) != 5:
                continue
            partition, offset, timestamp, header_text, value = parts
            headers = dict(pair.split("=", 1) for pair in header_text.split(",") if "=" in pair)
            event_id = headers.get("ce_id", "")
            here = {"partition": int(partition), "offset": int(offset), "time": int(timestamp), "type": headers.get("ce_type")}
            if event_id not in first:
                first[event_id] = (here, value)
            elif first[event_id][1] != value:
                # The fault just before the first copy was written.
                before = [what for what, at in self.timeline if at <= first[event_id][0]["time"]]
                found.append({"ce_id": event_id, "first": first[event_id][0], "again": here, "after": before[-1] if before else "start"})
        return found

    def bench(self, counts=(1, 2, 3), seconds=20):
        """Polls per second with 1, 2 and 3 replicas on this machine, every conversation due every second (more than
        they can poll), each count in a group and topics of its own."""
        self.start_environment()
        rates = {}
        for count in counts:
            group = f"convobridge-bench-{count}"
            names = [f"b{count}-{index}" for index in range(1, count + 1)]
            for name in names:
                self.start_replica(name, group=group, open_interval=1)
            self.wait_owned(names, f"{count} replica(s)")
            time.sleep(10)  # discovery, the first polls
            self.sample(names)
            before = sum(metric_sum(self.last_metrics[name], "convobridge_polls_total") for name in names)
            started = time.time()
            time.sleep(seconds)
            self.sample(names)
            after = sum(metric_sum(self.last_metrics[name], "convobridge_polls_total") for name in names)
            rates[count] = round((after - before) / (time.time() - started))
            print(f"  {count} replica(s): {rates[count]} polls/s", file=sys.stderr, flush=True)
            for name in names:
                self.replicas[name]["process"].send_signal(signal.SIGTERM)
            for name in names:
                self.replicas[name]["process"].wait(timeout=90)
        return {"polls_per_second": rates, "conversations": len(self.jelou_ids) + len(self.zild_numbers), "cores": os.cpu_count()}

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                try:
                    process.send_signal(signal.SIGCONT)
                    process.send_signal(signal.SIGINT)
                except ProcessLookupError:
                    pass
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--broker", choices=["mock", "noida"], default="mock")
    parser.add_argument("--jelou", type=int, default=1500)
    parser.add_argument("--zild", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--duration", type=float, default=160, help="seconds of workload and faults")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--bench", action="store_true", help="polls per second with 1, 2 and 3 replicas instead of the faults")
    options = parser.parse_args()
    suite = Suite(options)
    try:
        result = suite.bench() if options.bench else suite.run()
        if options.bench:
            result["ok"] = True
    except Failure as failure:
        result = {"ok": False, "error": str(failure)}
    finally:
        suite.stop()
    print(json.dumps(result, indent=None if options.json else 2))
    if result.get("ok"):
        shutil.rmtree(suite.work, ignore_errors=True)
    else:
        print(f"files kept in {suite.work}", file=sys.stderr)
    sys.exit(0 if result.get("ok") else 1)


if __name__ == "__main__":
    main()
