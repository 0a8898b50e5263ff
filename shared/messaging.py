"""Kafka plumbing every service shares: the broker, the event decoder, the dead-letter
policy and the outbox relay.

Delivery rules, in one place:
- every subscriber has a ``group_id`` and commits only after its handler finished
  (``AckPolicy.NACK_ON_ERROR``; nothing escapes the dead-letter policy, so the nack
  is a last resort that redelivers rather than loses);
- bad input (``ContractError``) goes to the service's dead-letter topic with its reason
  and the consumer moves on;
- a transient failure (database or broker unreachable) is retried with backoff for as
  long as it lasts, holding the partition so no later event overtakes it;
- any other failure is retried a few times, then dead-lettered with the error.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
import structlog
from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaError
from faststream import AckPolicy, BaseMiddleware
from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage
from faststream.message import StreamMessage
from faststream.security import SASLScram512
from prometheus_client import Counter

from .contracts import ContractError, Event, parse_event
from .contracts.events import InputRejected, Rejection
from .contracts.topics import dead_letter
from .health import Check
from .producer import current_producer, is_fatal, renew_producer
from .settings import ServiceSettings

log = structlog.get_logger("messaging")

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError, asyncio.TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError, KafkaError,
    # a pooled connection caught mid-operation by a database restart
    asyncpg.InternalClientError,
)

DEAD_LETTERED = Counter("dead_lettered_total", "Messages sent to a dead-letter topic", ["service", "code"])
RETRIED = Counter("handler_retries_total", "Handler attempts that failed and were retried", ["service", "kind"])

_CONFIRM_TIMEOUT = 30.0  # seconds a dead letter waits for the broker's acknowledgement before trying again
_RENEW_AFTER = 3  # failed publishes in a row, after which the producer is replaced

SUBSCRIBER_DEFAULTS: dict[str, Any] = {
    "ack_policy": AckPolicy.NACK_ON_ERROR,
    "auto_offset_reset": "earliest",
}


def tls_context(settings: ServiceSettings) -> ssl.SSLContext:
    """The broker is checked against the project's CA when one is named, else the system's; the
    host name is always checked. A password never travels without TLS."""
    return ssl.create_default_context(cafile=str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None)


def client_security(settings: ServiceSettings) -> dict[str, Any]:
    """aiokafka keyword arguments for the settings' SCRAM login over TLS (none when unsecured),
    for the few places that use aiokafka directly rather than through FastStream."""
    if not settings.kafka_sasl_username:
        return {}
    password = settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else ""
    return {"security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512", "ssl_context": tls_context(settings),
            "sasl_plain_username": settings.kafka_sasl_username, "sasl_plain_password": password}


PRODUCER_BATCH_BYTES = 1_000_000


def make_broker(settings: ServiceSettings, *, middlewares: tuple[Any, ...] = (), client_id: str = "") -> KafkaBroker:
    security = None
    if settings.kafka_sasl_username:
        password = settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else ""
        # With an ssl_context FastStream speaks SASL_SSL; without one it would send SASL in clear.
        security = SASLScram512(settings.kafka_sasl_username, password, ssl_context=tls_context(settings))
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        security=security,
        enable_idempotence=True,  # acks=all, and no duplicates from producer retries
        # aiokafka keeps one open batch per partition and makes a send wait while it is full and
        # in flight; at its default of 16 kB that is about ten events per round trip, and the
        # outbox relay's pass of 500 rows took fifty. 1 MB (the broker's default message.max.bytes)
        # carries a whole pass in one request per partition.
        max_batch_size=PRODUCER_BATCH_BYTES,
        # Topics come from the registry, created at start (python -m services.platform.topics); a
        # subscriber must not create one by accident, and may lack the ACL to.
        allow_auto_create_topics=False,
        client_id=client_id or "governance",
        middlewares=middlewares,
        logger=structlog.get_logger("faststream"),
    )


def record_of(message: KafkaMessage | StreamMessage[Any]) -> ConsumerRecord[bytes, bytes]:
    """The Kafka record behind a message: subscribers here take one record at a time, never a
    batch, so FastStream's ``raw_message`` is always one record."""
    record = message.raw_message
    assert isinstance(record, ConsumerRecord), "a batch subscriber reached a per-record helper"
    return record


