"""The outbox relay must outlive any error of one pass, not only the ones listed as transient.

Seen in the resilience suite's database restart: asyncpg raised ``InternalClientError('cannot
switch to state 15; another operation (2) is in progress')`` inside ``relay_once``; ``run()``
catches only ``TRANSIENT_ERRORS``, so the relay task ended, the service stayed ready, and its
outbox stopped draining (67 notices' events queued for good). This reproduces it without a
database: one pass fails with that error, the next would succeed.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import Any

from asyncpg import InternalClientError

from shared.db import Database
from shared.outbox import OutboxRelay


class FlakyPool:
    """Fails the first acquire the way asyncpg did during the restart, then has nothing to relay."""

    def __init__(self) -> None:
        self.acquired = 0

    @asynccontextmanager
    async def acquire(self) -> Any:
        self.acquired += 1
        if self.acquired == 1:
            raise InternalClientError("cannot switch to state 15; another operation (2) is in progress")
        raise ConnectionRefusedError("the next passes reach a database that is not there yet")
        yield


class FlakyDatabase(Database):
    def __init__(self) -> None:
        super().__init__("postgresql://never-opened")
        self.flaky = FlakyPool()

    @property
    def pool(self) -> Any:
        return self.flaky


async def test_the_relay_keeps_running_after_an_unexpected_database_client_error():
    database = FlakyDatabase()
    pool = database.flaky
    relay = OutboxRelay(database, broker=None, service="resilience", interval=0.05)  # type: ignore[arg-type]
    relay.start()
    try:
        await asyncio.sleep(0.5)
        assert relay.running, "the relay stopped for good"
        assert pool.acquired > 1  # it tried again
    finally:
        await relay.stop(drain_timeout=0.5)
