"""The accountability handler in FastStream's in-memory broker, on a real PostgreSQL: fast, and
no Kafka. Time is the clock ticks each test publishes. What only the real broker can show
(consumer groups, redelivery, two instances, the replay of the log) is in tests/integration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import pytest

from services.accountability.app import build
from services.accountability.persistence import reading
from services.accountability.settings import AccountabilitySettings
from shared.contracts import Event, parse_event
from shared.contracts import events as ev
from shared.contracts.topics import ACTION_CHANGES, CLOCK, RESPONSES
from tests.handlers.memory import IN_MEMORY, in_memory, rows
from tests.handlers.memory import InMemoryBroker as _Broker
from tests.unit.test_accountability_rules import snapshot

pytestmark = pytest.mark.handlers

BARE = {"trajectory": [], "measure": None, "last_update_on": date(2026, 1, 5)}


@pytest.fixture
async def accountability(database_url: str) -> AsyncIterator[_Broker]:
    # these specifications move the clock on weeks at a time, further than production's default step
    async with in_memory(build(AccountabilitySettings(kafka_bootstrap_servers=IN_MEMORY, database_url=database_url,
                                                      clock_max_step_days=92))) as broker:
        yield broker


async def emitted(database_url: str, action_id: str) -> list[str]:
    """The types of the events the service queued about one action, in order."""
    found = await rows(database_url, "SELECT payload FROM outbox WHERE key = $1 ORDER BY id", action_id)
    return [parse_event(r["payload"]).type for r in found]


async def step(database_url: str, action_id: str) -> str | None:
    found = await rows(database_url, "SELECT step FROM escalations WHERE action_id = $1 AND resolved_on IS NULL",
                       action_id)
    return found[0]["step"] if found else None


async def send(broker: _Broker, topic: str, event: Event) -> Event:
    await broker.publish(event.to_bytes(), topic=topic, key=event.subject.encode())
    return event


async def tick(broker: _Broker, d: date) -> Event:
    now = datetime(d.year, d.month, d.day, 12, tzinfo=UTC)
    return await send(broker, CLOCK.name, ev.ClockTicked.new(source="clock", subject="clock", data=ev.Tick(now=now)))


async def post(broker: _Broker, snap: ev.ActionSnapshot) -> None:
    change = ev.ActionChange(snapshot=snap, cause_type="commitment.made", changed=[])
    await send(broker, ACTION_CHANGES.name, ev.ActionChanged.new(source="actions", subject=snap.action_id,
                                                                 data=change))


def with_milestone(action_id: str, due: date) -> ev.ActionSnapshot:
    return snapshot(action_id=action_id, **BARE, milestones=[
        ev.MilestoneState(milestone_id="m1", title="Review panel in place", due=due)])


async def test_an_action_that_misses_a_milestone_is_judged_off_track_and_an_escalation_is_raised(
    accountability: _Broker, database_url: str,
):
    await tick(accountability, date(2026, 2, 1))
    await post(accountability, with_milestone("h-miss", date(2026, 2, 15)))
    await tick(accountability, date(2026, 2, 16))

    [action] = await rows(database_url, "SELECT status, reasons FROM actions WHERE action_id = 'h-miss'")
    assert action["status"] == "off_track" and '"milestone_passed"' in action["reasons"]
    assert await step(database_url, "h-miss") == "leader_asked"
    assert await emitted(database_url, "h-miss") == ["action.status_changed", "action.status_changed",
                                                     "escalation.raised"]


async def test_a_clock_tick_delivered_twice_is_applied_once(accountability: _Broker, database_url: str):
    await tick(accountability, date(2026, 2, 1))
    await post(accountability, with_milestone("h-twice", date(2026, 2, 15)))
    passing = await tick(accountability, date(2026, 2, 16))
    await send(accountability, CLOCK.name, passing)  # the same tick again

    assert await emitted(database_url, "h-twice") == ["action.status_changed", "action.status_changed",
                                                      "escalation.raised"]
    applied = await rows(database_url, "SELECT 1 FROM processed_events WHERE event_id = $1", passing.event_id)
    assert len(applied) == 1


async def test_a_leaders_recovery_plan_pauses_the_climb(accountability: _Broker, database_url: str):
    await tick(accountability, date(2026, 2, 1))
    for name in ("h-planned", "h-silent"):
        await post(accountability, with_milestone(name, date(2026, 2, 15)))
    await tick(accountability, date(2026, 2, 16))  # both leaders asked, with 14 days to answer
    plan = ev.LeaderResponse(action_id="h-planned", from_person="p-leader-1", text="Panel in place by April",
                             recover_by=date(2026, 4, 1))
    await send(accountability, RESPONSES.name, ev.RecoveryPlanReceived.new(source="leaders", subject="h-planned",
                                                                          data=plan))
    await tick(accountability, date(2026, 3, 3))  # the 14 days are over: only the silent one climbs
    assert [await step(database_url, n) for n in ("h-planned", "h-silent")] == ["leader_asked", "panel_agenda"]
    await tick(accountability, date(2026, 3, 16))  # the plan holds it 28 days from its arrival (16 February)
    assert await step(database_url, "h-planned") == "leader_asked"
    await tick(accountability, date(2026, 3, 17))
    assert await step(database_url, "h-planned") == "panel_agenda"


class Counting:
    """A connection that counts the queries made through it."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.queries = 0

    def __getattr__(self, name: str) -> Any:
        if name in {"fetch", "fetchrow", "fetchval", "execute"}:
            self.queries += 1
        return getattr(self.conn, name)


async def test_the_agenda_and_the_cycles_picture_take_as_many_queries_for_many_actions_as_for_one(
    accountability: _Broker, database_url: str, reference: Any,
):
    await tick(accountability, date(2026, 2, 1))
    for n in range(4):
        await post(accountability, with_milestone(f"h-agenda-{n}", date(2026, 2, 15)))
    await tick(accountability, date(2026, 2, 16))
    await tick(accountability, date(2026, 3, 3))  # all four on the Panel's agenda
    conn = await asyncpg.connect(database_url)
    try:
        agenda, summary = Counting(conn), Counting(conn)
        items = await reading.agenda_items(agenda)
        picture = await reading.cycle_summary(summary, "2026-Q1", reference, final=False)
    finally:
        await conn.close()
    assert [i["action_id"] for i in items] == [f"h-agenda-{n}" for n in range(4)]
    assert all(len(i["history"]) == 4 for i in items)  # two statuses, raised, stepped
    assert picture["totals"]["actions"] == 4
    assert (agenda.queries, summary.queries) == (10, 17)  # 16th: the good practice endorsed; 17th: what updates said
