"""The portal's read model in FastStream's in-memory broker, on a real PostgreSQL: what each
event leaves in the tables the pages read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import asyncpg
import pytest
from faststream import TestApp
from faststream.kafka import TestKafkaBroker
from faststream.kafka.testing import TestKafkaBroker as _Broker

from services.portal.app import build
from services.portal.settings import PortalSettings
from shared.contracts import events as ev
from tests.portal_rig import SESSION_SECRET, agenda_with, clock_at, notice_to, slipped_action

pytestmark = pytest.mark.handlers
TODAY = date(2026, 2, 20)


@pytest.fixture
async def portal(database_url: str) -> AsyncIterator[_Broker]:
    app = build(PortalSettings(kafka_bootstrap_servers="in-memory:9092", database_url=database_url,
                               session_secret=SESSION_SECRET))
    assert app.broker is not None
    async with TestKafkaBroker(app.broker) as broker, TestApp(app):
        yield broker


async def send(broker: _Broker, events: list[tuple[str, ev.Event]]) -> None:
    for topic, event in events:
        await broker.publish(event.to_bytes(), topic=topic, key=event.subject.encode())


async def row(database_url: str, query: str, *args: object) -> asyncpg.Record | None:
    conn = await asyncpg.connect(database_url)
    try:
        found: asyncpg.Record | None = await conn.fetchrow(query, *args)
        return found
    finally:
        await conn.close()


async def test_an_action_its_judgement_and_its_escalation_make_one_row(portal: _Broker, database_url: str):
    await send(portal, slipped_action("a-1", "black-country", "p-lead", "Fair interviews", TODAY))
    found = await row(database_url, "SELECT title, accountable_leader, status, step, respond_by, version "
                                    "FROM actions WHERE action_id = 'a-1'")
    assert found is not None
    assert dict(found) == {"title": "Fair interviews", "accountable_leader": "p-lead", "status": "off_track",
                           "step": "leader_asked", "respond_by": date(2026, 2, 28), "version": 2}


async def test_an_older_description_of_an_action_changes_nothing(portal: _Broker, database_url: str):
    events = slipped_action("a-2", "black-country", "p-lead", "Fair interviews", TODAY)
    await send(portal, events[:1])
    older = events[0][1]
    assert isinstance(older, ev.ActionChanged)
    stale = older.data.snapshot.model_copy(update={"version": 1, "title": "An old title"})
    await send(portal, [(events[0][0], ev.ActionChanged.new(source="actions", subject="a-2", data=ev.ActionChange(
        snapshot=stale, cause_type="commitment.made", changed=[])))])
    found = await row(database_url, "SELECT title, version FROM actions WHERE action_id = 'a-2'")
    assert found is not None and (found["title"], found["version"]) == ("Fair interviews", 2)


async def test_a_resolved_escalation_leaves_no_step_and_no_answer_by_date(portal: _Broker, database_url: str):
    events = slipped_action("a-3", "black-country", "p-lead", "Fair interviews", TODAY)
    await send(portal, events)
    raised = events[2][1]
    assert isinstance(raised, ev.EscalationRaised)
    await send(portal, [(events[2][0], ev.EscalationResolved.new(source="accountability", subject="a-3",
                                                                 data=raised.data))])
    found = await row(database_url, "SELECT step, respond_by FROM actions WHERE action_id = 'a-3'")
    assert found is not None and (found["step"], found["respond_by"]) == (None, None)


async def test_the_same_event_twice_is_applied_once_and_the_clock_never_goes_back(portal: _Broker, database_url: str):
    tick = clock_at(TODAY)
    await send(portal, [tick, tick, clock_at(date(2026, 2, 1))])
    found = await row(database_url, "SELECT today FROM clock")
    assert found is not None and found["today"] == TODAY


async def test_notices_and_agendas_are_kept_for_their_pages(portal: _Broker, database_url: str):
    await send(portal, [notice_to("p-lead", "a-4"), agenda_with("a-4", "black-country", "Fair interviews", TODAY)])
    notice = await row(database_url, "SELECT recipient, about FROM notices")
    agenda = await row(database_url, "SELECT meeting_id, jsonb_array_length(items) AS n FROM agendas")
    assert notice is not None and (notice["recipient"], notice["about"]) == ("p-lead", "esc-a-4")
    assert agenda is not None and agenda["n"] == 1


async def test_events_the_portal_does_not_show_are_taken_without_complaint(portal: _Broker, database_url: str):
    reminder = ev.ReminderDue.new(source="accountability", subject="2026-Q1", data=ev.Reminder(
        cycle_id="2026-Q1", system="black-country", submission_deadline=TODAY, recipients=["p-lead"]))
    await send(portal, [("accountability.events", reminder)])
    found = await row(database_url, "SELECT count(*) AS n FROM processed_events WHERE consumer = 'portal'")
    assert found is not None and found["n"] == 1
