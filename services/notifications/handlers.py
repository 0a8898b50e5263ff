"""Kafka handlers: each applies one event in one unit of work (idempotent-consumer record, effect,
outbox); its commit wakes the outbox relay and the dispatcher, which sends outside any transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import partial
from typing import Annotated

import asyncpg
import structlog
from aiokafka import ConsumerRecord
from faststream import Context
from faststream.kafka import KafkaBroker, KafkaRouter

from shared.batches import BatchConsumer, Delivery, batch_subscriber
from shared.contracts import ContractError, Event
from shared.contracts import events as ev
from shared.contracts.topics import ACCOUNTABILITY, CLOCK, DIRECTORY, NOTICES, RESPONSES, Groups
from shared.db import Database, first_time
from shared.outbox import add_to_outbox

from . import acting
from . import persistence as db
from .domain import (
    BOARD_SECRETARY,
    PANEL_CHAIR,
    SRO,
    board_report_page,
    channels_for,
    escalation_addressees,
    group_wait_for,
    notice_id_for,
    notice_step,
    person_from_event,
)
from .items import (
    CycleClosedItem,
    EscalationItem,
    agenda_item,
    deadline_reminder_is_news,
    deadline_reminder_item,
    escalation_item,
    reminder_of,
)
from .persistence import bulk
from .settings import NotificationsSettings

log = structlog.get_logger("notifications.handlers")
CONSUMER = Groups.NOTIFICATIONS
SOURCE = "notifications"
INPUTS = (ACCOUNTABILITY, DIRECTORY, CLOCK, NOTICES, RESPONSES)
ACCEPTS = {t.name: t.events for t in INPUTS}  # what each input topic may carry


Escalation = ev.EscalationRaised | ev.EscalationStepped | ev.EscalationResolved
ESCALATIONS = (ev.EscalationRaised, ev.EscalationStepped, ev.EscalationResolved)


async def on_escalations(conn: asyncpg.Connection, settings: NotificationsSettings,
                         events: Sequence[Escalation]) -> int:
    """Escalations, each about a different escalation and a different action (``runs``), as each
    would be applied alone, in a few statements for all of them."""
    abouts = [e.data.escalation_id for e in events]
    # the leader, even while covered
    await bulk.remember_actions(conn, [(e.data.action_id, e.data.system, e.data.action_title,
                                        next(iter(e.data.copy_to or e.data.recipients), None)) for e in events])
    # Whatever happened, earlier notices about each escalation stop waiting for an answer;
    # a new step opens its own.
    await bulk.close_acknowledgements(conn, abouts)
    roles = await db.people_with_roles(conn, [SRO, PANEL_CHAIR, BOARD_SECRETARY])
    answered = await bulk.answered(conn, abouts)
    told = []
    for event in events:
        step = event.data
        resolved = isinstance(event, ev.EscalationResolved) or step.step is None
        said = step.escalation_id in answered
        told.append((event, resolved, said, escalation_addressees(step, roles, resolved=resolved, answered=said)))
    known = await db.get_people(conn, sorted({a.person_id for *_, addressees in told for a in addressees}))
    items = [bulk.NewItem(kind="escalation", about=event.data.escalation_id,
                          step=notice_step(event.data, resolved=resolved), recipient=addressee.person_id,
                          channel=channel, issued_at=event.occurred_at, group_key=addressee.group_key,
                          group_wait=group_wait_for(addressee, event.data, event.occurred_at,
                                                     timedelta(seconds=settings.group_wait_seconds)),
                           needs_ack=addressee.needs_ack,
                          content=escalation_item(event.data, addressee.role, resolved=resolved, answered=said))
             for event, resolved, said, addressees in told for addressee in addressees
             for channel in channels_for(known.get(addressee.person_id))]
    added = await bulk.add_items(conn, [i for i in items if i.group_key is None])
    for item in (i for i in items if i.group_key is not None):  # groups joined in the order the events came
        if await db.add_item(conn, kind=item.kind, about=item.about, step=item.step, recipient=item.recipient,
                             channel=item.channel, content=item.content, issued_at=item.issued_at,
                             group_key=item.group_key, group_wait=item.group_wait, needs_ack=item.needs_ack):
            added += 1
    return added


def runs(events: Sequence[Event]) -> list[list[Event]]:
    """A batch's events in order, cut where ``on_escalations`` may take several at once: a run of
    escalations, each about an escalation and an action no earlier one in the run is about; every
    other event alone."""
    out: list[list[Event]] = []
    seen: set[str] = set()
    for event in events:
        if isinstance(event, ESCALATIONS) and out and isinstance(out[-1][0], ESCALATIONS):
            keys = {event.data.escalation_id, "action:" + event.data.action_id}
            if not keys & seen:
                out[-1].append(event)
                seen |= keys
                continue
        out.append([event])
        seen = {event.data.escalation_id, "action:" + event.data.action_id} if isinstance(event, ESCALATIONS) else set()
    return out


async def on_deadline_reminder(conn: asyncpg.Connection, event: ev.ReminderDue) -> int:
    reminder = event.data
    about = f"{reminder.cycle_id}:{reminder.system}"
    # One reminder per system per day, even if accountability announces it twice.
    step = f"deadline_reminder:{event.occurred_at.date().isoformat()}"
    known = await db.get_people(conn, list(reminder.recipients))
    added = 0
    for person_id in dict.fromkeys(reminder.recipients):
        on_agenda = await db.on_the_panels_agenda(conn, person_id, reminder.system)
        reminded = await db.reminded_of_deadline(conn, about, person_id, step)
        item = deadline_reminder_item(reminder, on_agenda)
        for channel in channels_for(known.get(person_id)):
            notice = await db.add_item(conn, kind="deadline_reminder", about=about, step=step, recipient=person_id,
                                       channel=channel, content=item, issued_at=event.occurred_at)
            if notice and not deadline_reminder_is_news(item, reminded):
                await db.fold_notice(conn, notice, "the deadline was told in an earlier reminder, and the "
                                     "leader's action is on the Panel's agenda with a later date")
            added += bool(notice)
    return added


async def on_agenda(conn: asyncpg.Connection, event: ev.AgendaPublished) -> int:
    """One agenda notice per meeting for the chair, however many actions it lists: each part of the
    agenda is kept, and the notice is composed once every part is in."""
    agenda = event.data
    items = await db.add_agenda_part(conn, agenda.meeting_id, agenda.part, agenda.parts,
                                     [i.model_dump(mode="json") for i in agenda.items])
    if items is None:
        return 0
    whole = agenda.model_copy(update={"items": [ev.AgendaItem.model_validate(i) for i in items]})
    person = await db.get_person(conn, agenda.chair)
    added = 0
    for channel in channels_for(person):
        carrier = notice_id_for(agenda.meeting_id, "agenda", agenda.chair, channel)
        # the chair's "added to the agenda" notices: the agenda lists each, so they are not sent apart
        since = await db.fold_into(conn, agenda.chair, channel, "panel_agenda",
                                  {i.action_id for i in whole.items}, carrier)
        if await db.add_item(conn, kind="agenda", about=agenda.meeting_id, step="agenda", recipient=agenda.chair,
                             channel=channel, content=agenda_item(whole, since),
                             issued_at=event.occurred_at):
            added += 1
    return added


async def on_cycle_closed(conn: asyncpg.Connection, settings: NotificationsSettings, event: ev.CycleClosed) -> int:
    """The cycle's close: each Board secretary is sent the way to its report for the Board."""
    window = event.data
    item = CycleClosedItem(cycle_id=window.cycle_id, closes_on=window.closes_on,
                           report_url=board_report_page(settings.portal_public_url, window.cycle_id))
    added = 0
    for secretary in await db.people_with_roles(conn, [BOARD_SECRETARY]):
        for channel in channels_for(secretary):
            if await db.add_item(conn, kind="cycle_closed", about=window.cycle_id, step="cycle_closed",
                                 recipient=secretary.person_id, channel=channel, content=item,
                                 issued_at=event.occurred_at):
                added += 1
    return added


