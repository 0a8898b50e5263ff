"""Wires the accountability service: reference data, runtime, engine, handlers, read API."""

from __future__ import annotations

from pathlib import Path

from faststream.asgi import AsgiFastStream

from shared.contracts.topics import Groups
from shared.reference import ReferenceData
from shared.service import ServiceRuntime

from . import board_report
from .api import routes
from .engine import Engine
from .handlers import register_handlers
from .settings import AccountabilitySettings

MIGRATIONS = Path(__file__).with_name("migrations")


class AccountabilityService:
    def __init__(self, settings: AccountabilitySettings) -> None:
        self.settings = settings
        self.reference = ReferenceData.load(settings.reference_data_path)
        self.runtime = ServiceRuntime(Groups.ACCOUNTABILITY, settings, settings.database_url, MIGRATIONS)
        self._engine: Engine | None = None
        register_handlers(self.runtime, lambda: self.engine, settings.consumer_group)
        self.app: AsgiFastStream = self.runtime.app([
            *routes(self.runtime, settings, self.reference),
            *board_report.routes(self.runtime, self.reference),
        ])

    @property
    def engine(self) -> Engine:
        """Built on first use: the pool exists once the app has started."""
        if self._engine is None:
            self._engine = Engine(self.runtime.pool, self.settings, self.reference)
        return self._engine


def build(settings: AccountabilitySettings | None = None) -> AccountabilityService:
    return AccountabilityService(settings or AccountabilitySettings())
