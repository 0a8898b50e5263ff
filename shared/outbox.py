"""Transactional outbox: a state change and the events it causes commit together;
a relay publishes them to Kafka afterwards, in commit order, at least once.

Consumers drop the duplicates a crash between publish and mark can cause, by event id
(``shared.db.first_time``).
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
from faststream.kafka import KafkaBroker
from prometheus_client import Counter

from .contracts import Event
from .db import Database
from .messaging import TRANSIENT_ERRORS
from .polling import PollingLoop

RELAYED = Counter("outbox_relayed_total", "Events published from the outbox", ["service"])
_RELAY_LOCK = 4_711_002  # one relay at a time per database keeps commit order on the wire


async def add_to_outbox(conn: asyncpg.Connection, topic: str, event: Event) -> None:
    """Queue ``event`` for ``topic`` inside the caller's transaction. Keyed by its subject."""
    await conn.execute(
        "INSERT INTO outbox (event_id, topic, key, payload) VALUES ($1, $2, $3, $4)",
        event.event_id, topic, event.subject, event.to_bytes(),
    )


class OutboxRelay:
    """Publishes the outbox of ``database``; woken by every unit of work that commits."""

    def __init__(self, database: Database, broker: KafkaBroker, service: str,
                 interval: float = 0.1, batch: int = 200) -> None:
        self.database = database
        self.broker = broker
        self.service = service
        self.batch = batch
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
            # Queue the whole batch, then wait for every acknowledgement: the producer keeps
            # per-partition order and is idempotent, and a batch costs one round trip.
            pending = [
                await self.broker.publish(row["payload"], topic=row["topic"], key=row["key"].encode(),
                                          headers={"content-type": "application/json"}, no_confirm=True)
                for row in rows
            ]
            # (FastStream's in-memory test broker delivers at once and leaves nothing to wait for.)
            await asyncio.gather(*(confirmed for confirmed in pending if confirmed is not None))
            if rows:
                await conn.execute("UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])",
                                   [r["id"] for r in rows])
                RELAYED.labels(self.service).inc(len(rows))
            return len(rows)

    async def _relay_batch(self) -> bool:
        """One pass; True when the batch was full, so there may be more waiting."""
        return await self.relay_once() == self.batch

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
