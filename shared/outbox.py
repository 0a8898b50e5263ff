"""Transactional outbox: a state change and the events it causes commit together;
a relay publishes them to Kafka afterwards, in commit order, at least once.

Consumers drop the duplicates a crash between publish and mark can cause, by event id
(``shared.db.first_time``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from faststream.kafka import KafkaBroker
from prometheus_client import Counter

from .contracts import Event
from .db import Database
from .health import Check
from .messaging import TRANSIENT_ERRORS
from .polling import PollingLoop
from .producer import current_producer, is_fatal, renew_producer

RELAYED = Counter("outbox_relayed_total", "Events published from the outbox", ["service"])
_RELAY_LOCK = 4_711_002  # one relay at a time per database keeps commit order on the wire
_JSON = [("content-type", b"application/json")]


async def add_to_outbox(conn: asyncpg.Connection, topic: str, event: Event) -> None:
    """Queue ``event`` for ``topic`` inside the caller's transaction. Keyed by its subject."""
    await conn.execute(
        "INSERT INTO outbox (event_id, topic, key, payload) VALUES ($1, $2, $3, $4)",
        event.event_id, topic, event.subject, event.to_bytes(),
    )


async def add_many_to_outbox(conn: asyncpg.Connection, events: Sequence[tuple[str, Event]]) -> None:
    """Queue many ``(topic, event)`` in one COPY, in the given order (a batch's events)."""
    if events:
        await conn.copy_records_to_table(
            "outbox", columns=("event_id", "topic", "key", "payload"),
            records=[(e.event_id, topic, e.subject, e.to_bytes()) for topic, e in events])


