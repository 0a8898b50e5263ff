"""Binds the accountability service's four input topics to the engine.

One subscriber (one group member per instance) for all four, so instances join and
rebalance quickly; each action's events stay in order because they share a partition key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Union

from shared.contracts import Event
from shared.contracts.topics import ACTION_CHANGES, CLOCK, NOTICES, RESPONSES
from shared.messaging import SUBSCRIBER_DEFAULTS, decoder_by_topic
from shared.service import ServiceRuntime

from .engine import Engine

# What each input topic carries that this service takes; anything else there is dead-lettered.
INPUTS: dict[str, tuple[type[Event], ...]] = {
    ACTION_CHANGES.name: ACTION_CHANGES.events,
    RESPONSES.name: RESPONSES.events,
    CLOCK.name: CLOCK.events,
    NOTICES.name: NOTICES.events,
}
AccountabilityInput = Union[tuple(t for types in INPUTS.values() for t in types)]  # noqa: UP007


def register_handlers(runtime: ServiceRuntime, engine: Callable[[], Engine], consumer_group: str) -> None:
    @runtime.broker.subscriber(*INPUTS, group_id=consumer_group, decoder=decoder_by_topic(INPUTS),
                               **SUBSCRIBER_DEFAULTS)
    async def on_event(event: AccountabilityInput) -> None:
        """An action changed, a leader or the Panel answered, the clock ticked, or a notice's fate is known."""
        await engine().handle(event)
        runtime.relay.poke()
