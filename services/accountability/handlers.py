"""Binds the accountability service's five input topics to the engine.

One batch subscriber (one group member per instance) for all five, so instances join and
rebalance quickly; each action's events stay in order because they share a partition key, and a
batch keeps each partition's order (``shared.batches``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Annotated

from aiokafka import ConsumerRecord
from faststream import Context
from faststream.kafka import KafkaBroker, KafkaRouter

from shared.batches import BatchConsumer, Delivery, batch_subscriber
from shared.contracts import Event
from shared.contracts import events as ev
from shared.contracts.topics import ACTION_CHANGES, CLOCK, DIRECTORY, NOTICES, RESPONSES, Groups

from . import judging
from .engine import Engine
from .persistence import state
from .settings import AccountabilitySettings

# What each input topic carries that this service takes; anything else there is dead-lettered.
INPUTS: dict[str, tuple[type[Event], ...]] = {
    ACTION_CHANGES.name: ACTION_CHANGES.events,
    RESPONSES.name: RESPONSES.events,
    CLOCK.name: CLOCK.events,
    NOTICES.name: NOTICES.events,
    DIRECTORY.name: DIRECTORY.events,
}
CONSUMER = Groups.ACCOUNTABILITY
def accepts(topic: str) -> tuple[type[Event], ...]:
    return INPUTS[topic]


async def apply_batch(engine: Engine, deliveries: Sequence[Delivery]) -> None:
    """A batch of input events, in order (the live service and the replay both come through here).

    The events between two clock ticks are applied in one unit of work (``Database.batch``: one
    idempotency insert, the changed actions locked in id order, then the events judged together, each
    action's in order, as each would be alone: ``judging``); a tick is applied on its own, since it
    judges every action in chunks of its own transactions rather than in one over all of them."""
    run: list[Event] = []
    for delivery in deliveries:
        if isinstance(delivery.event, ev.ClockTicked):
            await _apply_run(engine, run)
            run = []
            await engine.handle(delivery.event)
        else:
            run.append(delivery.event)
    await _apply_run(engine, run)


async def _apply_run(engine: Engine, events: list[Event]) -> None:
    if not events:
        return
    async with engine.database.batch(CONSUMER, [e.event_id for e in events]) as fresh:
        changed = sorted({e.subject for e in events if isinstance(e, ev.ActionChanged) and e.event_id in fresh})
        async with engine.database.transaction() as conn:
            # The engine's lock order: the clock row (shared), then the actions, by id.
            await state.read_clock(conn, lock="FOR SHARE")
            await state.lock_actions(conn, changed)
        await judging.apply_in_order(engine, [e for e in events if e.event_id in fresh])


async def on_events(records: list[ConsumerRecord[bytes, bytes]], broker: Annotated[KafkaBroker, Context()],
                    batches: Annotated[BatchConsumer, Context()], engine: Annotated[Engine, Context()]) -> None:
    """An action changed, someone acted on one (checked first), the clock ticked, a notice's fate is
    known, or the directory changed who is who."""
    await batches.consume(broker, records, partial(apply_batch, engine))


def router(settings: AccountabilitySettings) -> KafkaRouter:
    """The five input topics, in the settings' consumer group (a new router for each app)."""
    kafka = KafkaRouter()
    kafka.subscriber(*INPUTS, group_id=settings.consumer_group, **batch_subscriber(settings))(on_events)
    return kafka
