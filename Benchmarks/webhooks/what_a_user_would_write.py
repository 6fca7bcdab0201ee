#!/usr/bin/env python3
"""What a user would write instead of `convobridge deliver`: a Kafka consumer that POSTs each event to the receiver in
turn, signed per Standard Webhooks, committing after each success (order kept by doing one at a time). For the
throughput comparison in scripts/webhook_suite.py --bench.

Usage: what_a_user_would_write.py BOOTSTRAP URL SECRET COUNT
"""
import base64
import hashlib
import hmac
import http.client
import json
import sys
import time
import urllib.parse

from confluent_kafka import Consumer


def main():
    bootstrap, url, secret, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    key = base64.b64decode(secret[len("whsec_"):])
    target = urllib.parse.urlparse(url)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "what-a-user-would-write", "auto.offset.reset": "earliest",
                         "enable.auto.commit": False})
    consumer.subscribe(["conversation-events"])
    sent = 0
    while sent < count:
        message = consumer.poll(1.0)
        if message is None or message.error():
            continue
        headers = {name: value.decode() for name, value in message.headers() or []}
        event = {name[3:]: value for name, value in headers.items() if name.startswith("ce_")}
        event["datacontenttype"] = "application/json"
        event["data"] = json.loads(message.value())
        body = json.dumps(event).encode()
        webhook_id, timestamp = event["id"], str(int(time.time()))
        signature = base64.b64encode(hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()).decode()
        connection.request("POST", target.path, body=body, headers={
            "content-type": "application/cloudevents+json", "webhook-id": webhook_id, "webhook-timestamp": timestamp,
            "webhook-signature": f"v1,{signature}"})
        response = connection.getresponse()
        response.read()
        if 200 <= response.status < 300:
            consumer.commit(message=message, asynchronous=True)
            sent += 1
    consumer.close()


if __name__ == "__main__":
    main()
