"""A system's own client, written from docs/asyncapi/actions.json alone (no code of the project):
post each line of a file to the system's inbound topic, keyed by the event's subject.

    pip install confluent-kafka
    KAFKA_PASSWORD=... python post.py <system id> <host:port of the secured server> <file>
"""

import json
import os
import sys

from confluent_kafka import Producer

system, bootstrap, path = sys.argv[1:4]
producer = Producer({
    "bootstrap.servers": bootstrap,  # servers.secured: {bootstrap}
    "security.protocol": "SASL_PLAINTEXT",  # servers.secured.description
    "sasl.mechanism": "SCRAM-SHA-512",  # components.securitySchemes.scramSha512
    "sasl.username": f"system-{system}",
    "sasl.password": os.environ["KAFKA_PASSWORD"],
    "enable.idempotence": True,
})


def delivered(error, message):
    where = f"partition {message.partition()} offset {message.offset()}"
    print(f"{message.topic()} key={message.key().decode()}: {error or where}")


with open(path) as lines:
    for line in filter(str.strip, lines):
        # channels.actionsInbound: actions.inbound.{system}, keyed by the envelope's subject
        producer.produce(f"actions.inbound.{system}", line.strip(), key=json.loads(line)["subject"],
                         on_delivery=delivered)
producer.flush(30)
