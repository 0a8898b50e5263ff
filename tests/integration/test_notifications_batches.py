"""Notifications applies a batch's escalations together (``handlers.runs``, ``on_escalations``, the
bulk statements of ``persistence.bulk``): on the real database, the notices come out as they do when
each event is applied alone, and a batch applied again changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

import pytest
from aiokafka import ConsumerRecord

from services.notifications.app import MIGRATIONS
from services.notifications.handlers import apply_batch, runs
from services.notifications.settings import NotificationsSettings
from shared.batches import Delivery
from shared.contracts import events as ev
from shared.db import Database
from tests.infra import create_database, drop_database
from tests.integration.test_notifications_service import T0, escalation, person

pytestmark = pytest.mark.integration

SETTINGS = NotificationsSettings(database_url="unused", portal_public_url="http://portal.test", group_wait_seconds=60)


def delivered(events: Sequence[ev.Event]) -> list[Delivery]:
    return [Delivery(ConsumerRecord("accountability.events", 0, offset, 0, 0, e.subject.encode(), e.to_bytes(),
                                    None, 0, 0, ()), e) for offset, e in enumerate(events)]


def a_busy_day() -> list[ev.Event]:
    """Two leaders, an SRO and the Panel's chair; escalations raised, one climbing to the Panel (the
    same action again, so a new run), one resolved, and one arriving twice."""
    t = [T0 + timedelta(minutes=m) for m in range(10)]
    raised_a3 = escalation("a3/escalation-1", "a3", "black-country", "lead-1", occurred_at=t[4])
    return [
        person("lead-1", "Lead One", systems=["black-country"]),
        person("lead-2", "Lead Two", systems=["black-country"]),
        person("sro-bc", "Sro Bc", roles=["sro"], systems=["black-country"]),
        person("chair", "Panel Chair", roles=["panel_chair"]),
        escalation("a1/escalation-1", "a1", "black-country", "lead-1", occurred_at=t[1]),
        escalation("a2/escalation-1", "a2", "black-country", "lead-2", occurred_at=t[2]),
        escalation("a1/escalation-1", "a1", "black-country", "lead-1", step=ev.LadderStep.PANEL_AGENDA,
                   cls=ev.EscalationStepped, occurred_at=t[3]),
        raised_a3,
        escalation("a2/escalation-1", "a2", "black-country", "lead-2", cls=ev.EscalationResolved,
                   occurred_at=t[5]).model_copy(update={"data": ev.EscalationStep(
                       escalation_id="a2/escalation-1", action_id="a2", system="black-country", action_title="A2",
                       step=None, previous_step=ev.LadderStep.LEADER_ASKED, recipients=["lead-2"], reasons=[])}),
        raised_a3,
        escalation("a4/escalation-1", "a4", "black-country", "lead-2", occurred_at=t[6]),
    ]


@pytest.fixture
async def two_databases(postgres_admin: str) -> AsyncIterator[tuple[Database, Database]]:
    urls = [await create_database(postgres_admin) for _ in range(2)]
    databases = [Database(url, [MIGRATIONS]) for url in urls]
    for database in databases:
        await database.open()
    try:
        yield databases[0], databases[1]
    finally:
        for database, url in zip(databases, urls, strict=True):
            await database.close()
            await drop_database(postgres_admin, url)


async def what_was_recorded(database: Database) -> dict[str, list[Any]]:
    """Every notice, item and remembered action, without the wall-clock columns."""
    async with database.pool.acquire() as conn:
        queries = {
            "notices": "SELECT notice_id, kind, about, recipient, channel, group_key, status, needs_ack, reminds,"
                       " issued_at, flush_at, ack_closed FROM notices ORDER BY notice_id",
            "items": "SELECT about, step, recipient, channel, notice_id, content FROM notice_items"
                     " ORDER BY about, step, recipient, channel",
            "actions": "SELECT * FROM actions ORDER BY action_id",
        }
        return {name: [dict(r) for r in await conn.fetch(sql)] for name, sql in queries.items()}


def test_a_batch_is_cut_into_runs_of_escalations_about_different_escalations_and_actions() -> None:
    events = a_busy_day()
    assert [len(run) for run in runs(events)] == [1, 1, 1, 1, 2, 3, 2]


async def test_a_batch_of_escalations_gives_the_same_notices_as_each_applied_alone(
        two_databases: tuple[Database, Database]) -> None:
    together, alone = two_databases
    deliveries = delivered(a_busy_day())
    await apply_batch(together, SETTINGS, deliveries)
    for delivery in deliveries:
        await apply_batch(alone, SETTINGS, [delivery])
    recorded = await what_was_recorded(together)
    assert recorded == await what_was_recorded(alone)
    assert len(recorded["actions"]) == 4
    leaders = {(n["about"], n["recipient"]) for n in recorded["notices"] if n["group_key"] is None}
    assert {("a1/escalation-1", "lead-1"), ("a2/escalation-1", "lead-2"), ("a3/escalation-1", "lead-1"),
            ("a4/escalation-1", "lead-2")} <= leaders
    assert any(n["recipient"] == "chair" for n in recorded["notices"])  # a1 reached the Panel's agenda
    assert sum(n["recipient"] == "sro-bc" for n in recorded["notices"]) == 1  # the SRO's, grouped by system


async def test_a_batch_delivered_again_changes_nothing_and_without_its_record_adds_no_notice_twice(
        two_databases: tuple[Database, Database]) -> None:
    database, _ = two_databases
    deliveries = delivered(a_busy_day())
    await apply_batch(database, SETTINGS, deliveries)
    before = await what_was_recorded(database)
    await apply_batch(database, SETTINGS, deliveries)  # a crash before the offset commit: redelivered
    assert await what_was_recorded(database) == before
    async with database.pool.acquire() as conn:  # even with the idempotency records gone
        await conn.execute("DELETE FROM processed_events")
    await apply_batch(database, SETTINGS, deliveries)
    after = await what_was_recorded(database)
    assert [n["notice_id"] for n in after["notices"]] == [n["notice_id"] for n in before["notices"]]
    assert after["items"] == before["items"]
