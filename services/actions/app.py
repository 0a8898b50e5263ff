"""Entry point: ``faststream run services.actions.app:create_app --factory --port 8001``."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from shared.logging import configure_logging
from shared.settings import ActionsSettings

from .bootstrap import bootstrap


def create_app(settings: ActionsSettings | None = None) -> AsgiFastStream:
    settings = settings or ActionsSettings()
    configure_logging("actions", settings.log_level)
    return bootstrap(settings)
