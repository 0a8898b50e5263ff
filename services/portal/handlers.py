"""The portal's read model, from events: what the actions service says each action is
(actions.changes), how accountability judges it (accountability.events), the notices sent to
people (notifications.events) and the governance clock's date (governance.clock).

One subscriber for the four topics; every event is applied once (``first_time``), and any
event of those topics the portal does not show is taken and left alone."""

from __future__ import annotations

from typing import Annotated

import asyncpg
import structlog
from faststream import Context
from faststream.kafka import KafkaRouter
from pydantic import Field

from shared.contracts import Event
from shared.contracts import events as ev
from shared.contracts.topics import ACCOUNTABILITY, ACTION_CHANGES, CLOCK, NOTICES, Groups
from shared.db import Database, first_time
from shared.messaging import SUBSCRIBER_DEFAULTS, decoder_by_topic

from . import persistence

log = structlog.get_logger("portal.handlers")

INPUTS: dict[str, tuple[type[Event], ...]] = {
    topic.name: topic.events for topic in (ACTION_CHANGES, ACCOUNTABILITY, NOTICES, CLOCK)
}
# Every event of those topics (tests/unit/test_portal_handlers.py keeps the two lists equal).
PortalInput = Annotated[
    ev.ActionChanged | ev.ActionStatusChanged | ev.EscalationRaised | ev.EscalationStepped | ev.EscalationResolved
    | ev.CycleOpened | ev.CycleClosed | ev.ReminderDue | ev.AgendaPublished | ev.NoticeSent | ev.NoticeFailed
    | ev.NoticeAcknowledged | ev.NoticeUnacknowledged | ev.NoticeAcknowledgementGiven | ev.ClockTicked,
    Field(discriminator="type"),
]


async def apply(conn: asyncpg.Connection, event: Event) -> None:
    """One event into the read model."""
    match event:
        case ev.ActionChanged():
            await persistence.apply_action_changed(conn, event.data.snapshot)
        case ev.ActionStatusChanged():
            await persistence.apply_status(conn, event.data, event.occurred_at)
        case ev.EscalationRaised() | ev.EscalationStepped():
            await persistence.apply_escalation(conn, event.data, resolved=False)
        case ev.EscalationResolved():
            await persistence.apply_escalation(conn, event.data, resolved=True)
        case ev.NoticeSent():
            await persistence.apply_notice_sent(conn, event.data, event.occurred_at)
        case ev.NoticeAcknowledged():
            await persistence.apply_notice_acknowledged(conn, event.data, event.occurred_at)
        case ev.ClockTicked():
            await persistence.set_today(conn, event.data.now.date())
        case ev.AgendaPublished():
            await persistence.apply_agenda(conn, event.data, event.occurred_at)
        case _:
            pass  # cycles, reminders and failed notices are not shown


async def on_event(event: PortalInput, database: Annotated[Database, Context()]) -> None:
    """An action changed, was judged or escalated, a notice went out, or the clock ticked."""
    async with database.transaction() as conn:
        if await first_time(conn, Groups.PORTAL, event.event_id):
            await apply(conn, event)


def router() -> KafkaRouter:
    kafka = KafkaRouter()
    kafka.subscriber(*INPUTS, group_id=Groups.PORTAL, decoder=decoder_by_topic(INPUTS),
                     **SUBSCRIBER_DEFAULTS)(on_event)
    return kafka
