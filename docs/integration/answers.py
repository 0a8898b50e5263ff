"""A system's own client, written from docs/asyncapi/actions.json alone: print what the actions
service said back (channels.actionsFeedback), then stop when nothing more comes for 15 s.

    KAFKA_PASSWORD=... python answers.py <system id> <host:port of the secured server>
"""

import json
import os
import sys

from confluent_kafka import Consumer

system, bootstrap = sys.argv[1:3]
consumer = Consumer({
    "bootstrap.servers": bootstrap,
    "security.protocol": "SASL_PLAINTEXT",
    "sasl.mechanism": "SCRAM-SHA-512",
    "sasl.username": f"system-{system}",
    "sasl.password": os.environ["KAFKA_PASSWORD"],
    "group.id": f"system-{system}-answers",  # a group name must start with the principal's
    "auto.offset.reset": "earliest",
})
consumer.subscribe([f"actions.feedback.{system}"])
while (message := consumer.poll(15)) is not None:
    if message.error():
        raise SystemExit(message.error())
    rejected = json.loads(message.value())["data"]  # components.messages.InputRejected
    print(f"{message.key().decode()}: {rejected['rejected_type']} refused {rejected['code']}: {rejected['reason']}")
consumer.close()
