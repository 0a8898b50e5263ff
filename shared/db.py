"""The asyncpg pool and versioned SQL migrations applied at start-up."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import asyncpg

PLATFORM_MIGRATIONS = Path(__file__).with_name("migrations")
_MIGRATION_LOCK = 4_711_001  # any fixed number: serialises instances migrating at once


async def create_pool(dsn: str, *migration_dirs: Path, max_size: int = 10) -> asyncpg.Pool:
    """A pool on a migrated database: the platform's tables, then the service's own."""
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=max_size)
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
    status = await conn.execute(
        "INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        consumer, event_id,
    )
    return status == "INSERT 0 1"
