"""The seed demo's producing side, rebuilt for the bench's reference rate.

tvstream grew out of a Python demo: a generator that builds each event as a
dict, serialises it with json.dumps and sends it with kafka-python's
KafkaProducer, one send per event. This script does the same with the
demo's shape of event (type, ids, channel, device, timestamp) and no pacing,
so that its rate is the seed stack's produce-only rate on the same cluster.
The demo drew field values with Faker; Faker is not installable on these
machines, so values come from `random` and `uuid`, which are cheaper: the
reference is, if anything, faster than the seed was.

Usage: python3 seed_producer.py BOOTSTRAP TOPIC EVENTS
Prints one JSON line: {"events": N, "seconds": S}.
"""

import json
import random
import sys
import time
import uuid
from datetime import datetime, timezone

from kafka import KafkaProducer

EVENT_TYPES = [
    "channel_start", "channel_end", "playback_start", "playback_end", "pause",
    "resume", "seek", "buffer_start", "buffer_end", "ad_start", "ad_end",
    "error", "heartbeat",
]
CHANNELS = ["VRT1", "VTM", "CANVAS", "PLAY4", "RTLTVI", "LAUNE", "HBO"]
DEVICES = ["STB", "SmartTV", "Mobile", "Tablet", "Web"]


def event() -> dict:
    return {
        "event": random.choice(EVENT_TYPES),
        "eventId": str(uuid.uuid4()),
        "timestamp": datetime.now(timezone.utc).isoformat(),
        "householdId": f"HH_{random.randint(0, 999999):06d}",
        "userId": f"U_{random.randint(0, 9999999):07d}",
        "tvId": f"TV_{random.randint(0, 999999):06d}",
        "channelId": random.choice(CHANNELS),
        "deviceType": random.choice(DEVICES),
        "positionSec": round(random.uniform(0, 3600), 1),
        "bitrateKbps": random.choice([145, 1100, 2000, 4500, 7800]),
    }


def main() -> None:
    bootstrap, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    producer = KafkaProducer(
        bootstrap_servers=bootstrap.split(","),
        value_serializer=lambda v: json.dumps(v).encode("utf-8"),
        key_serializer=lambda k: k.encode("utf-8"),
    )
    # Connect and fetch metadata before the clock starts.
    producer.partitions_for(topic)
    started = time.perf_counter()
    for _ in range(n):
        e = event()
        producer.send(topic, key=e["tvId"], value=e)
    producer.flush()
    seconds = time.perf_counter() - started
    producer.close()
    print(json.dumps({"events": n, "seconds": seconds}))


if __name__ == "__main__":
    main()