def event_decoder(*accept: type[Event]) -> Callable[[KafkaMessage], Awaitable[Event]]:
    """A FastStream decoder that turns the raw bytes into one of ``accept`` or raises ContractError."""

    async def decode(message: KafkaMessage) -> Event:
        return parse_event(message.body, accept=accept)

    return decode


def decoder_by_topic(accept: dict[str, tuple[type[Event], ...]]) -> Callable[[KafkaMessage], Awaitable[Event]]:
    """For one subscriber on several topics: each topic takes only its own event types, so
    a message posted to the wrong topic is dead-lettered as ``unexpected_type``."""
    by_topic = {topic: event_decoder(*types) for topic, types in accept.items()}

    async def decode(message: KafkaMessage) -> Event:
        return await by_topic[record_of(message).topic](message)

    return decode


class DeadLetterPolicy:
    """FastStream middleware factory implementing the delivery rules above.

    ``feedback_topic`` maps the topic a message came from to a topic its sender reads,
    where an ``input.rejected`` event tells the sender what was wrong. Dead letters are
    published with the broker that delivered the message (FastStream's message context).
    """

    def __init__(
        self,
        service: str,
        *,
        max_attempts: int = 3,
        base_delay: float = 0.2,
        max_delay: float = 5.0,
        feedback_topic: Callable[[str], str | None] | None = None,
        stuck_after: float = 60.0,
    ) -> None:
        self.service = service
        self.topic = dead_letter(service)
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.feedback_topic = feedback_topic
        self.stuck_after = stuck_after  # readiness: a consumer on one message longer than this is stuck
        self.in_flight: dict[tuple[str, int], InFlight] = {}

    async def health(self) -> list[Check]:
        """The consumer: stuck when one message has held its partition longer than ``stuck_after``
        (a database or broker outage retried for as long as it lasts, or a handler that hangs)."""
        now = time.monotonic()
        held = sorted(((now - f.since, key, f) for key, f in self.in_flight.items()), reverse=True)
        stuck = [f"{t}/{p}@{f.offset} for {age:.0f}s after {f.failures} failed attempts"
                 + (f", the last: {f.error}" if f.error else "") for age, (t, p), f in held if age > self.stuck_after]
        return [Check("consumer", not stuck, "stuck on " + "; ".join(stuck) if stuck else "", {
            "consumer_longest_in_flight_seconds": held[0][0] if held else 0.0,
            "consumer_in_flight_failures": held[0][2].failures if held else 0})]

    def __call__(self, msg: Any, /, *, context: Any) -> _DeadLetterMiddleware:
        return _DeadLetterMiddleware(msg, context=context, policy=self)

    async def until_done(self, broker: KafkaBroker, record: Any, call: Callable[[], Awaitable[Any]]) -> Any:
        """Apply one record by ``call`` under the delivery rules: returns once it is applied or
        dead-lettered (the middleware for one-record subscribers, ``shared.batches`` for the
        record a batch could not apply)."""
        where = (record.topic, record.partition)
        self.in_flight[where] = flight = InFlight(record.offset)
        failures = 0
        delay = self.base_delay
        try:
            with structlog.contextvars.bound_contextvars(topic=record.topic, partition=record.partition,
                                                         offset=record.offset):
                while True:
                    try:
                        return await call()
                    except ContractError as exc:
                        await self.send(broker, record, exc.code, exc.reason)
                        return None
                    except TRANSIENT_ERRORS as exc:
                        RETRIED.labels(self.service, "transient").inc()
                        log.warning("handler_transient_failure", error=repr(exc))
                        flight.failed(exc)
                    except Exception as exc:  # any bug must end retried or dead-lettered
                        failures += 1
                        RETRIED.labels(self.service, "error").inc()
                        log.error("handler_failed", error=repr(exc), attempt=failures, exc_info=exc)
                        flight.failed(exc)
                        if failures >= self.max_attempts:
                            await self.send(broker, record, "handler_failed",
                                            f"{type(exc).__name__}: {exc} (after {failures} attempts)")
                            return None
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self.max_delay)
        finally:
            self.in_flight.pop(where, None)

    async def send(self, broker: KafkaBroker, record: Any, code: str, reason: str) -> None:
        """Publish the original bytes with the reason; retried until the broker takes it."""
        headers = {
            "dlt-code": code,
            "dlt-reason": reason[:2000],
            "dlt-service": self.service,
            "dlt-topic": str(record.topic),
            "dlt-partition": str(record.partition),
            "dlt-offset": str(record.offset),
        }
        DEAD_LETTERED.labels(self.service, code).inc()
        log.warning("dead_lettered", code=code, reason=reason, topic=record.topic,
                    partition=record.partition, offset=record.offset)
        await self._retrying(broker, lambda: broker.publish(
            record.value or b"", topic=self.topic, key=record.key, headers=headers))
        feedback = self.feedback_topic(record.topic) if self.feedback_topic else None
        if feedback:
            rejection = InputRejected.new(
                source=self.service, subject=_subject_of(record.value),
                data=Rejection(code=code, reason=reason, topic=record.topic, partition=record.partition,
                               offset=record.offset, rejected_event_id=_event_id_of(record.value)),
            )
            await self._retrying(broker, lambda: broker.publish(
                rejection.to_bytes(), topic=feedback, key=rejection.subject.encode()))

    async def _retrying(self, broker: KafkaBroker, send: Callable[[], Awaitable[Any]]) -> None:
        """Until the broker confirms: a producer that cannot get over its fault (or has failed
        three times in a row) is replaced, as the outbox relay's is (``shared.producer``)."""
        delay = self.base_delay
        failures = 0
        while True:
            producer = current_producer(broker)
            try:
                await asyncio.wait_for(send(), _CONFIRM_TIMEOUT)
                return
            except TRANSIENT_ERRORS as exc:
                failures += 1
                log.warning("dead_letter_publish_retry", error=repr(exc))
                if (is_fatal(exc) or failures >= _RENEW_AFTER) and await renew_producer(
                        broker, producer, service=self.service,
                        reason=type(exc).__name__ if is_fatal(exc) else "repeated_failures"):
                    failures = 0
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_delay)


