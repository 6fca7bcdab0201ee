#!/usr/bin/env python3
"""What a user would write instead of ConvoBridge: poll each conversation every INTERVAL seconds with asyncio and
aiohttp (CONCURRENCY requests in flight), diff the answer against the last one in memory, publish a change with
confluent-kafka. Prints `snapshots=<answers> seconds=<elapsed>` when DURATION is over.

Usage: what_a_user_would_write.py BASE_URL IDS_FILE BOOTSTRAP INTERVAL CONCURRENCY DURATION
"""
import asyncio
import json
import sys
import time

import aiohttp
from confluent_kafka import Producer


async def main(base_url, ids, bootstrap, interval, concurrency, duration):
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True})
    last = {}
    due = asyncio.Queue()
    for conversation_id in ids:
        due.put_nowait((time.monotonic(), conversation_id))
    answers = 0
    end = time.monotonic() + duration

    async def worker(session):
        nonlocal answers
        while time.monotonic() < end:
            at, conversation_id = await due.get()
            if at > time.monotonic():
                await asyncio.sleep(at - time.monotonic())
            try:
                async with session.get(f"{base_url}/{conversation_id}", headers={"x-api-key": "bench"}) as response:
                    body = await response.json()
                answers += 1
                if last.get(conversation_id) != body:
                    last[conversation_id] = body
                    producer.produce("conversation-events", key=conversation_id, value=json.dumps(body))
                    producer.poll(0)
            except (aiohttp.ClientError, ValueError):
                pass
            due.put_nowait((at + interval, conversation_id))

    started = time.monotonic()
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    producer.flush(10)
    print(f"snapshots={answers} seconds={time.monotonic() - started:.3f}")


if __name__ == "__main__":
    url, ids_file, bootstrap, interval, concurrency, duration = sys.argv[1:7]
    with open(ids_file) as handle:
        conversation_ids = handle.read().split()
    asyncio.run(main(url, conversation_ids, bootstrap, float(interval), int(concurrency), float(duration)))
