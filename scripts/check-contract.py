#!/usr/bin/env python3
"""Validates records of the bridge's topics against the contract's JSON Schemas (deploy/schemas/v1).

Input: JSON lines as `convobridge tail --json` prints them (topic, partition, offset, timestamp, key, headers, value).
By default, the newest capture of `swift test` in .build/contract-capture/; else the files given, or - for stdin.

Each event is checked as a CloudEvent (binary mode: its ce_* headers; structured mode: its value) against
envelope.json, and its data against the schema its dataschema names; each state record against state.json. Then the
contract's cross-field rules: id = key/sequence, data.sequence = sequence, time = data.observed_at = the record's
timestamp, subject and source match data. Before it trusts a run, it checks that a deliberately broken event
(a field of the wrong type) is refused. With --require-coverage, every derived type, every platform, a forwarded
platform event, both content modes, state records and a tombstone must have been seen.

Exit status: 0 when everything is valid, 1 when a record is not, 2 on a usage problem.
"""
import argparse
import copy
import datetime
import glob
import json
import os
import sys

try:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
except ImportError:
    sys.exit("check-contract: the jsonschema package is missing: pip install jsonschema")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMAS = os.path.join(ROOT, "deploy", "schemas", "v1")
CAPTURES = os.path.join(ROOT, ".build", "contract-capture")
DERIVED = ["discovered", "closed", "reopened", "state_changed", "ended_reason_changed", "assignment_changed",
           "updated", "vanished"]
PLATFORMS = ["jelou", "chatvolt", "zild"]
# Binary-mode headers and the envelope attributes they carry.
HEADER_ATTRIBUTES = {"ce_specversion": "specversion", "ce_id": "id", "ce_source": "source", "ce_type": "type",
                     "ce_dataschema": "dataschema", "ce_subject": "subject", "ce_time": "time",
                     "ce_sequence": "sequence", "ce_partitionkey": "partitionkey", "content-type": "datacontenttype"}


def load_schemas():
    documents = {}
    for path in sorted(glob.glob(os.path.join(SCHEMAS, "**", "*.json"), recursive=True)):
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
        Draft202012Validator.check_schema(document)
        documents[os.path.relpath(path, SCHEMAS).replace(os.sep, "/")] = document
    if not documents:
        sys.exit(f"check-contract: no schemas under {SCHEMAS}")
    registry = Registry().with_resources(
        (document["$id"], Resource.from_contents(document)) for document in documents.values())
    return {name: Draft202012Validator(document, registry=registry) for name, document in documents.items()}


def millis(text):
    return int(datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() * 1000 + 0.5)


class Checker:
    def __init__(self, validators):
        self.validators = validators
        self.seen = set()
        self.counts = {"events": 0, "state": 0, "tombstones": 0}

    def problems(self, record):
        """The contract violations of one record, as text; empty when it is valid."""
        headers = record.get("headers") or {}
        value = record.get("value")
        content_type = headers.get("content-type")
        if value is None:
            self.counts["tombstones"] += 1
            self.seen.add("tombstone")
            return [] if headers.get("ce_type") is None else ["an event record without a value"]
        if content_type == "application/cloudevents+json":
            self.seen.add("structured")
            return self.event_problems(record, value)
        if "ce_type" in headers:
            self.seen.add("binary")
            unknown = sorted(set(headers) - set(HEADER_ATTRIBUTES))
            envelope = {HEADER_ATTRIBUTES[name]: text for name, text in headers.items() if name in HEADER_ATTRIBUTES}
            envelope["data"] = value
            found = self.event_problems(record, envelope)
            return found + [f"headers outside the contract: {', '.join(unknown)}"] if unknown else found
        self.counts["state"] += 1
        self.seen.add("state")
        found = self.schema_problems("state.json", value, "state")
        if record.get("timestamp") is None:
            found.append("state record without a timestamp")
        return found

    def event_problems(self, record, envelope):
        self.counts["events"] += 1
        found = self.schema_problems("envelope.json", envelope, "envelope")
        if found:
            return found
        data, event_type = envelope["data"], envelope["type"]
        name = event_type.removeprefix("conversation.") if event_type.startswith("conversation.") else None
        schema = f"data/{event_type}.json" if name in DERIVED else "data/native.json"
        if not envelope["dataschema"].endswith("/" + schema):
            found.append(f"dataschema {envelope['dataschema']} does not name {schema}")
        found += self.schema_problems(schema, data, "data")
        if found:
            return found
        self.seen.add(event_type if name in DERIVED else "native")
        self.seen.add("platform:" + data["platform"])
        key = record.get("key")
        rules = [
            (envelope["id"] == f"{key}/{envelope['sequence']}", f"id {envelope['id']} is not key/sequence"),
            (envelope["partitionkey"] == key, "partitionkey differs from the record key"),
            (str(data["sequence"]) == envelope["sequence"], "data.sequence differs from sequence"),
            (data["observed_at"] == envelope["time"], "time differs from data.observed_at"),
            (data["conversation_id"] == envelope["subject"], "subject differs from data.conversation_id"),
            (f"/sources/{data['source']}" == envelope["source"], "source differs from data.source"),
            (key == f"{data['source']}/{data['conversation_id']}", "key is not {source}/{conversation_id}"),
            (record.get("timestamp") == millis(data["observed_at"]),
             f"record timestamp {record.get('timestamp')} is not observed_at {data['observed_at']}"),
        ]
        return [text for holds, text in rules if not holds]

    def schema_problems(self, schema, instance, what):
        errors = sorted(self.validators[schema].iter_errors(instance), key=lambda error: list(error.absolute_path))
        return [f"{what} ({schema}) at /{'/'.join(map(str, error.absolute_path))}: {error.message[:300]}"
                for error in errors[:5]]


