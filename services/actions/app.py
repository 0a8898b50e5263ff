"""Entry point: ``faststream run services.actions.app:create_app --factory --port 8001``."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from shared.contracts.events import InputRejected
from shared.logging import configure_logging
from shared.settings import ActionsSettings

from .bootstrap import bootstrap


def create_app(settings: ActionsSettings | None = None) -> AsgiFastStream:
    settings = settings or ActionsSettings()
    configure_logging("actions", settings.log_level)
    runtime, routes = bootstrap(settings)
    feedback = ("actions.feedback.{system}", InputRejected,
                "one topic per system, readable only by that system: why its input was refused")
    return runtime.app(routes, outputs=(feedback,))
