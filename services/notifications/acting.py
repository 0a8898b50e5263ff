"""What people do through the portal that this service acts on, each in the caller's unit of work:
a notice acknowledged by its recipient, a staff network's concern (so its lead hears the Panel's
answer), and the Panel's decisions, told to the action's leader, its system's SROs and the staff
network leads who raised a concern about it.

Each is checked against what this service knows before it is acted on: an acknowledgement only
from the notice's recipient, a decision only from the Panel's chair or a member (the directory) on
an item of the agenda it was told of, a concern only from a lead of the action's system. Anything
else is logged as a ``security_event`` and changes nothing (the accountability service, which keeps
the governance record, refuses it too and keeps the refusal).
"""

from __future__ import annotations

import asyncpg
import structlog

from shared.contracts import ContractError
from shared.contracts import events as ev
from shared.contracts.topics import NOTICES
from shared.outbox import add_to_outbox

from . import persistence as db
from .domain import SRO, action_page, channels_for, decision_addressees, may_answer, may_decide, may_raise_concern
from .items import AnswerKind, AnswerReceiptItem, EscalationItem, panel_decision_item
from .settings import NotificationsSettings

log = structlog.get_logger("notifications.acting")
SOURCE = "notifications"


async def on_acknowledgement_given(conn: asyncpg.Connection, event: ev.NoticeAcknowledgementGiven) -> None:
    """The recipient pressed the notice's button in the portal: acknowledged once, and announced as
    ``notice.acknowledged`` (reminders stop, the ladder hears). Anyone else's press changes nothing."""
    given = event.data
    recipient = await db.recipient_of(conn, given.notice_id)
    if recipient is None:
        raise ContractError("unknown_notice", f"notice {given.notice_id!r} was never sent by this service")
    if recipient != given.acting_person:
        log.warning("security_event", kind="acknowledge_someone_elses_notice", notice_id=given.notice_id,
                    person_id=given.acting_person)
        return
    notice = await db.acknowledge(conn, given.notice_id, event.occurred_at)
    if notice is None:
        return  # acknowledged already
    await add_to_outbox(conn, NOTICES.name, ev.NoticeAcknowledged.new(
        source=SOURCE, subject=notice["about"], cause=event,
        data=ev.NoticeOutcome(notice_id=notice["notice_id"], recipient=notice["recipient"], channel=notice["channel"],
                              about=notice["about"], detail="acknowledged in the portal by its recipient")))
    log.info("notice_acknowledged", notice_id=notice["notice_id"], recipient=notice["recipient"])


async def on_concern(conn: asyncpg.Connection, event: ev.ConcernRaised) -> None:
    concern = event.data
    if not may_raise_concern(await db.get_person(conn, concern.acting_person), concern.system):
        log.warning("security_event", kind="concern_without_the_role", person_id=concern.acting_person,
                    action_id=concern.action_id)
        return
    await db.remember_concern(conn, concern.action_id, concern.acting_person, event.occurred_at)


async def on_decision(conn: asyncpg.Connection, settings: NotificationsSettings,
                      event: ev.PanelDecisionRecorded) -> int:
    """One notice per person told of the decision, per channel, once (the decision is the key)."""
    d = event.data
    if not may_decide(await db.get_person(conn, d.acting_person) if d.acting_person else None):
        log.warning("security_event", kind="panel_decision_without_the_role", person_id=d.acting_person,
                    decision_id=d.decision_id)
        return 0
    if not await db.on_published_agenda(conn, d.meeting_id, d.action_id):
        log.warning("security_event", kind="panel_decision_not_on_the_agenda", person_id=d.acting_person,
                    decision_id=d.decision_id)
        return 0
    action = await db.known_action(conn, d.action_id)
    if action is None:
        log.warning("panel_decision_about_an_unknown_action", decision_id=d.decision_id, action_id=d.action_id)
        return 0
    sros, raised = await db.people_with_roles(conn, [SRO]), await db.concerns_raised_by(conn, d.action_id)
    addressees = decision_addressees(action["accountable_leader"], action["system"], sros, raised)
    known = await db.get_people(conn, [a.person_id for a in addressees])
    link = action_page(settings.portal_public_url, d.action_id)
    told_on = await db.clock_now(conn) or event.occurred_at  # the governance day, not the portal's wall clock
    added = 0
    for addressee in addressees:
        item = panel_decision_item(d, action["system"], action["title"], addressee.role, link)
        for channel in channels_for(known.get(addressee.person_id)):
            if await db.add_item(conn, kind="panel_decision", about=d.decision_id, step="panel_decision",
                                 recipient=addressee.person_id, channel=channel, content=item,
                                 issued_at=told_on):
                added += 1
    return added


Answer = (ev.ExplanationGiven | ev.RecoveryPlanSent | ev.ExtensionRequested | ev.FlagContested
          | ev.ExplanationReceived | ev.RecoveryPlanReceived)


def _answer(event: Answer) -> tuple[AnswerKind, str]:
    """What kind of answer, and who gave it."""
    match event:
        case ev.ExplanationGiven() | ev.RecoveryPlanSent() | ev.ExtensionRequested() | ev.FlagContested():
            person = event.data.acting_person
        case _:
            person = event.data.from_person
    match event:
        case ev.ExplanationGiven() | ev.ExplanationReceived():
            return "explanation", person
        case ev.RecoveryPlanSent() | ev.RecoveryPlanReceived():
            return "recovery_plan", person
        case ev.ExtensionRequested():
            return "extension_request", person
    return "flag_contest", person


async def on_answer(conn: asyncpg.Connection, event: Answer) -> int:
    """The leader (or a delegate named for them, whoever was asked in their place, or their system's SRO)
    answered: asking about the action stops at once (no more
    reminders, no silence counted), and the leader gets one receipt saying what happens next and
    when. An answer from anyone else stops nothing (accountability refuses it and records why)."""
    kind, person_id = _answer(event)
    action = await db.known_action(conn, event.data.action_id)
    if action is None:
        return 0  # never escalated: nobody was asked, so there is nothing to stop
    asked = await db.asked_about(conn, event.data.action_id)
    if not may_answer(await db.get_person(conn, person_id), action["accountable_leader"], action["system"], asked):
        log.warning("security_event", kind="answer_without_the_right", person_id=person_id,
                    action_id=event.data.action_id)
        return 0
    told = [i for i in await db.stop_asking(conn, event.data.action_id) if isinstance(i, EscalationItem)]
    leader = action["accountable_leader"]
    if not leader or not told:
        return 0
    now = await db.clock_now(conn) or event.occurred_at
    recover_by = getattr(event.data, "recover_by", None)
    item = AnswerReceiptItem(action_id=event.data.action_id, system=action["system"], title=action["title"],
                             answer=kind, answered_on=now.date(), holds_until=told[0].respond_by,
                             recover_by=recover_by)
    added = 0  # one receipt per kind of answer per day (keyed by what it says, so a replay names it the same)
    for channel in channels_for(await db.get_person(conn, leader)):
        if await db.add_item(conn, kind="answer_receipt", about=told[0].escalation_id,
                             step=f"answer:{kind}:{now.date().isoformat()}", recipient=leader, channel=channel,
                             content=item, issued_at=now):
            added += 1
    return added
