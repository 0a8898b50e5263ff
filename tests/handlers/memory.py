"""What every handler test needs: a service's app on FastStream's in-memory broker (its
database real), and the rows a test reads back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from faststream import TestApp
from faststream.asgi import AsgiFastStream
from faststream.kafka import TestKafkaBroker
from faststream.kafka.testing import TestKafkaBroker as InMemoryBroker

IN_MEMORY = "in-memory:9092"  # never dialled: TestKafkaBroker stands in for the broker

__all__ = ["IN_MEMORY", "InMemoryBroker", "in_memory", "rows"]


@asynccontextmanager
async def in_memory(app: AsgiFastStream) -> AsyncIterator[Any]:
    """The app started (database, loops) with its broker in memory; yields the broker to publish to."""
    assert app.broker is not None
    async with TestKafkaBroker(app.broker) as broker, TestApp(app):
        yield broker


async def rows(database_url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()
