"""A service's database: the asyncpg pool on a migrated schema, the unit of work, and the
idempotent-consumer record."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from uuid import UUID

import asyncpg

PLATFORM_MIGRATIONS = Path(__file__).with_name("migrations")
_MIGRATION_LOCK = 4_711_001  # any fixed number: serialises instances migrating at once


class Database:
    """One service's database. The pool opens when the app starts (``open``) and closes after
    the broker stopped (``close``), so no handler can still be using it.

    ``transaction()`` is the unit of work: a state change and the events it causes (in the
    outbox) commit together, and once they have, every background loop that asked to be woken
    (the outbox relay, the notifications dispatcher) is woken, so no caller has to remember to.

    ``batch(consumer, event_ids)`` is one unit of work for a whole batch of events
    (``shared.batches``): every ``transaction()`` opened inside it joins the batch's (same
    connection, no savepoint: any failure rolls the whole batch back, and the batch consumer then
    applies its events one per transaction), and ``first_time`` answers from the one batched
    idempotency insert the batch made up front instead of a round trip per event. So the per-event
    code (the accountability engine, the notifications handlers) runs unchanged, one transaction
    per event when fed one event, one per batch when fed a batch.
    """

    def __init__(self, url: str, migrations: Sequence[Path] = (), *, max_size: int = 10,
                 init: Callable[[asyncpg.Connection], Awaitable[None]] | None = None) -> None:
        self.url = url
        self.migrations = tuple(migrations)
        self.max_size = max_size
        self.init = init  # run on each new connection (a bench counts queries with it)
        self._pool: asyncpg.Pool | None = None
        self._woken: list[asyncio.Event] = []
        self._joined: ContextVar[asyncpg.Connection | None] = ContextVar(f"batch:{id(self)}", default=None)

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the database pool opens when the app starts")
        return self._pool

    @property
    def is_open(self) -> bool:
        return self._pool is not None

    async def open(self) -> None:
        self._pool = await create_pool(self.url, *self.migrations, max_size=self.max_size, init=self.init)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    def wake_after_commit(self, event: asyncio.Event) -> None:
        """Set ``event`` after every unit of work that commits."""
        self._woken.append(event)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        joined = self._joined.get()
        if joined is not None:  # inside batch(): the batch commits, once
            yield joined
            return
        async with self.pool.acquire() as conn, conn.transaction():
            yield conn
        for event in self._woken:
            event.set()

    @asynccontextmanager
    async def batch(self, consumer: str, event_ids: Collection[UUID]) -> AsyncIterator[set[UUID]]:
        """One unit of work for a batch: claims ``event_ids`` for ``consumer`` in one statement and
        yields the ids not applied before; ``first_time`` (and every ``transaction()``) inside joins it."""
        async with self.transaction() as conn:
            fresh = await first_times(conn, consumer, event_ids)
            token = self._joined.set(conn)
            claim = _CLAIMED.set((consumer, set(fresh)))
            try:
                yield fresh
            finally:
                _CLAIMED.reset(claim)
                self._joined.reset(token)


async def create_pool(dsn: str, *migration_dirs: Path, max_size: int = 10,
                      init: Callable[[asyncpg.Connection], Awaitable[None]] | None = None) -> asyncpg.Pool:
    """A pool on a migrated database: the platform's tables, then the service's own."""
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=max_size, init=init)
    await migrate(pool, PLATFORM_MIGRATIONS, *migration_dirs)
    return pool


async def migrate(pool: asyncpg.Pool, *directories: Path) -> list[str]:
    """Apply every ``NNNN_name.sql`` not yet applied, each in its own transaction."""
    applied: list[str] = []
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
            for directory in directories:
                for path in sorted(directory.glob("*.sql")):
                    version = f"{directory.parent.name}/{path.name}"
                    if version in done:
                        continue
                    async with conn.transaction():
                        await conn.execute(path.read_text())
                        await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", version)
                    applied.append(version)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
    return applied


# The ids a batch claimed up front (``Database.batch``), each answered True once.
_CLAIMED: ContextVar[tuple[str, set[UUID]] | None] = ContextVar("claimed_event_ids", default=None)


async def first_times(conn: asyncpg.Connection, consumer: str, event_ids: Collection[UUID]) -> set[UUID]:
    """``first_time`` for many events in one statement: the ids ``consumer`` had not applied yet."""
    rows = await conn.fetch(
        "INSERT INTO processed_events (consumer, event_id) SELECT $1, unnest($2::uuid[])"
        " ON CONFLICT DO NOTHING RETURNING event_id", consumer, list(event_ids))
    return {r["event_id"] for r in rows}


async def already_applied(conn: asyncpg.Connection, consumer: str, event_id: UUID) -> bool:
    """Whether ``consumer`` recorded ``event_id`` as applied, without recording it."""
    sql = "SELECT true FROM processed_events WHERE consumer = $1 AND event_id = $2"
    return bool(await conn.fetchval(sql, consumer, event_id))


async def first_time(conn: asyncpg.Connection, consumer: str, event_id: UUID) -> bool:
    """Record that ``consumer`` applied ``event_id``; False when it already had.

    Call inside the transaction that applies the event, so the record and the effect
    commit or roll back together. Inside ``Database.batch`` the batch has recorded it already.
    """
    claimed = _CLAIMED.get()
    if claimed is not None and claimed[0] == consumer:
        if event_id in claimed[1]:
            claimed[1].discard(event_id)
            return True
        return False
    status: str = await conn.execute(
        "INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        consumer, event_id,
    )
    return status == "INSERT 0 1"
