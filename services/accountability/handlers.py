"""Binds the accountability service's five input topics to the engine.

One subscriber (one group member per instance) for all five, so instances join and
rebalance quickly; each action's events stay in order because they share a partition key.
"""

from __future__ import annotations

from typing import Annotated

from faststream import Context
from faststream.kafka import KafkaRouter

from shared.contracts import Event
from shared.contracts import events as ev
from shared.contracts.topics import ACTION_CHANGES, CLOCK, DIRECTORY, NOTICES, RESPONSES
from shared.messaging import SUBSCRIBER_DEFAULTS, decoder_by_topic

from .engine import Engine
from .settings import AccountabilitySettings

# What each input topic carries that this service takes; anything else there is dead-lettered.
INPUTS: dict[str, tuple[type[Event], ...]] = {
    ACTION_CHANGES.name: ACTION_CHANGES.events,
    RESPONSES.name: RESPONSES.events,
    CLOCK.name: CLOCK.events,
    NOTICES.name: NOTICES.events,
    DIRECTORY.name: DIRECTORY.events,
}
# The same types in the same order, spelled out for the handler's signature (and so for the
# AsyncAPI document); the decoder has already parsed the event by its topic and type.
AccountabilityInput = (
    ev.ActionChanged | ev.ExplanationReceived | ev.RecoveryPlanReceived | ev.PanelDecisionRecorded
    | ev.ExplanationGiven | ev.RecoveryPlanSent | ev.ExtensionRequested | ev.FlagContested | ev.ConcernRaised
    | ev.ConsequenceAgreed | ev.CoverArranged
    | ev.ClockTicked | ev.NoticeSent | ev.NoticeFailed | ev.NoticeAcknowledged | ev.NoticeUnacknowledged
    | ev.NoticeAcknowledgementGiven
    | ev.PersonUpdated
)


async def on_event(event: AccountabilityInput, engine: Annotated[Engine, Context()]) -> None:
    """An action changed, someone acted on one (checked first), the clock ticked, a notice's fate is
    known, or the directory changed who is who."""
    await engine.handle(event)


def router(settings: AccountabilitySettings) -> KafkaRouter:
    """The five input topics, in the settings' consumer group (a new router for each app)."""
    kafka = KafkaRouter()
    kafka.subscriber(*INPUTS, group_id=settings.consumer_group, decoder=decoder_by_topic(INPUTS),
                     **SUBSCRIBER_DEFAULTS)(on_event)
    return kafka
