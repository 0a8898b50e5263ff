"""Batch consumption: each consumer applies what Kafka hands it as one batch, in one unit of work.

Why batches: a service applying one event per transaction and one offset commit per event spends
its time waiting (Kafka 4.x holds each group-coordinator write for
``group.coordinator.append.linger.ms``, 5 ms, so a commit per event costs that every time, and each
event took some fourteen database round trips). Applied by the batch, those costs are paid once for
up to ``max_records`` events.

What FastStream does and what is done here:
- FastStream's batch subscriber (``batch=True``) fetches with aiokafka's ``getmany``: a batch closes
  at ``max_records`` or after ``batch_timeout_ms`` with whatever has come, so under light load an
  event waits no longer than before. Records come partition by partition, each partition in offset
  order. With ``AckPolicy.NACK_ON_ERROR`` it commits the consumer's position once, after the handler
  returned, that is after the database commit: no aiokafka of our own is needed.
- The delivery rules (``shared.messaging``) are kept per record, which FastStream cannot do for a
  batch (its middleware sees the batch, not which record failed), so ``BatchConsumer.consume`` does it:
  a record that is not a valid event is dead-lettered with its reason (and its sender told on its
  feedback topic) and the rest go on; copies inside a batch are dropped, the first kept; the batch is
  applied in one unit of work, retried whole while the failure is transient (holding the partitions,
  so nothing overtakes it); any other failure rolls the batch back and its events are applied again
  one per transaction, each under the per-record rules, so the one poison event is retried and
  dead-lettered alone and nothing else is held back or lost.
- A crash between the database commit and the offset commit redelivers the batch; every event in
  it is then found in ``processed_events`` (``Database.batch`` / ``first_times``) and changes nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage
from faststream.message import StreamMessage
from prometheus_client import Histogram

from .contracts import ContractError, Event, parse_event
from .messaging import RETRIED, TRANSIENT_ERRORS, DeadLetterPolicy, InFlight
from .settings import ServiceSettings

log = structlog.get_logger("batches")

BATCH_SIZE = Histogram("consumer_batch_records", "Records per batch a consumer applied", ["service"],
                       buckets=(1, 2, 5, 10, 50, 100, 250, 500, 1000))

# What the events of a topic may be: anything else there is dead-lettered as a contract error.
Accepts = Callable[[str], tuple[type[Event], ...]]


@dataclass(frozen=True)
class Delivery:
    """One event of a batch and the record it came in."""

    record: ConsumerRecord[bytes, bytes]
    event: Event


# Applies deliveries in one unit of work, in the order given (a service's ``apply_batch``).
ApplyBatch = Callable[[Sequence[Delivery]], Awaitable[None]]


def batch_subscriber(settings: ServiceSettings) -> dict[str, Any]:
    """Keyword arguments for a FastStream batch subscriber under these rules."""
    return {"batch": True, "max_records": settings.batch_max_records,
            "batch_timeout_ms": settings.batch_wait_ms, "ack_policy": AckPolicy.NACK_ON_ERROR,
            "auto_offset_reset": "earliest", "decoder": records_decoder}


async def records_decoder(message: KafkaMessage) -> list[ConsumerRecord[bytes, bytes]]:
    """The batch's records as they came: ``BatchConsumer`` decodes each, so one bad record is
    dead-lettered alone rather than failing the batch in FastStream's decoder."""
    return records_of(message)


def records_of(message: KafkaMessage | StreamMessage[Any]) -> list[ConsumerRecord[bytes, bytes]]:
    """The records of a batch (FastStream's in-memory test broker hands a list, the real one a tuple)."""
    raw = message.raw_message
    return list(raw) if isinstance(raw, tuple | list) else [raw]


def first_wins(deliveries: Sequence[Delivery]) -> list[Delivery]:
    """The batch without later copies of an event (the outbox relay publishes at least once)."""
    seen: set[Any] = set()
    kept = []
    for d in deliveries:
        if d.event.event_id not in seen:
            seen.add(d.event.event_id)
            kept.append(d)
    return kept


class BatchConsumer:
    """Applies batches for one service under its dead-letter ``policy``; ``accepts`` says which
    events each input topic may carry."""

    def __init__(self, policy: DeadLetterPolicy, accepts: Accepts) -> None:
        self.policy = policy
        self.accepts = accepts

    async def consume(self, broker: KafkaBroker, records: Sequence[ConsumerRecord[bytes, bytes]],
                      apply: ApplyBatch) -> None:
        """Apply ``records`` by ``apply``; returns once each is applied or dead-lettered."""
        deliveries = first_wins(await self._decoded(broker, records))
        if not deliveries:
            return
        BATCH_SIZE.labels(self.policy.service).observe(len(deliveries))
        try:
            await self._whole(deliveries, apply)
        except Exception as exc:  # noqa: BLE001 - not transient: find the poison event, one per transaction
            RETRIED.labels(self.policy.service, "batch").inc()
            log.warning("batch_failed_applying_one_by_one", size=len(deliveries), error=repr(exc))
            for d in deliveries:
                await self.policy.until_done(broker, d.record, lambda d=d: apply([d]))  # type: ignore[misc]

    async def _decoded(self, broker: KafkaBroker, records: Sequence[ConsumerRecord[bytes, bytes]]) -> list[Delivery]:
        found = []
        for record in records:
            try:
                found.append(Delivery(record, parse_event(record.value, accept=self.accepts(record.topic))))
            except ContractError as exc:
                await self.policy.send(broker, record, exc.code, exc.reason)
        return found

    async def _whole(self, deliveries: Sequence[Delivery], apply: ApplyBatch) -> None:
        """The batch in one go, retried while the failure is transient (the database or broker away),
        holding its partitions; readiness sees each partition's first record as in flight."""
        first: dict[tuple[str, int], InFlight] = {}
        now = time.monotonic()
        for d in deliveries:
            where = (d.record.topic, d.record.partition)
            if where not in first:
                first[where] = InFlight(d.record.offset, now)
        self.policy.in_flight.update(first)
        delay = self.policy.base_delay
        try:
            while True:
                try:
                    await apply(deliveries)
                    return
                except TRANSIENT_ERRORS as exc:
                    RETRIED.labels(self.policy.service, "transient").inc()
                    log.warning("batch_transient_failure", size=len(deliveries), error=repr(exc))
                    for flight in first.values():
                        flight.failed(exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.policy.max_delay)
        finally:
            for where in first:
                self.policy.in_flight.pop(where, None)
