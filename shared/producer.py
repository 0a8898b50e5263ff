"""A broker's Kafka producer, replaced when a fault leaves it unable to publish again.

aiokafka's idempotent producer numbers each partition's records. When the broker refuses a number
(``OutOfOrderSequenceNumber``, typically after a broker stopped in the middle of a send), no longer
knows the producer (``UnknownProducerId``) or has fenced it, that producer never publishes to the
partition again: every later send fails the same way, for as long as the process lives. A producer
whose sends have hung (its sender task gone) is as stuck. The cure is a new producer: a new
producer id, numbers from zero.

Nothing is lost by the swap. Whatever the old producer held is published again by whoever asked for
it: the outbox relay from its table, oldest unpublished row first (it marks a row published only
once the broker confirmed it), the dead-letter policy from the record it holds. Copies that did
reach the topic carry the same event id, and every consumer applies an event id once
(``shared.db.first_time``).
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    InvalidProducerEpoch,
    KafkaError,
    OutOfOrderSequenceNumber,
    ProducerFenced,
    UnknownProducerId,
)
from faststream.kafka import KafkaBroker
from faststream.kafka.publisher.state import RealProducer
from prometheus_client import Counter

log = structlog.get_logger("producer")

# Errors after which this producer will never publish to the partition again.
FATAL_PRODUCER_ERRORS: tuple[type[BaseException], ...] = (
    OutOfOrderSequenceNumber, UnknownProducerId, ProducerFenced, InvalidProducerEpoch,
)
RENEWED = Counter("kafka_producer_renewed_total", "Kafka producers replaced after a fault they cannot get over",
                  ["service", "reason"])
_CLOSE_TIMEOUT = 5.0  # seconds an old producer may take to close (it may wait on a broker that is gone)
_locks: weakref.WeakKeyDictionary[KafkaBroker, asyncio.Lock] = weakref.WeakKeyDictionary()


def is_fatal(exc: BaseException) -> bool:
    """A fault the producer that raised it cannot get over by retrying."""
    return isinstance(exc, FATAL_PRODUCER_ERRORS)


def current_producer(broker: KafkaBroker) -> AIOKafkaProducer | None:
    """The aiokafka producer the broker publishes with now; None before it connects, and in
    FastStream's in-memory test broker, which has none."""
    state = getattr(broker.config.producer, "_producer", None)
    return state.producer if isinstance(state, RealProducer) else None


async def renew_producer(broker: KafkaBroker, failed: AIOKafkaProducer | None, *, service: str, reason: str,
                         start_timeout: float = 10.0) -> bool:
    """Put a new producer, built as FastStream builds it, in place of ``failed``, then close ``failed``.

    True when a new producer is in place (also when another caller already replaced ``failed``);
    False when there is none to replace, or the broker cannot be reached yet, in which case the old
    one stays and the caller tries again after its next failure.
    """
    async with _locks.setdefault(broker, asyncio.Lock()):
        if failed is None or current_producer(broker) is not failed:
            return failed is not None
        # The keyword arguments FastStream made from make_broker's settings (servers, security,
        # idempotence, client id) and built the first producer with.
        fresh = AIOKafkaProducer(**_connection_kwargs(broker))
        try:
            await asyncio.wait_for(fresh.start(), start_timeout)
        except (KafkaError, OSError, TimeoutError) as exc:
            with contextlib.suppress(Exception):
                await fresh.stop()
            log.warning("producer_renewal_postponed", reason=reason, error=repr(exc))
            return False
        broker.config.producer._producer = RealProducer(fresh)  # type: ignore[attr-defined]
        RENEWED.labels(service, reason).inc()
        log.warning("producer_renewed", reason=reason)
    await _close(failed)
    return True


def _connection_kwargs(broker: KafkaBroker) -> dict[str, Any]:
    kwargs: dict[str, Any] = dict(broker._connection_kwargs)
    return kwargs


async def _close(producer: AIOKafkaProducer) -> None:
    """Close the old producer; what it still holds is published again by its callers."""
    with contextlib.suppress(Exception):  # it failed already; nothing it says now matters
        await asyncio.wait_for(producer.stop(), _CLOSE_TIMEOUT)
