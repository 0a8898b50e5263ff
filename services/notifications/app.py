"""``faststream run services.notifications.app:create_app --factory --port 8003``"""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from shared.logging import configure_logging

from .api import routes
from .bootstrap import bootstrap
from .settings import NotificationsSettings


def create_app(settings: NotificationsSettings | None = None) -> AsgiFastStream:
    settings = settings or NotificationsSettings()
    configure_logging("notifications", settings.log_level)
    runtime = bootstrap(settings)
    return runtime.app(routes(runtime))
