"""The notifications service, wired in one step.

    faststream run services.notifications.app:create_app --factory --port 8003
"""

from __future__ import annotations

from pathlib import Path

from faststream.asgi import AsgiFastStream

from shared.access import Access
from shared.batches import BatchConsumer
from shared.contracts.topics import Groups
from shared.db import Database
from shared.logging import configure_logging
from shared.messaging import DeadLetterPolicy, make_broker
from shared.outbox import OutboxRelay
from shared.service import Loop, service_app
from shared.settings import refuse_weak_secrets

from . import api, handlers
from .delivery import Dispatcher
from .settings import NotificationsSettings, refuse_local_links

NAME = Groups.NOTIFICATIONS
MIGRATIONS = Path(__file__).with_name("migrations")


def build(settings: NotificationsSettings, *, dispatch_interval: float = 0.5) -> AsgiFastStream:
    """Database, broker (bad input is dead-lettered), handlers, the outbox relay, the dispatcher
    (woken by every commit, and otherwise every ``dispatch_interval`` seconds) and the read API."""
    database = Database(settings.database_url, [MIGRATIONS])
    policy = DeadLetterPolicy(NAME, stuck_after=settings.ready_stuck_after_seconds)
    broker = make_broker(settings, client_id=NAME, middlewares=(policy,))
    broker.include_router(handlers.router(settings))
    loops: list[Loop] = [OutboxRelay(database, broker, NAME, max_age=settings.ready_outbox_max_age_seconds),
                         Dispatcher(database, settings, interval=dispatch_interval)]
    return service_app(NAME, broker, database, access=Access(settings.api_clients),
                       loops=loops, routes=api.routes(),
                       context={"settings": settings, "batches": BatchConsumer(policy, handlers.accepts)},
                       health=[policy])


def create_app() -> AsgiFastStream:
    """The process entry point: settings from the environment, JSON logs."""
    settings = NotificationsSettings()
    configure_logging(NAME, settings.log_level, settings.log_repeat_interval_seconds)
    refuse_weak_secrets(NAME, settings)
    refuse_local_links(NAME, settings)
    return build(settings)