async def on_tick(conn: asyncpg.Connection, settings: NotificationsSettings, event: ev.ClockTicked) -> None:
    """Clock time moves on: groups whose wait is over are released, unacknowledged notices are
    reminded, and those past their grace are reported back so the ladder can climb. Grace and
    reminders count from delivery (``start_ack_clock``): a notice not yet delivered, or refused for
    good, is never reported as unacknowledged."""
    now = event.data.now
    await db.move_clock(conn, now)
    await db.release_groups(conn, now)
    interval = timedelta(hours=settings.reminder_interval_hours)
    for original in await db.reminders_due(conn, now, interval, settings.reminders_per_step):
        step = await db.first_step_of(conn, original["notice_id"])
        items = await db.items_of(conn, original["notice_id"])
        number: int = original["reminders_sent"]
        if not items or not isinstance(items[0], EscalationItem):  # only a leader's escalation waits for an ack
            log.warning("reminder_without_escalation", notice_id=original["notice_id"])
            continue
        await db.add_item(
            conn, kind="ack_reminder", about=original["about"], step=f"{step}:reminder:{number}",
            recipient=original["recipient"], channel=original["channel"],
            content=reminder_of(items[0], number, original["issued_at"].date()),
            issued_at=now, reminds=original["notice_id"],
        )
    for silent in await db.silence_due(conn, now):
        await add_to_outbox(conn, NOTICES.name, ev.NoticeUnacknowledged.new(
            source=SOURCE, subject=silent["about"], cause=event,
            data=ev.NoticeOutcome(notice_id=silent["notice_id"], recipient=silent["recipient"],
                                  channel=silent["channel"], about=silent["about"],
                                  detail=f"not acknowledged by {silent['ack_due_at'].isoformat()}")))
        log.info("notice_unacknowledged", notice_id=silent["notice_id"], recipient=silent["recipient"])


