"""Binds each system's inbound topic to the rules, the audit trail and the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Annotated

import structlog
from aiokafka import ConsumerRecord
from faststream import Context
from faststream.kafka import KafkaBroker, KafkaRouter
from prometheus_client import Counter

from shared.batches import BatchConsumer, Delivery, batch_subscriber
from shared.contracts import Event
from shared.contracts import events as ev
from shared.contracts.topics import ACTION_CHANGES, SYSTEM_INBOUND_PATTERN, Groups, system_feedback
from shared.db import Database, first_times
from shared.outbox import add_many_to_outbox
from shared.reference import ReferenceData

from . import persistence
from .domain import Change, Outcome, decide
from .settings import ActionsSettings

log = structlog.get_logger("actions")
OUTCOMES = Counter("actions_events_total", "Events posted by systems, by outcome", ["outcome", "code"])

def system_of(topic: str) -> str:
    """``actions.inbound.<system>``: the topic a system may write is what names the sender."""
    return topic.removeprefix("actions.inbound.")


def accepts(topic: str) -> tuple[type[Event], ...]:
    """Every system's inbound topic carries the same commands."""
    return ev.SYSTEM_COMMANDS


def feedback_for(topic: str) -> str | None:
    return system_feedback(system_of(topic)) if topic.startswith("actions.inbound.") else None


async def apply_batch(database: Database, reference: ReferenceData, deliveries: Sequence[Delivery]) -> None:
    """A batch of systems' commitments, updates, amendments, completions and withdrawals, in one unit of
    work: the events not applied before, each judged by the rules in the order it came, against the
    state its predecessors in the batch left; the audit trail, the actions and the outbox written
    together."""
    with_receipts = [(d.event, _receipt(d)) for d in deliveries]
    async with database.transaction() as conn:
        fresh = await first_times(conn, Groups.ACTIONS, [e.event_id for e, _ in with_receipts])
        todo = [(e, r) for e, r in with_receipts if e.event_id in fresh]
        current = await persistence.load_many_for_update(conn, sorted({e.subject for e, _ in todo}))
        audit: list[tuple[Event, persistence.Receipt, Outcome]] = []
        changed: dict[str, ev.ActionSnapshot] = {}
        outbox: list[tuple[str, Event]] = []
        for event, receipt in todo:
            outcome = decide(current.get(event.subject), event, receipt.sender, reference)
            audit.append((event, receipt, outcome))
            outbox.append(_announcement(event, receipt, outcome))
            if isinstance(outcome, Change):
                current[event.subject] = changed[event.subject] = outcome.snapshot
        await persistence.record_many(conn, audit)
        await persistence.save_many(conn, list(changed.values()))
        await add_many_to_outbox(conn, outbox)
    _count(audit)


def _receipt(delivery: Delivery) -> persistence.Receipt:
    raw = delivery.record
    return persistence.Receipt(system_of(raw.topic), raw.topic, raw.partition, raw.offset)


def _announcement(event: Event, receipt: persistence.Receipt, outcome: Outcome) -> tuple[str, Event]:
    """What the outbox says: the change to everyone, or the refusal to the sender alone."""
    if isinstance(outcome, Change):
        return ACTION_CHANGES.name, ev.ActionChanged.new(
            source=Groups.ACTIONS, subject=event.subject, cause=event,
            data=ev.ActionChange(snapshot=outcome.snapshot, cause_type=event.type, changed=outcome.changed,
                                 reason=outcome.reason))
    return system_feedback(receipt.sender), ev.InputRejected.new(
        source=Groups.ACTIONS, subject=event.subject, cause=event,
        data=ev.Rejection(code=outcome.code, reason=outcome.reason, rejected_event_id=event.event_id,
                          rejected_type=event.type, topic=receipt.topic, partition=receipt.partition,
                          offset=receipt.offset))


async def on_system_events(records: list[ConsumerRecord[bytes, bytes]], broker: Annotated[KafkaBroker, Context()],
                           batches: Annotated[BatchConsumer, Context()], database: Annotated[Database, Context()],
                           reference: Annotated[ReferenceData, Context()]) -> None:
    """A system posted a commitment, an update, an amendment, a completion or a withdrawal."""
    await batches.consume(broker, records, partial(apply_batch, database, reference))


def _count(audit: Sequence[tuple[Event, persistence.Receipt, Outcome]]) -> None:
    """A batch's outcomes: each refusal counted and logged alone; the accepted ones (each in the audit
    trail) counted together, in one line for the batch: at INFO a line and a counter step for each
    cost about as much as applying it."""
    accepted = 0
    for event, receipt, outcome in audit:
        if isinstance(outcome, Change):
            accepted += 1
        else:
            OUTCOMES.labels("refused", outcome.code).inc()
            log.warning("security_event" if outcome.security else "refused", type=event.type,
                        action_id=event.subject, sender=receipt.sender, code=outcome.code)
    if accepted:
        OUTCOMES.labels("accepted", "").inc(accepted)
    if audit:
        log.info("batch_applied", accepted=accepted, refused=len(audit) - accepted)


def router(settings: ActionsSettings) -> KafkaRouter:
    """Every system's inbound topic, through one pattern subscription (a new system's topic is
    picked up without a restart)."""
    kafka = KafkaRouter()
    kafka.subscriber(pattern=SYSTEM_INBOUND_PATTERN, group_id=Groups.ACTIONS,
                     **batch_subscriber(settings))(on_system_events)
    return kafka
