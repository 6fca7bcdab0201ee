#!/usr/bin/env python3
"""A webhook receiver for testing ConvoBridge's outbound webhooks, written from the Standard Webhooks specification
(https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md), not from ConvoBridge's
code: it verifies `webhook-signature` (v1, HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{body}" with the
base64-decoded key of a `whsec_` secret, constant-time comparison, timestamp within 5 minutes) and logs every request
as one JSON line.

Faults, each drawn per request with --seed: --fail-rate of the requests are answered 500 (a third of those 503 with
`Retry-After: 1`), --stall-rate are held --stall seconds before a 200 (longer than the sender's timeout: the sender
gives up, the receiver has the event: a re-delivery follows with the same webhook-id). POST /_control/away?seconds=N
makes the receiver go away: its listening socket closes for N seconds, then it listens again on the same port.

Usage: webhook_receiver.py --port P --secret-file F --log FILE [--fail-rate 0.2] [--stall-rate 0.05] [--stall 3]
"""
import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import random
import time

from aiohttp import web

TOLERANCE_SECONDS = 5 * 60


def secret_key(secret):
    if not secret.startswith("whsec_"):
        raise ValueError("a Standard Webhooks secret starts with whsec_")
    return base64.b64decode(secret[len("whsec_"):])


def verify(key, webhook_id, timestamp, body, signature_header, now):
    """True when the timestamp is within tolerance and one v1 signature of the header matches."""
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(now - sent_at) > TOLERANCE_SECONDS:
        return False
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest())
    for part in (signature_header or "").split(" "):
        version, _, signature = part.partition(",")
        if version == "v1" and hmac.compare_digest(signature.encode(), expected):
            return True
    return False


class Receiver:
    def __init__(self, options):
        self.options = options
        self.key = secret_key(open(options.secret_file).read().strip())
        self.rng = random.Random(options.seed)
        self.log = open(options.log, "a", buffering=1)
        self.runner = None
        self.site = None
        self.away_until = 0.0

    async def hook(self, request):
        if time.time() < self.away_until:
            # Away: connections kept alive from before go too.
            request.transport.close()
            return web.Response(status=503)
        body = await request.read()
        headers = request.headers
        webhook_id = headers.get("webhook-id", "")
        valid = verify(self.key, webhook_id, headers.get("webhook-timestamp"), body, headers.get("webhook-signature"), time.time())
        try:
            event = json.loads(body)
        except ValueError:
            event = {}
        draw = self.rng.random()
        status, retry_after, stall = 200, None, 0.0
        if not valid:
            status = 401
        elif draw < self.options.fail_rate:
            status = 503 if draw < self.options.fail_rate / 3 else 500
            retry_after = "1" if status == 503 else None
        elif draw < self.options.fail_rate + self.options.stall_rate:
            stall = self.options.stall
        if stall:
            await asyncio.sleep(stall)
        record = {"at": time.time(), "id": webhook_id, "valid": valid, "status": status, "stalled": stall > 0,
                  "key": event.get("partitionkey"), "sequence": event.get("sequence"), "type": event.get("type"),
                  "content_type": headers.get("content-type"), "event_id": event.get("id")}
        self.log.write(json.dumps(record) + "\n")
        response = web.Response(status=status, text="ok" if status == 200 else "no")
        if retry_after:
            response.headers["Retry-After"] = retry_after
        return response

    async def away(self, request):
        seconds = float(request.query.get("seconds", "30"))
        asyncio.get_running_loop().create_task(self.go_away(seconds))
        return web.json_response({"away_for": seconds})

    async def go_away(self, seconds):
        await asyncio.sleep(0.2)  # let the control answer go out first
        self.log.write(json.dumps({"at": time.time(), "away": seconds}) + "\n")
        self.away_until = time.time() + seconds
        await self.site.stop()
        await asyncio.sleep(seconds)
        self.site = web.TCPSite(self.runner, "127.0.0.1", self.options.port, reuse_address=True)
        await self.site.start()
        self.log.write(json.dumps({"at": time.time(), "back": True}) + "\n")

    async def run(self):
        app = web.Application(client_max_size=32 << 20)
        app.router.add_post("/hook", self.hook)
        app.router.add_post("/_control/away", self.away)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        self.site = web.TCPSite(self.runner, "127.0.0.1", self.options.port, reuse_address=True)
        await self.site.start()
        print(f"http://127.0.0.1:{self.options.port}", flush=True)
        await asyncio.Event().wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--fail-rate", type=float, default=0.0)
    parser.add_argument("--stall-rate", type=float, default=0.0)
    parser.add_argument("--stall", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    asyncio.run(Receiver(options).run())


if __name__ == "__main__":
    main()
