"""Fewer e-mails, nothing lost (issue 11): a delegate's answer stops the asking, a leader is reminded
once per escalation, a second deadline reminder is not sent to a leader already on the Panel's agenda,
and the chair's "added to the agenda" notices travel in the agenda. Through the real broker, the real
database and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from faststream import TestApp

from services.notifications import persistence as db
from services.notifications.app import build
from shared.contracts import events as ev
from shared.contracts.topics import ACCOUNTABILITY, CLOCK, RESPONSES
from tests.integration.test_notifications_answers import clock_from_here, subjects
from tests.integration.test_notifications_service import (
    T0,
    conn,
    escalation,
    mailbox,
    person,
    publish_people,
    settings,
    tick,
    uid,
)
from tests.kafka_tools import eventually, produce

pytestmark = pytest.mark.integration
__all__ = ["clock_from_here", "conn", "mailbox", "settings"]  # the fixtures, shared
TITLE = "Independent review of every formal disciplinary involving BME staff"


async def test_an_answer_from_the_leaders_delegate_stops_the_reminders_and_the_leader_gets_the_receipt(
        kafka, settings, database_url, mailbox, conn):
    u = uid()
    leader, delegate, action, system = f"p-leader-{u}", f"p-delegate-{u}", f"act-{u}", f"sys-{u}"
    address = f"{leader}@example.org"
    async with TestApp(build(settings)):  # reminders every 24 hours of clock time
        await publish_people(kafka, database_url, person(leader, "Dana Leader"),
                             person(delegate, "Del Egate", roles=["delegate"], delegate_for=[leader]))
        await produce(kafka, ACCOUNTABILITY.name, [escalation(f"esc-{u}", action, system, leader).to_bytes()],
                      key=action.encode())
        await eventually(lambda: len(mailbox.to(address)) == 1)

        async def recorded_as_sent() -> bool:
            return [n["status"] for n in await db.find_notices(conn, recipient=leader)] == ["sent"]

        await eventually(recorded_as_sent)
        await produce(kafka, RESPONSES.name, [ev.RecoveryPlanSent.new(source="portal", subject=action, data=ev.
                      RecoveryPlan(action_id=action, summary="Back on plan by May", recover_by=date(2026, 5, 1),
                                   steps=[ev.RecoveryStep(what="A new review chair", by=date(2026, 5, 1))],
                                   acting_person=delegate, acting_role="delegate")).to_bytes()], key=action.encode())
        await eventually(lambda: len(mailbox.to(address)) == 2)
        for hours in (25, 49, 73):  # when the reminders would have come
            await produce(kafka, CLOCK.name, [tick(T0 + timedelta(hours=hours)).to_bytes()])
        await produce(kafka, ACCOUNTABILITY.name, [escalation(f"esc2-{u}", f"act2-{u}", system, leader).to_bytes()],
                      key=f"act2-{u}".encode())  # a sentinel: everything before it has been handled
        await eventually(lambda: len(mailbox.to(address)) == 3)
    assert subjects(mailbox, address) == [f"Action needs your attention: {TITLE}",
                                          f"Received: your recovery plan for {TITLE}",
                                          f"Action needs your attention: {TITLE}"]


async def test_a_leader_reminded_at_the_first_rung_is_not_reminded_again_at_the_panels(
        kafka, settings, database_url, mailbox, conn):
    u = uid()
    leader, action, system, esc = f"p-leader-{u}", f"act-{u}", f"sys-{u}", f"esc-{u}"
    address = f"{leader}@example.org"
    async with TestApp(build(settings)):
        await publish_people(kafka, database_url, person(leader, "Dana Leader"))
        await produce(kafka, ACCOUNTABILITY.name, [escalation(esc, action, system, leader).to_bytes()],
                      key=action.encode())
        await eventually(lambda: len(mailbox.to(address)) == 1)
        await eventually(lambda: conn.fetchval("SELECT count(*) = 1 FROM notices WHERE recipient = $1 AND "
                                               "status = 'sent'", leader))
        await produce(kafka, CLOCK.name, [tick(T0 + timedelta(hours=25)).to_bytes()])
        await eventually(lambda: len(mailbox.to(address)) == 2)  # the first rung's reminder
        await produce(kafka, ACCOUNTABILITY.name, [escalation(
            esc, action, system, leader, ev.LadderStep.PANEL_AGENDA, cls=ev.EscalationStepped,
            occurred_at=T0 + timedelta(hours=30)).to_bytes()], key=action.encode())
        await eventually(lambda: len(mailbox.to(address)) == 3)  # the Panel's rung, asking again with its date
        await eventually(lambda: conn.fetchval("SELECT count(*) = 3 FROM notices WHERE recipient = $1 AND "
                                               "status = 'sent'", leader))
        for hours in (56, 80, 104):  # when the Panel rung's reminders would have come
            await produce(kafka, CLOCK.name, [tick(T0 + timedelta(hours=hours)).to_bytes()])
        await produce(kafka, ACCOUNTABILITY.name, [escalation(f"esc2-{u}", f"act2-{u}", system, leader).to_bytes()],
                      key=f"act2-{u}".encode())  # a sentinel
        await eventually(lambda: len(mailbox.to(address)) == 4)
    assert subjects(mailbox, address) == [f"Action needs your attention: {TITLE}",
                                          f"Reminder: Action needs your attention: {TITLE}",
                                          f"Action needs your attention: {TITLE}",
                                          f"Action needs your attention: {TITLE}"]


def deadline(u: str, leader: str, on: int) -> bytes:
    return ev.ReminderDue.new(source="accountability", subject=f"2026-Q2:sys-{u}",
                              occurred_at=T0 + timedelta(days=on), data=ev.Reminder(
                                  cycle_id="2026-Q2", system=f"sys-{u}", submission_deadline=date(2026, 4, 30),
                                  recipients=[leader])).to_bytes()


async def test_a_leader_on_the_panels_agenda_is_reminded_of_the_deadline_once_told_which_action_is_there(
        kafka, settings, database_url, mailbox, conn):
    u = uid()
    leader, action, system, esc = f"p-leader-{u}", f"act-{u}", f"sys-{u}", f"esc-{u}"
    address = f"{leader}@example.org"
    async with TestApp(build(settings)):
        await publish_people(kafka, database_url, person(leader, "Dana Leader"))
        await produce(kafka, ACCOUNTABILITY.name, [escalation(
            esc, action, system, leader, ev.LadderStep.PANEL_AGENDA, cls=ev.EscalationStepped).to_bytes()],
            key=action.encode())
        await eventually(lambda: len(mailbox.to(address)) == 1)
        await produce(kafka, ACCOUNTABILITY.name, [deadline(u, leader, 2)], key=action.encode())
        await eventually(lambda: len(mailbox.to(address)) == 2)
        await eventually(lambda: conn.fetchval("SELECT count(*) = 2 FROM notices WHERE recipient = $1 AND "
                                               "status = 'sent'", leader))
        await produce(kafka, ACCOUNTABILITY.name, [deadline(u, leader, 12)], key=action.encode())
        await eventually(lambda: conn.fetchval("SELECT count(*) = 1 FROM notices WHERE recipient = $1 AND "
                                               "status = 'folded'", leader))
        [folded] = await db.find_notices(conn, recipient=leader, status="folded")
        log = await db.delivery_log(conn, folded["notice_id"])
    assert subjects(mailbox, address) == [f"Action needs your attention: {TITLE}",
                                          "Reminder: progress for April to June 2026 is due by 30 April 2026"]
    text = mailbox.to(address)[1].get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert (f"Already on the Race, Equality and Inclusion Panel's agenda: {TITLE}; the Panel needs your answer "
            "by 14 April 2026.") in text
    assert [e["outcome"] for e in log] == ["folded"]


async def test_the_chairs_added_to_the_agenda_notices_travel_in_the_agenda_saying_since_when(
        kafka, settings, database_url, mailbox, conn):
    u = uid()
    system, chair, leader = f"sys-{u}", f"p-chair-{u}", f"p-leader-{u}"
    steps = [escalation(f"esc{i}-{u}", f"act{i}-{u}", system, leader, ev.LadderStep.PANEL_AGENDA,
                        cls=ev.EscalationStepped, occurred_at=T0 + timedelta(days=2 * i)) for i in range(2)]
    agenda = ev.AgendaPublished.new(source="accountability", subject=f"mtg-{u}", data=ev.Agenda(
        meeting_id=f"mtg-{u}", meets_on=date(2026, 4, 20), chair=chair, items=[
            ev.AgendaItem(action_id=f"act{i}-{u}", system=system, title=f"Action {i}", status=ev.Status.OFF_TRACK,
                          reasons=[]) for i in range(2)]))
    async with TestApp(build(settings)):
        await publish_people(kafka, database_url, person(leader, "A Leader"),
                             person(chair, "Pat Chair", roles=["panel_chair"]))
        await produce(kafka, ACCOUNTABILITY.name, [s.to_bytes() for s in steps])
        await eventually(lambda: conn.fetchval("SELECT count(*) = 2 FROM notice_items WHERE recipient = $1", chair))
        await produce(kafka, CLOCK.name, [tick(T0 + timedelta(days=3)).to_bytes()])  # past the usual group wait
        await produce(kafka, ACCOUNTABILITY.name, [agenda.to_bytes()])
        await eventually(lambda: mailbox.to(f"{chair}@example.org"))
        await produce(kafka, CLOCK.name, [tick(T0 + timedelta(days=20)).to_bytes()])  # past the agenda's eve
        await produce(kafka, ACCOUNTABILITY.name, [escalation(f"esc9-{u}", f"act9-{u}", system, leader).to_bytes()])
        await eventually(lambda: len(mailbox.to(f"{leader}@example.org")) == 3)  # a sentinel
        folded = await db.find_notices(conn, recipient=chair, status="folded")
    assert subjects(mailbox, f"{chair}@example.org") == ["The Panel's agenda for 20 April 2026: 2 slipping actions"]
    body = mailbox.to(f"{chair}@example.org")[0].get_body(("plain",)).get_content()
    assert body.count("On the agenda since 1 April 2026.") == 1  # each on the day it was added
    assert body.count("On the agenda since 3 April 2026.") == 1
    assert len(folded) == 1  # kept, with both items, as carried by the agenda
