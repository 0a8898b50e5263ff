"""Wires the actions service: reference data, runtime (broker, pool, outbox), handlers, API."""

from __future__ import annotations

from pathlib import Path

from faststream.asgi import AsgiFastStream

from shared.contracts.events import InputRejected
from shared.contracts.topics import Groups
from shared.messaging import DeadLetterPolicy
from shared.reference import ReferenceData
from shared.service import ServiceRuntime
from shared.settings import ActionsSettings

from .api import routes
from .handlers import feedback_for, register_handlers

MIGRATIONS = Path(__file__).with_name("migrations")
FEEDBACK = ("actions.feedback.{system}", InputRejected,
            "one topic per system, readable only by that system: why its input was refused")


def bootstrap(settings: ActionsSettings) -> AsgiFastStream:
    reference = ReferenceData.load(settings.reference_data_path)
    # Input that is not even a valid event is dead-lettered and its sender told on its feedback topic.
    policy = DeadLetterPolicy(Groups.ACTIONS, feedback_topic=feedback_for)
    runtime = ServiceRuntime(Groups.ACTIONS, settings, settings.database_url, MIGRATIONS, policy)
    register_handlers(runtime, reference)
    return runtime.app(routes(runtime), outputs=(FEEDBACK,))
