"""Answers stop the asking, and a person hears once a day: through the real broker, the real
database and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from faststream import TestApp

from services.notifications import persistence as db
from services.notifications.app import build
from services.notifications.handlers import INPUTS
from shared.contracts import events as ev
from shared.contracts.topics import ACCOUNTABILITY, CLOCK, RESPONSES, Groups
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
from tests.kafka_tools import eventually, produce, skip_what_others_left

pytestmark = pytest.mark.integration
__all__ = ["conn", "mailbox", "settings"]  # the fixtures, shared


@pytest.fixture(autouse=True)
async def clock_from_here(kafka):
    """Each test's dates are the ones it ticks: the notifications group starts after what others left."""
    await skip_what_others_left(kafka, Groups.NOTIFICATIONS, [t.name for t in INPUTS])


def subjects(mailbox, address: str) -> list[str]:
    return [m["Subject"] for m in mailbox.to(address)]


async def test_an_answer_stops_the_reminders_and_the_leader_gets_one_receipt_with_the_date_kept(
        kafka, settings, database_url, mailbox, conn):
    u = uid()
    leader, other, action, system = f"p-leader-{u}", f"p-other-{u}", f"act-{u}", f"sys-{u}"
    address = f"{leader}@example.org"
    async with TestApp(build(settings)):  # reminders every 24 hours of clock time, two at most
        await publish_people(kafka, database_url, person(leader, "Dana Leader"), person(other, "Someone Else"))
        await produce(kafka, ACCOUNTABILITY.name, [escalation(f"esc-{u}", action, system, leader).to_bytes()],
                      key=action.encode())
        await eventually(lambda: len(mailbox.to(address)) == 1)

        async def recorded_as_sent() -> bool:  # the reminder clock starts when the delivery is recorded
            return [n["status"] for n in await db.find_notices(conn, recipient=leader)] == ["sent"]

        await eventually(recorded_as_sent)
        await produce(kafka, CLOCK.name, [tick(T0 + timedelta(hours=25)).to_bytes()])
        await eventually(lambda: len(mailbox.to(address)) == 2)

        def explanation(by: str) -> bytes:
            return ev.ExplanationGiven.new(source="portal", subject=action, data=ev.Explanation(
                action_id=action, text="Our review chair left; a new one starts in May", acting_person=by,
                acting_role="leader")).to_bytes()

        # someone who is not the leader answers first: it stops nothing
        await produce(kafka, RESPONSES.name, [explanation(other), explanation(leader)], key=action.encode())
        await eventually(lambda: len(mailbox.to(address)) == 3)
        for hours in (49, 73, 97):  # when the second reminder and the silence would have come
            await produce(kafka, CLOCK.name, [tick(T0 + timedelta(hours=hours)).to_bytes()])
        await produce(kafka, ACCOUNTABILITY.name, [escalation(f"esc2-{u}", f"act2-{u}", system, leader).to_bytes()],
                      key=f"act2-{u}".encode())  # a sentinel: everything before it has been handled
        await eventually(lambda: len(mailbox.to(address)) == 4)

    title = "Independent review of every formal disciplinary involving BME staff"
    assert subjects(mailbox, address) == [
        f"Action needs your attention: {title}", f"Reminder: Action needs your attention: {title}",
        f"Received: your explanation for {title}", f"Action needs your attention: {title}"]
    receipt = mailbox.to(address)[2].get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Reminders about this action have stopped." in receipt
    assert "By when\n  14 April 2026" in receipt
    assert "Nothing moves on the escalation ladder before that date." in receipt
    reminder = mailbox.to(address)[1].get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "We wrote to you on 1 April 2026 about this action" in reminder
    assert "The date is unchanged: 14 April 2026." in reminder


async def test_everything_a_person_is_told_on_one_governance_day_is_one_email_sent_when_the_day_ends(
        kafka, settings, database_url, mailbox, conn):
    u = uid()
    leader, sro, system = f"p-leader-{u}", f"p-sro-{u}", f"sys-{u}"
    async with TestApp(build(settings.model_copy(update={"one_email_a_day": True, "group_wait_seconds": 0}))):
        await publish_people(kafka, database_url, person(leader, "Dana Leader"),
                             person(sro, "Sam Owner", roles=["sro"], systems=[system]))
        await produce(kafka, CLOCK.name, [tick(T0).to_bytes()])
        for n in (1, 2):
            await produce(kafka, ACCOUNTABILITY.name, [escalation(
                f"esc{n}-{u}", f"act{n}-{u}", system, leader).to_bytes()], key=f"act{n}-{u}".encode())
        await produce(kafka, CLOCK.name, [tick(T0 + timedelta(minutes=30)).to_bytes()])  # the same day

        async def both_recorded() -> bool:  # the clock and the escalations travel on different topics, so
            # the tick that ends the day goes once both escalations (and the SRO's copies) are in that day
            return len(await db.find_notices(conn, recipient=leader)) == 2

        await eventually(both_recorded)
        await produce(kafka, CLOCK.name, [tick(T0 + timedelta(days=1)).to_bytes()])  # the day is over
        await eventually(lambda: mailbox.to(f"{leader}@example.org") and mailbox.to(f"{sro}@example.org"),
                         timeout=30)
        await produce(kafka, CLOCK.name, [tick(T0 + timedelta(days=1, minutes=1)).to_bytes()])

    [to_leader] = mailbox.to(f"{leader}@example.org")
    assert to_leader["Subject"] == ("Action needs your attention: Independent review of every formal disciplinary "
                                    "involving BME staff (and 1 more notice)")
    assert to_leader["X-Governance-Date"] == "2026-04-01"
    body = to_leader.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert f"http://portal.test/actions/act1-{u}" in body and f"http://portal.test/actions/act2-{u}" in body
    assert body.count("Confirm you have seen this notice") == 2  # each ask keeps its own acknowledgement
    [to_sro] = mailbox.to(f"{sro}@example.org")
    assert to_sro["Subject"] == f"2 escalated actions in {system}"