@dataclass
class InFlight:
    """The message a consumer is on, since when, and how its attempts went."""

    offset: int
    since: float = field(default_factory=time.monotonic)
    failures: int = 0
    error: str = ""

    def failed(self, exc: BaseException) -> None:
        self.failures += 1
        self.error = f"{type(exc).__name__}: {exc}"[:200]


class _DeadLetterMiddleware(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: Any, policy: DeadLetterPolicy) -> None:
        super().__init__(msg, context=context)
        self.policy = policy

    async def consume_scope(self, call_next: Callable[[Any], Awaitable[Any]], msg: StreamMessage[Any]) -> Any:
        if isinstance(msg.raw_message, tuple | list):
            # A batch (``shared.batches``): its consumer applies this policy per record itself,
            # since only it knows which record of the batch failed.
            return await call_next(msg)
        broker: KafkaBroker = self.context.get("broker")
        return await self.policy.until_done(broker, record_of(msg), lambda: call_next(msg))


def _event_id_of(raw: bytes | None) -> Any:
    with contextlib.suppress(Exception):
        return UUID(json.loads(raw or b"")["event_id"])
    return None


def _subject_of(raw: bytes | None) -> str:
    with contextlib.suppress(Exception):
        subject = json.loads(raw or b"")["subject"]
        if isinstance(subject, str) and subject:
            return subject[:200]
    return "unknown"
