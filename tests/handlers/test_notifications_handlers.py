"""The notifications handler in FastStream's in-memory broker, on a real PostgreSQL: what is
queued for whom. Sending (SMTP, webhooks, retries) and what only the real broker can show are
in tests/integration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from services.notifications.app import build
from services.notifications.settings import NotificationsSettings
from shared.contracts import events as ev
from shared.contracts.topics import ACCOUNTABILITY, DIRECTORY
from tests.handlers.memory import IN_MEMORY, in_memory, rows
from tests.handlers.memory import InMemoryBroker as _Broker

pytestmark = pytest.mark.handlers

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
SYSTEM = "black-country"


@pytest.fixture
async def notifications(database_url: str) -> AsyncIterator[_Broker]:
    # Nothing listens on the SMTP port: a send fails and is retried later, which these tests do not watch.
    app = build(NotificationsSettings(kafka_bootstrap_servers=IN_MEMORY, database_url=database_url,
                                      smtp_host="127.0.0.1", smtp_port=9))
    async with in_memory(app) as broker:
        yield broker


async def queued(database_url: str, about: str) -> list[tuple[str, str, str]]:
    """(recipient, channel, role) of every notice item about ``about``."""
    found = await rows(database_url, "SELECT recipient, channel, content::jsonb->>'role' AS role FROM notice_items"
                       " WHERE about = $1 ORDER BY recipient", about)
    return [(r["recipient"], r["channel"], r["role"]) for r in found]


async def publish(broker: _Broker, event: ev.Event, topic: str) -> None:
    await broker.publish(event.to_bytes(), topic=topic, key=event.subject.encode())


def person(pid: str, name: str, occurred_at: datetime = T0, **over: Any) -> ev.PersonUpdated:
    data = {"person_id": pid, "name": name, "email": f"{pid}@example.org"} | over
    return ev.PersonUpdated.new(source="admin", subject=pid, occurred_at=occurred_at, data=ev.Person(**data))


def raised(esc: str, leader: str) -> ev.EscalationRaised:
    return ev.EscalationRaised.new(source="accountability", subject="bc-ap3-1", occurred_at=T0, data=ev.EscalationStep(
        escalation_id=esc, action_id="bc-ap3-1", system=SYSTEM, action_title="Independent review",
        step=ev.LadderStep.LEADER_ASKED, previous_step=None, recipients=[leader], respond_by=date(2026, 4, 14),
        reasons=[ev.Reason(rule="no_update", status=ev.Status.AT_RISK,
                           message="No progress update has been posted this cycle")]))


async def test_an_escalation_for_a_leader_in_the_directory_queues_one_notice_for_the_leader_and_one_for_the_sro(
    notifications: _Broker, database_url: str,
):
    await publish(notifications, person("p-leader", "Dana Leader"), DIRECTORY.name)
    await publish(notifications, person("p-sro", "Sam Owner", roles=["sro"], systems=[SYSTEM]), DIRECTORY.name)
    await publish(notifications, raised("esc-1", "p-leader"), ACCOUNTABILITY.name)
    assert await queued(database_url, "esc-1") == [("p-leader", "email", "leader"), ("p-sro", "email", "sro")]
    notices = await rows(database_url, "SELECT recipient, needs_ack, group_key FROM notices ORDER BY recipient")
    assert [(n["recipient"], n["needs_ack"], n["group_key"]) for n in notices] == [
        ("p-leader", True, None), ("p-sro", False, f"system:{SYSTEM}")]


async def test_the_same_escalation_delivered_twice_or_announced_again_queues_nothing_more(
    notifications: _Broker, database_url: str,
):
    await publish(notifications, person("p-leader", "Dana Leader"), DIRECTORY.name)
    event = raised("esc-2", "p-leader")
    await publish(notifications, event, ACCOUNTABILITY.name)
    await publish(notifications, event, ACCOUNTABILITY.name)  # redelivered
    await publish(notifications, raised("esc-2", "p-leader"), ACCOUNTABILITY.name)  # the same step, a new event
    assert await queued(database_url, "esc-2") == [("p-leader", "email", "leader")]
    assert len(await rows(database_url, "SELECT 1 FROM notices WHERE about = 'esc-2'")) == 1


async def test_a_person_update_is_kept_in_the_directory_and_an_older_one_does_not_undo_it(
    notifications: _Broker, database_url: str,
):
    await publish(notifications, person("p-sro", "Sam Owner", roles=["sro"], systems=[SYSTEM],
                                        channels=["webhook", "email"], webhook_url="https://hooks.example.org/s"),
                  DIRECTORY.name)
    await publish(notifications, person("p-sro", "Old Name", occurred_at=T0.replace(year=2020)), DIRECTORY.name)
    (row,) = await rows(database_url, "SELECT * FROM people WHERE person_id = 'p-sro'")
    assert (row["name"], row["email"], row["roles"], row["systems"], row["channels"], row["webhook_url"]) == (
        "Sam Owner", "p-sro@example.org", ["sro"], [SYSTEM], ["webhook", "email"], "https://hooks.example.org/s")


async def test_a_deadline_reminder_queues_one_notice_per_leader_and_an_agenda_one_for_the_chair(
    notifications: _Broker, database_url: str,
):
    reminder = ev.ReminderDue.new(source="accountability", subject="2026-Q1:lincolnshire", data=ev.Reminder(
        cycle_id="2026-Q1", system="lincolnshire", submission_deadline=date(2026, 4, 3),
        recipients=["p-leader", "p-leader"]))
    await publish(notifications, reminder, ACCOUNTABILITY.name)
    for _ in range(2):  # announced twice: two events about one meeting
        await publish(notifications, ev.AgendaPublished.new(source="accountability", subject="mtg-1", data=ev.Agenda(
            meeting_id="mtg-1", meets_on=date(2026, 4, 20), chair="p-chair", items=[])), ACCOUNTABILITY.name)
    assert await queued(database_url, "2026-Q1:lincolnshire") == [("p-leader", "email", "leader")]
    assert await queued(database_url, "mtg-1") == [("p-chair", "email", "panel_chair")]
