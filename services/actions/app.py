"""The actions service, wired in one step.

    faststream run services.actions.app:create_app --factory --port 8001
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
from shared.reference import ReferenceData
from shared.service import service_app
from shared.settings import refuse_weak_secrets

from . import api, handlers
from .settings import ActionsSettings

NAME = Groups.ACTIONS
MIGRATIONS = Path(__file__).with_name("migrations")


def build(settings: ActionsSettings) -> AsgiFastStream:
    """Reference data, database, broker (input that is not even a valid event is dead-lettered
    and its sender told on its feedback topic), handlers, outbox relay and read API."""
    database = Database(settings.database_url, [MIGRATIONS])
    policy = DeadLetterPolicy(NAME, feedback_topic=handlers.feedback_for,
                              stuck_after=settings.ready_stuck_after_seconds)
    broker = make_broker(settings, client_id=NAME, middlewares=(policy,))
    broker.include_router(handlers.router(settings))
    relay = OutboxRelay(database, broker, NAME, max_age=settings.ready_outbox_max_age_seconds)
    return service_app(NAME, broker, database, access=Access(settings.api_clients),
                       loops=[relay], routes=api.routes(),
                       context={"settings": settings, "batches": BatchConsumer(policy, handlers.accepts),
                                "reference": ReferenceData.load(settings.reference_data_path)},
                       health=[policy])


def create_app() -> AsgiFastStream:
    """The process entry point: settings from the environment, JSON logs."""
    settings = ActionsSettings()
    configure_logging(NAME, settings.log_level, settings.log_repeat_interval_seconds)
    refuse_weak_secrets(NAME, settings)
    return build(settings)
