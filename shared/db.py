"""A service's database: the asyncpg pool on a migrated schema, the unit of work, and the
idempotent-consumer record."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
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
    """

    def __init__(self, url: str, migrations: Sequence[Path] = (), *, max_size: int = 10,
                 init: Callable[[asyncpg.Connection], Awaitable[None]] | None = None) -> None:
        self.url = url
        self.migrations = tuple(migrations)
        self.max_size = max_size
        self.init = init  # run on each new connection (a bench counts queries with it)
        self._pool: asyncpg.Pool | None = None
        self._woken: list[asyncio.Event] = []

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
        async with self.pool.acquire() as conn, conn.transaction():
            yield conn
        for event in self._woken:
            event.set()


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


async def first_time(conn: asyncpg.Connection, consumer: str, event_id: UUID) -> bool:
    """Record that ``consumer`` applied ``event_id``; False when it already had.

    Call inside the transaction that applies the event, so the record and the effect
    commit or roll back together.
    """
    status: str = await conn.execute(
        "INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        consumer, event_id,
    )
    return status == "INSERT 0 1"