class OutboxRelay:
    """Publishes the outbox of ``database``; woken by every unit of work that commits.

    Each pass takes up to ``batch`` rows in commit order (by id, one relay at a time per database),
    queues them all on the producer, waits for every acknowledgement, then marks the confirmed ones
    in one statement: a consumer's batch of 500 events is relayed in about one pass.

    A row is marked published only once the broker confirmed it, and only with every row before
    it, so a failed pass leaves the relay to start again at the oldest unconfirmed row: order per
    partition is kept and anything published twice is a copy its consumers drop by event id. A
    fault the producer cannot get over (``shared.producer``), or ``renew_after`` failed passes in a
    row once the broker answers again, gets the broker a new producer.
    """

    def __init__(self, database: Database, broker: KafkaBroker, service: str,
                 interval: float = 0.1, batch: int = 500, *, confirm_timeout: float = 30.0,
                 renew_after: int = 3, max_age: float = 30.0) -> None:
        self.database = database
        self.broker = broker
        self.service = service
        self.batch = batch
        self.confirm_timeout = confirm_timeout
        self.renew_after = renew_after
        self.max_age = max_age  # readiness: the oldest unpublished row may wait this long
        self.failed_passes = 0  # in a row; readiness reports them
        self._since_renewal = 0
        self.last_error = ""
        self._loop = PollingLoop(f"{service}-outbox-relay", self._relay_batch, interval)
        database.wake_after_commit(self._loop.wake)

    def poke(self) -> None:
        """Relay now rather than at the next interval."""
        self._loop.poke()

    async def relay_once(self) -> int:
        async with self.database.pool.acquire() as conn, conn.transaction():
            if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", _RELAY_LOCK):
                return 0
            rows = await conn.fetch(
                "SELECT id, topic, key, payload FROM outbox WHERE published_at IS NULL"
                " ORDER BY id LIMIT $1", self.batch,
            )
            producer = current_producer(self.broker)
            confirmed, error = await self._publish(rows)
            if confirmed:
                await conn.execute("UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])",
                                   [r["id"] for r in rows[:confirmed]])
                RELAYED.labels(self.service).inc(confirmed)
        if error is not None:
            await self._failed(error, producer)
            raise error
        self.failed_passes = self._since_renewal = 0
        self.last_error = ""
        return len(rows)

    async def _publish(self, rows: list[asyncpg.Record]) -> tuple[int, BaseException | None]:
        """Queue the batch in order, then wait for the acknowledgements (the idempotent producer
        keeps each partition's order, and a batch costs one round trip). Returns how many rows,
        from the first, the broker confirmed, and the first error, if any."""
        pending: list[asyncio.Future[Any] | None] = []
        error: BaseException | None = None
        producer = current_producer(self.broker)
        try:
            for row in rows:
                if producer is not None:
                    # Straight to aiokafka: the rows are ready-made records, and FastStream's publish
                    # path (middlewares, a correlation id per message) cost as much as the send.
                    pending.append(await producer.send(row["topic"], row["payload"], key=row["key"].encode(),
                                                       headers=_JSON))
                else:
                    pending.append(await self.broker.publish(
                        row["payload"], topic=row["topic"], key=row["key"].encode(),
                        headers={"content-type": "application/json"}, no_confirm=True))
        except Exception as exc:  # noqa: BLE001 - stop queuing at the first refusal; the rows after it wait
            error = exc
        # (FastStream's in-memory test broker delivers at once and leaves nothing to wait for.)
        futures = [f for f in pending if f is not None]
        for future in futures:  # outcomes past the first failure are not read: the rows go again
            future.add_done_callback(_quietly)
        if futures:
            await asyncio.wait(futures, timeout=self.confirm_timeout)  # never cancels a send
        confirmed = 0
        for sent in pending:
            if sent is not None:
                if not sent.done():
                    return confirmed, TimeoutError(f"no acknowledgement within {self.confirm_timeout:g}s")
                if sent.cancelled() or sent.exception() is not None:
                    return confirmed, sent.exception() if not sent.cancelled() else TimeoutError("send cancelled")
            confirmed += 1
        return confirmed, error

    async def _failed(self, error: BaseException, producer: AIOKafkaProducer | None) -> None:
        self.failed_passes += 1
        self._since_renewal += 1
        self.last_error = f"{type(error).__name__}: {error}"[:300]
        if is_fatal(error):
            reason = type(error).__name__
        elif self._since_renewal >= self.renew_after and isinstance(error, KafkaError | TimeoutError):
            reason = "repeated_failures"
        else:
            return
        if await renew_producer(self.broker, producer, service=self.service, reason=reason):
            self._since_renewal = 0

    async def _relay_batch(self) -> bool:
        """One pass; True when the batch was full, so there may be more waiting."""
        return await self.relay_once() == self.batch

    async def health(self) -> list[Check]:
        """Lag: unpublished rows and the age of the oldest. Not ready once the oldest has waited
        longer than ``max_age`` (the broker is away, or the relay cannot publish)."""
        async with self.database.pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT count(*) AS n, coalesce(extract(epoch FROM now() - min(created_at)), 0) AS age"
                " FROM outbox WHERE published_at IS NULL")
        rows, age = int(row["n"]), float(row["age"])
        detail = f"{rows} unpublished" + (f", the oldest {age:.0f}s old" if rows else "")
        if self.failed_passes:
            detail += f"; {self.failed_passes} failed passes in a row, the last: {self.last_error}"
        return [Check("outbox", age <= self.max_age, detail, {
            "outbox_unpublished_rows": rows, "outbox_oldest_unpublished_seconds": age,
            "outbox_failed_passes": self.failed_passes})]

    @property
    def running(self) -> bool:
        return self._loop.running

    @property
    def name(self) -> str:
        return self._loop.name

    def start(self) -> None:
        self._loop.start()

    async def stop(self, drain_timeout: float = 5.0) -> None:
        """Stop relaying, after one last pass so a clean shutdown leaves nothing queued
        (whatever a crash leaves is relayed at the next start)."""
        if self._loop.started:
            await self._loop.stop()
            with contextlib.suppress(*TRANSIENT_ERRORS):
                await asyncio.wait_for(self.relay_once(), drain_timeout)


def _quietly(future: asyncio.Future[Any]) -> None:
    """Take a late outcome nobody waits for any more, so asyncio does not report it as lost."""
    if not future.cancelled():
        future.exception()
