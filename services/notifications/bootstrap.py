"""Wires the notifications service: runtime, handlers, dispatcher and read API."""

from __future__ import annotations

from pathlib import Path

from shared.messaging import DeadLetterPolicy
from shared.service import ServiceRuntime

from .delivery import Dispatcher
from .handlers import register_handlers
from .settings import NotificationsSettings

MIGRATIONS = Path(__file__).with_name("migrations")
NAME = "notifications"


class NotificationsRuntime(ServiceRuntime):
    """The shared runtime plus the dispatcher, which starts and stops with the outbox relay."""

    settings: NotificationsSettings

    def __init__(self, settings: NotificationsSettings, dispatch_interval: float = 0.5) -> None:
        super().__init__(NAME, settings, settings.database_url, MIGRATIONS, policy=DeadLetterPolicy(NAME))
        self.dispatcher = Dispatcher(self, settings, interval=dispatch_interval)

    async def start_background(self) -> None:
        await super().start_background()
        self.dispatcher.start()

    async def stop_background(self) -> None:
        await self.dispatcher.stop()
        await super().stop_background()


def bootstrap(settings: NotificationsSettings) -> NotificationsRuntime:
    runtime = NotificationsRuntime(settings)
    register_handlers(runtime)
    return runtime
