"""What every service's bootstrap builds: a broker with the dead-letter policy, a pool
on a migrated database, an outbox relay, and the FastStream app that starts and stops
them in order. Nothing here runs at import time."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Union

import asyncpg
from faststream.asgi import AsgiFastStream
from faststream.specification import AsyncAPI

from .contracts.topics import SHARED_TOPICS, dead_letter
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

    @property
    def relaying(self) -> bool:
        """False before the app started, and if the relay ever stopped: then not ready."""
        return self._relay is not None and self._relay.running

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

    def document_outputs(self, extra: tuple[tuple[str, Any, str], ...] = ()) -> None:
        """Declare what this service writes, from the topic registry, so the generated
        AsyncAPI document shows outputs too (the outbox relay does the actual publishing)."""
        for topic in SHARED_TOPICS:
            if self.name in topic.writers:
                schema = topic.events[0] if len(topic.events) == 1 else Union[topic.events]  # noqa: UP007
                self.broker.publisher(topic.name, title=f"{topic.name}:{self.name}", schema=schema,
                                      description=f"keyed by {topic.key}")
        for name, schema, description in extra:
            self.broker.publisher(name, title=f"{name}:{self.name}", schema=schema, description=description)
        self.broker.publisher(dead_letter(self.name), title=f"{dead_letter(self.name)}:{self.name}",
                              schema=bytes, description="the original message bytes; the reason in headers "
                              "dlt-code, dlt-reason, dlt-topic, dlt-partition, dlt-offset")

    def app(self, routes: list[tuple[str, Any]] = (),
            outputs: tuple[tuple[str, Any, str], ...] = ()) -> AsgiFastStream:
        self.document_outputs(outputs)
        return AsgiFastStream(
            self.broker,
            asgi_routes=[*operational_routes(self), *routes],
            on_startup=[self.open],
            after_startup=[self.start_background],
            on_shutdown=[self.stop_background],
            after_shutdown=[self.close],
            asyncapi_path="/asyncapi",
            specification=AsyncAPI(title=f"Midlands governance: {self.name} service", version="1.0.0",
                                   description=f"Events the {self.name} service consumes and produces."),
        )