def read_records(paths):
    for path in paths:
        handle = sys.stdin if path == "-" else open(path, encoding="utf-8")
        with handle:
            for number, line in enumerate(handle, 1):
                if line.strip():
                    try:
                        yield f"{path}:{number}", json.loads(line)
                    except json.JSONDecodeError as error:
                        yield f"{path}:{number}", {"unparseable": str(error)}


def refuses_broken_event(validators):
    """A checker that would pass a wrong-typed field checks nothing: try one of each kind."""
    record = {"topic": "conversation-events", "key": "s/c", "timestamp": 1768473902114,
              "headers": {"ce_specversion": "1.0", "ce_id": "s/c/1", "ce_source": "/sources/s",
                          "ce_type": "conversation.discovered",
                          "ce_dataschema": "https://example.com/v1/data/conversation.discovered.json",
                          "ce_subject": "c", "ce_time": "2026-01-15T10:45:02.114Z", "ce_sequence": "1",
                          "ce_partitionkey": "s/c", "content-type": "application/json"},
              "value": {"source": "s", "platform": "jelou", "conversation_id": "c", "sequence": 1,
                        "observation_id": "o", "observed_at": "2026-01-15T10:45:02.114Z",
                        "effective_at": "2026-01-15T10:45:02.114Z", "op": "c",
                        "transition": {"kind": "discovered", "field": "status", "from": None, "to": "open"},
                        "changed_fields": [], "before": None,
                        "after": {"conversation_id": "c", "platform": "jelou", "status": "open", "state": "active",
                                  "ended_reason": None, "started_at": None, "ended_at": None, "updated_at": None,
                                  "user": None, "bot": None, "assignee": None, "team": None, "queue": None,
                                  "priority": None, "attributes": {}}}}
    if Checker(validators).problems(record):
        return "the reference event itself is refused: " + "; ".join(Checker(validators).problems(record))
    for path, wrong in [(["value", "sequence"], "1"), (["value", "after", "status"], 42),
                        (["value", "observed_at"], "yesterday"), (["headers", "ce_sequence"], "one")]:
        broken = copy.deepcopy(record)
        target = broken
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = wrong
        if not Checker(validators).problems(broken):
            return f"an event with {'.'.join(path)} = {wrong!r} passed"
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", help="JSON-lines files (- for stdin); default: the newest capture")
    parser.add_argument("--require-coverage", action="store_true",
                        help="fail unless every event type, platform and content mode was seen")
    arguments = parser.parse_args()
    validators = load_schemas()
    broken = refuses_broken_event(validators)
    if broken:
        print(f"check-contract: the validator is not checking: {broken}", file=sys.stderr)
        return 1
    files = arguments.files
    if not files:
        captures = sorted(glob.glob(os.path.join(CAPTURES, "*.jsonl")))
        if not captures:
            print(f"check-contract: no capture in {CAPTURES}; run swift test first", file=sys.stderr)
            return 2
        files = [captures[-1]]
    checker = Checker(validators)
    failures = 0
    for where, record in read_records(files):
        found = [record["unparseable"]] if "unparseable" in record else checker.problems(record)
        if found:
            failures += 1
            if failures <= 20:
                print(f"{where}: {record.get('key')} {(record.get('headers') or {}).get('ce_id', '')}: "
                      + "; ".join(found), file=sys.stderr)
    expected = [f"conversation.{name}" for name in DERIVED] + ["native", "binary", "structured", "state",
                                                               "tombstone"] + [f"platform:{p}" for p in PLATFORMS]
    missing = [name for name in expected if name not in checker.seen] if arguments.require_coverage else []
    counts = checker.counts
    print(f"check-contract: {counts['events']} events, {counts['state']} state records, {counts['tombstones']} "
          f"tombstones from {', '.join(os.path.relpath(f) if f != '-' else 'stdin' for f in files)}: "
          f"{failures} invalid; a broken event is refused")
    if missing:
        print(f"check-contract: never seen: {', '.join(missing)}", file=sys.stderr)
    return 1 if failures or missing else 0


if __name__ == "__main__":
    sys.exit(main())
