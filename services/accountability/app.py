"""The accountability service, wired in one step.

    faststream run services.accountability.app:create_app --factory --port 8002
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

from . import api, board_report, handlers
from .engine import Engine
from .settings import AccountabilitySettings

NAME = Groups.ACCOUNTABILITY
MIGRATIONS = Path(__file__).with_name("migrations")


def build(settings: AccountabilitySettings) -> AsgiFastStream:
    """Reference data, database, the engine, broker (input that is not a valid event is
    dead-lettered), the handler, outbox relay, read API and the Board's report."""
    reference = ReferenceData.load(settings.reference_data_path)
    database = Database(settings.database_url, [MIGRATIONS])
    policy = DeadLetterPolicy(NAME, stuck_after=settings.ready_stuck_after_seconds)
    broker = make_broker(settings, client_id=NAME, middlewares=(policy,))
    broker.include_router(handlers.router(settings))
    relay = OutboxRelay(database, broker, NAME, max_age=settings.ready_outbox_max_age_seconds)
    return service_app(NAME, broker, database, access=Access(settings.api_clients),
                       loops=[relay], routes=[*api.routes(), *board_report.routes()],
                       context={"settings": settings, "reference": reference,
                                "engine": Engine(database, settings, reference),
                                "batches": BatchConsumer(policy, handlers.accepts)}, health=[policy])


def create_app() -> AsgiFastStream:
    """The process entry point: settings from the environment, JSON logs."""
    settings = AccountabilitySettings()
    configure_logging(NAME, settings.log_level, settings.log_repeat_interval_seconds)
    refuse_weak_secrets(NAME, settings)
    return build(settings)
