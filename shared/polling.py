"""A background loop for work that is polled from the database: the outbox relay and the
notifications dispatcher."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

from .messaging import TRANSIENT_ERRORS

log = structlog.get_logger("polling")


class PollingLoop:
    """Runs ``step`` again and again: at once while it says there is more to do, otherwise after
    ``interval`` or as soon as it is poked (``Database.wake_after_commit(loop.wake)`` pokes it
    after every unit of work). A failed pass is logged and retried with backoff, so the loop
    outlives any one error; ``running`` tells whether it still runs."""

    def __init__(self, name: str, step: Callable[[], Awaitable[bool]], interval: float,
                 max_delay: float = 5.0) -> None:
        self.name = name
        self.step = step
        self.interval = interval
        self.max_delay = max_delay
        self.wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def poke(self) -> None:
        self.wake.set()

    @property
    def started(self) -> bool:
        return self._task is not None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        delay = self.interval
        while True:
            try:
                more = await self.step()
                delay = self.interval
            except TRANSIENT_ERRORS as exc:
                log.warning("poll_retry", loop=self.name, error=repr(exc))
                more = False
                delay = min(delay * 2, self.max_delay)
            except Exception as exc:  # the loop must outlive any one pass
                log.error("poll_failed", loop=self.name, error=repr(exc), exc_info=exc)
                more = False
                delay = min(delay * 2, self.max_delay)
            if more:
                continue
            self.wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.wake.wait(), delay)
