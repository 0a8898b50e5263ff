"""What every service's bootstrap builds: a broker with the dead-letter policy, a pool
on a migrated database, an outbox relay, and the FastStream app that starts and stops
them in order. Nothing here runs at import time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
from faststream.asgi import AsgiFastStream

from .db import create_pool
from .http import operational_routes
from .messaging import DeadLetterPolicy, make_broker
from .outbox import OutboxRelay
from .settings import ServiceSettings


class ServiceRuntime:
    def __init__(self, name: str, settings: ServiceSettings, database_url: str, migrations: Path,
                 policy: DeadLetterPolicy | None = None) -> None:
        self.name = name
        self.settings = settings
        self.database_url = database_url
        self.migrations = migrations
        self.policy = policy or DeadLetterPolicy(name)
        self.broker = make_broker(settings, middlewares=(self.policy,), client_id=name)
        self.policy.broker = self.broker
        self._pool: asyncpg.Pool | None = None
        self._relay: OutboxRelay | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError(f"{self.name}: the database pool opens when the app starts")
        return self._pool

    @property
    def relay(self) -> OutboxRelay:
        if self._relay is None:
            raise RuntimeError(f"{self.name}: the outbox relay starts with the app")
        return self._relay

    async def open(self) -> None:
        self._pool = await create_pool(self.database_url, self.migrations)
        self._relay = OutboxRelay(self._pool, self.broker, self.name)

    async def start_background(self) -> None:
        self.relay.start()

    async def stop_background(self) -> None:
        if self._relay is not None:
            await self._relay.stop()

    async def close(self) -> None:
        """After the broker stopped: no handler can still be using the pool."""
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    def app(self, routes: list[tuple[str, Any]] = ()) -> AsgiFastStream:
        return AsgiFastStream(
            self.broker,
            asgi_routes=[*operational_routes(self), *routes],
            on_startup=[self.open],
            after_startup=[self.start_background],
            on_shutdown=[self.stop_background],
            after_shutdown=[self.close],
            asyncapi_path="/asyncapi",
        )
