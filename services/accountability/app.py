"""Entry point: ``faststream run services.accountability.app:create_app --factory --port 8002``.

Subscribes to its four input topics in the ``accountability`` consumer group (every
instance shares the partitions), applies each event through ``Engine`` and relays what it
caused from the outbox to ``accountability.events``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Union

from faststream.asgi import AsgiFastStream

from shared.contracts import Event
from shared.contracts.topics import ACTION_CHANGES, CLOCK, NOTICES, RESPONSES, Groups
from shared.logging import configure_logging
from shared.messaging import SUBSCRIBER_DEFAULTS, event_decoder
from shared.reference import ReferenceData
from shared.service import ServiceRuntime
from shared.settings import AccountabilitySettings

from .api import routes
from .engine import Engine

MIGRATIONS = Path(__file__).with_name("migrations")

# What each input topic carries that this service takes; anything else there is dead-lettered.
INPUTS: dict[str, tuple[type[Event], ...]] = {
    ACTION_CHANGES.name: ACTION_CHANGES.events,
    RESPONSES.name: RESPONSES.events,
    CLOCK.name: CLOCK.events,
    NOTICES.name: NOTICES.events,
}


class AccountabilityService:
    def __init__(self, settings: AccountabilitySettings) -> None:
        self.settings = settings
        self.reference = ReferenceData.load(settings.reference_data_path)
        self.runtime = ServiceRuntime(Groups.ACCOUNTABILITY, settings, settings.database_url, MIGRATIONS)
        self._engine: Engine | None = None
        for topic, accept in INPUTS.items():
            subscriber = self.runtime.broker.subscriber(
                topic, group_id=settings.consumer_group, decoder=event_decoder(*accept), **SUBSCRIBER_DEFAULTS)
            subscriber(self._handler(topic, accept))
        self.app = self.runtime.app(routes(self.runtime, settings, self.reference))

    @property
    def engine(self) -> Engine:
        """Built on first use: the pool exists once the app has started."""
        if self._engine is None:
            self._engine = Engine(self.runtime.pool, self.settings, self.reference)
        return self._engine

    def _handler(self, topic: str, accept: tuple[type[Event], ...]):
        async def handle(event: Event) -> None:
            await self.engine.handle(event)
            self.runtime.relay.poke()

        handle.__name__ = f"on_{topic.replace('.', '_')}"
        handle.__doc__ = f"Applies {', '.join(e.TYPE for e in accept)} from {topic}."
        # The decoder already made the event; the annotation names its types for the AsyncAPI document.
        handle.__annotations__ = {"event": Union[accept], "return": None}  # noqa: UP007
        return handle


def build(settings: AccountabilitySettings | None = None) -> AccountabilityService:
    return AccountabilityService(settings or AccountabilitySettings())


def create_app(settings: AccountabilitySettings | None = None) -> AsgiFastStream:
    settings = settings or AccountabilitySettings()
    configure_logging(Groups.ACCOUNTABILITY, settings.log_level)
    return build(settings).app