async def on_acknowledged(conn: asyncpg.Connection, event: ev.NoticeAcknowledged) -> None:
    try:
        acknowledged = await db.acknowledge(conn, event.data.notice_id, event.occurred_at)
    except LookupError:
        raise ContractError("unknown_notice", f"notice {event.data.notice_id!r} was never sent by this service") \
            from None
    if acknowledged is not None:
        log.info("notice_acknowledged", notice_id=acknowledged["notice_id"], recipient=acknowledged["recipient"])


async def apply(database: Database, settings: NotificationsSettings, event: Event) -> None:
    """One event, one unit of work: the idempotent-consumer record and every effect commit
    together; the commit wakes the outbox relay and the dispatcher."""
    async with database.transaction() as conn:
        if not await first_time(conn, CONSUMER, event.event_id):
            return
        match event:
            case ev.EscalationRaised() | ev.EscalationStepped() | ev.EscalationResolved():
                await on_escalations(conn, settings, [event])
            case ev.ReminderDue():
                await on_deadline_reminder(conn, event)
            case ev.AgendaPublished():
                await on_agenda(conn, event)
            case ev.CycleClosed():
                await on_cycle_closed(conn, settings, event)
            case ev.ClockTicked():
                await on_tick(conn, settings, event)
            case ev.NoticeAcknowledged():
                await on_acknowledged(conn, event)
            case ev.NoticeAcknowledgementGiven():
                await acting.on_acknowledgement_given(conn, event)
            case ev.PanelDecisionRecorded():
                await acting.on_decision(conn, settings, event)
            case ev.ConcernRaised():
                await acting.on_concern(conn, event)
            case (ev.ExplanationGiven() | ev.RecoveryPlanSent() | ev.ExtensionRequested() | ev.FlagContested()
                  | ev.ExplanationReceived() | ev.RecoveryPlanReceived()):
                await acting.on_answer(conn, event)
            case ev.PersonUpdated():
                await db.upsert_person(conn, person_from_event(event.data), event.occurred_at)
            case _:
                return  # status changes, cycle windows and our own outcomes need no notice


async def apply_batch(database: Database, settings: NotificationsSettings, deliveries: Sequence[Delivery]) -> None:
    """A batch in one unit of work (``Database.batch``: one idempotency insert for all of it), in the
    order it came: each run of escalations together (``on_escalations``), every other event through
    ``apply``, as it would be alone."""
    async with database.batch(CONSUMER, [d.event.event_id for d in deliveries]) as fresh:
        todo = []
        for delivery in deliveries:
            if delivery.event.event_id in fresh:
                fresh.discard(delivery.event.event_id)  # a copy later in the batch is not applied again
                todo.append(delivery.event)
        for run in runs(todo):
            if len(run) > 1:  # escalations (the bulk of a busy day): their notices in a few statements
                async with database.transaction() as conn:
                    await on_escalations(conn, settings, [e for e in run if isinstance(e, ESCALATIONS)])
            else:
                await apply(database, settings, run[0])


def accepts(topic: str) -> tuple[type[Event], ...]:
    return ACCEPTS[topic]


async def on_events(records: list[ConsumerRecord[bytes, bytes]], broker: Annotated[KafkaBroker, Context()],
                    batches: Annotated[BatchConsumer, Context()], database: Annotated[Database, Context()],
                    settings: Annotated[NotificationsSettings, Context()]) -> None:
    """An escalation, a reminder, an agenda, a clock tick, an acknowledgement, a directory change, a
    Panel decision or a staff network's concern."""
    await batches.consume(broker, records, partial(apply_batch, database, settings))


def router(settings: NotificationsSettings) -> KafkaRouter:
    """One batch consumer for the five inputs: one group member per instance, not five, so instances
    join and rebalance quickly; per-partition order is unchanged."""
    kafka = KafkaRouter()
    kafka.subscriber(*ACCEPTS, group_id=CONSUMER, **batch_subscriber(settings))(on_events)
    return kafka
