"""Binds each system's inbound topic to the rules, the audit trail and the outbox."""

from __future__ import annotations

from typing import Annotated

import structlog
from faststream import Context
from faststream.kafka import KafkaRouter
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import Counter
from pydantic import Field

from shared.contracts import Event
from shared.contracts import events as ev
from shared.contracts.topics import ACTION_CHANGES, SYSTEM_INBOUND_PATTERN, Groups, system_feedback
from shared.db import Database, first_time
from shared.messaging import SUBSCRIBER_DEFAULTS, event_decoder, record_of
from shared.outbox import add_to_outbox
from shared.reference import ReferenceData

from . import persistence
from .domain import Change, Outcome, decide
from .settings import ActionsSettings

log = structlog.get_logger("actions")
OUTCOMES = Counter("actions_events_total", "Events posted by systems, by outcome", ["outcome", "code"])

SystemEvent = Annotated[
    ev.CommitmentMade | ev.CommitmentAmended | ev.ProgressReported | ev.MilestoneReached
    | ev.MilestoneMissed | ev.MeasureRecorded | ev.ActionCompleted | ev.ActionWithdrawn,
    Field(discriminator="type"),
]


def system_of(topic: str) -> str:
    """``actions.inbound.<system>``: the topic a system may write is what names the sender."""
    return topic.removeprefix("actions.inbound.")


def feedback_for(topic: str) -> str | None:
    return system_feedback(system_of(topic)) if topic.startswith("actions.inbound.") else None


async def on_system_event(event: SystemEvent, message: KafkaMessage,
                          database: Annotated[Database, Context()],
                          reference: Annotated[ReferenceData, Context()]) -> None:
    """A system posted a commitment, an update, an amendment, a completion or a withdrawal."""
    raw = record_of(message)
    receipt = persistence.Receipt(system_of(raw.topic), raw.topic, raw.partition, raw.offset)
    async with database.transaction() as conn:
        if not await first_time(conn, Groups.ACTIONS, event.event_id):
            return
        current = await persistence.load_for_update(conn, event.subject)
        outcome = decide(current, event, receipt.sender, reference)
        await persistence.record(conn, event, receipt, outcome)
        if isinstance(outcome, Change):
            await persistence.save(conn, outcome.snapshot)
            await add_to_outbox(conn, ACTION_CHANGES.name, ev.ActionChanged.new(
                source=Groups.ACTIONS, subject=event.subject, cause=event,
                data=ev.ActionChange(snapshot=outcome.snapshot, cause_type=event.type, changed=outcome.changed,
                                    reason=outcome.reason),
            ))
        else:
            await add_to_outbox(conn, system_feedback(receipt.sender), ev.InputRejected.new(
                source=Groups.ACTIONS, subject=event.subject, cause=event,
                data=ev.Rejection(code=outcome.code, reason=outcome.reason, rejected_event_id=event.event_id,
                                  rejected_type=event.type, topic=raw.topic, partition=raw.partition,
                                  offset=raw.offset),
            ))
    _count(event, receipt, outcome)


def _count(event: Event, receipt: persistence.Receipt, outcome: Outcome) -> None:
    if isinstance(outcome, Change):
        OUTCOMES.labels("accepted", "").inc()
        log.info("accepted", type=event.type, action_id=event.subject, version=outcome.snapshot.version)
    else:
        OUTCOMES.labels("refused", outcome.code).inc()
        log.warning("security_event" if outcome.security else "refused", type=event.type,
                    action_id=event.subject, sender=receipt.sender, code=outcome.code)


def router(settings: ActionsSettings) -> KafkaRouter:
    """Every system's inbound topic, through one pattern subscription (a new system's topic is
    picked up without a restart)."""
    kafka = KafkaRouter()
    kafka.subscriber(pattern=SYSTEM_INBOUND_PATTERN, group_id=Groups.ACTIONS,
                     decoder=event_decoder(*ev.SYSTEM_COMMANDS), **SUBSCRIBER_DEFAULTS)(on_system_event)
    return kafka
