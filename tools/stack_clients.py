"""Kafka clients for tools that play a part on the stack (the scripted cycle plays the systems and
the clock): on a secured stack each message goes out under the principal that owns its topic, over
SASL_SSL, as the real sender would; never through the broker's loopback super-user listener."""

from __future__ import annotations

import ssl
from typing import Any

from aiokafka import AIOKafkaProducer

from services.platform.acls import service_principal, system_principal
from shared.contracts import Event
from shared.contracts.topics import CLOCK, system_inbound
from tools.stack import Stack


def writer_of(topic: str, event: Event) -> str:
    """The principal that may write ``topic``: the clock's, or the system's that sent ``event``."""
    if topic == CLOCK.name:
        return service_principal("clock")
    if topic == system_inbound(event.source):
        return system_principal(event.source)
    raise ValueError(f"no player writes {topic}: the scripted parts are the systems and the clock")


class Publisher:
    """Sends events to the stack's broker, one idempotent producer per principal (one in all on an
    unsecured development stack)."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.producers: dict[str, AIOKafkaProducer] = {}

    def _login(self, principal: str) -> dict[str, Any]:
        if not self.stack.sasl_bootstrap:
            return {"bootstrap_servers": self.stack.kafka_bootstrap}
        assert self.stack.ca_file is not None
        return {"bootstrap_servers": self.stack.sasl_bootstrap, "security_protocol": "SASL_SSL",
                "ssl_context": ssl.create_default_context(cafile=str(self.stack.ca_file)),
                "sasl_mechanism": "SCRAM-SHA-512", "sasl_plain_username": principal,
                "sasl_plain_password": self.stack.credentials[principal]}

    async def send(self, topic: str, event: Event) -> None:
        principal = writer_of(topic, event) if self.stack.sasl_bootstrap else ""
        if principal not in self.producers:
            producer = AIOKafkaProducer(enable_idempotence=True, **self._login(principal))
            await producer.start()
            self.producers[principal] = producer
        await self.producers[principal].send_and_wait(topic, event.to_bytes(), key=event.subject.encode())

    async def stop(self) -> None:
        for producer in self.producers.values():
            await producer.stop()
        self.producers.clear()
