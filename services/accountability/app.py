"""Entry point: ``faststream run services.accountability.app:create_app --factory --port 8002``."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from shared.contracts.topics import Groups
from shared.logging import configure_logging

from .bootstrap import build
from .settings import AccountabilitySettings


def create_app(settings: AccountabilitySettings | None = None) -> AsgiFastStream:
    settings = settings or AccountabilitySettings()
    configure_logging(Groups.ACCOUNTABILITY, settings.log_level)
    return build(settings).app
