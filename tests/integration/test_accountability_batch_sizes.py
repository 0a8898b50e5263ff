"""Judging a batch at once changes nothing but the speed, against the real database: one log applied one
event per batch, in batches of 7 and in batches of 500 gives the same state in every table and the same
events in the outbox (same ids, same bytes, the same order for each action), whatever the batch
boundaries, including an action that goes off track and back within one batch."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import asyncpg
import pytest
from aiokafka import ConsumerRecord

from services.accountability.app import MIGRATIONS
from services.accountability.engine import Engine
from services.accountability.handlers import apply_batch
from services.accountability.replay import state_of
from services.accountability.settings import AccountabilitySettings
from shared.batches import Delivery
from shared.contracts import Event
from shared.contracts import events as ev
from shared.db import Database
from shared.reference import ReferenceData
from tests.infra import create_database
from tests.integration.test_accountability_service import BARE, milestone, noon
from tests.unit.test_accountability_rules import snapshot

pytestmark = pytest.mark.integration

PLAN = BARE | {"trajectory": [ev.TrajectoryPoint(by=date(2026, 6, 30), percent=50)]}


class Log:
    """The input log of a few weeks of a cycle, built once and applied as it is to every database."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.actions: dict[str, ev.ActionSnapshot] = {}

    def tick(self, d: date) -> None:
        self.events.append(ev.ClockTicked.new(source="clock", subject="clock", data=ev.Tick(now=noon(d))))

    def post(self, action_id: str, *, cause: str = "progress.reported", reason: str | None = None,
             **changes: Any) -> ev.ActionSnapshot:
        before = self.actions.get(action_id)
        snap = (snapshot(**({"action_id": action_id, "last_update_on": date(2026, 1, 20)} | changes)) if before is None
                else before.model_copy(update=changes | {"version": before.version + 1}))
        self.actions[action_id] = snap
        self.events.append(self.changed(snap, cause, reason))
        return snap

    @staticmethod
    def changed(snap: ev.ActionSnapshot, cause: str = "progress.reported", reason: str | None = None) -> Event:
        return ev.ActionChanged.new(source="actions", subject=snap.action_id, data=ev.ActionChange(
            snapshot=snap, cause_type=cause, changed=[], reason=reason))

    def add(self, event: Event) -> None:
        self.events.append(event)


def said(stopping: str) -> ev.Narrative:
    return ev.Narrative(working="The review panel meets", stopping_progress=stopping, not_working="")


def a_few_weeks() -> Log:
    log = Log()
    log.tick(date(2026, 2, 1))
    steady = [f"steady-{i}" for i in range(12)]
    for a in steady:
        log.post(a, **PLAN, percent_complete=10)
    for a, percent in (("wobbly", 8), ("climber", 5), ("answered", 8)):
        log.post(a, **PLAN | {"milestones": [milestone(date(2026, 2, 15))]}, percent_complete=percent)
    # Off track and back within one batch: both changes are announced.
    log.post("wobbly", milestones=[milestone(date(2026, 2, 15), "missed")], narrative=said("No chair"))
    log.post("steady-3", percent_complete=12, narrative=said("Nothing"))
    old = log.actions["wobbly"]
    log.post("wobbly", milestones=[milestone(date(2026, 2, 15), "reached", date(2026, 1, 30))],
             narrative=said("No chair"))
    log.add(log.changed(old))  # a stale snapshot, delivered late: ignored
    log.post("steady-5", cause="commitment.amended", reason="A new chair starts in May", due_date=date(2027, 3, 31))
    log.post("steady-5", percent_complete=14)
    log.tick(date(2026, 2, 16))  # climber and answered missed their milestone: their leaders are asked
    log.post("steady-1", percent_complete=15)
    log.add(ev.ExplanationReceived.new(source="leaders", subject="answered", data=ev.LeaderResponse(
        action_id="answered", from_person="p-leader-1", text="Our chair left; a new one starts in March")))
    log.post("answered", percent_complete=12)
    escalation = "climber/escalation-1"
    log.add(ev.NoticeSent.new(source="notifications", subject=escalation, data=ev.NoticeOutcome(
        notice_id="n-climber", recipient="p-leader-1", channel="email", about=escalation)))
    log.post("steady-2", percent_complete=16)
    log.tick(date(2026, 3, 3))  # climber climbs to the Panel's agenda
    # Reached late, then back on plan, in one batch: one rung down, then resolved.
    log.post("climber", milestones=[milestone(date(2026, 2, 15), "reached", date(2026, 3, 2))])
    log.post("climber", percent_complete=20)
    for a in steady[:6]:
        log.post(a, percent_complete=18)
    log.tick(date(2026, 4, 2))  # the cycle closes, the next opens
    for a in steady:
        log.post(a, percent_complete=24, last_update_on=date(2026, 4, 2))
    log.post("wobbly", milestones=[milestone(date(2026, 2, 15), "reached", date(2026, 1, 30))], percent_complete=30)
    log.tick(date(2026, 4, 10))
    return log


def in_batches(events: list[Event], size: int) -> Iterator[list[Delivery]]:
    deliveries = [Delivery(ConsumerRecord("log", 0, n, 0, 0, None, e.to_bytes(), None, 0, 0, ()), e)
                  for n, e in enumerate(events)]
    for i in range(0, len(deliveries), size):
        yield deliveries[i:i + size]


async def applied(log: Log, size: int, url: str) -> dict[str, Any]:
    database = Database(url, [MIGRATIONS])
    await database.open()
    try:
        settings = AccountabilitySettings(database_url=url, clock_max_step_days=92)
        engine = Engine(database, settings, ReferenceData.load(settings.reference_data_path))
        for deliveries in in_batches(log.events, size):
            await apply_batch(engine, deliveries)
    finally:
        await database.close()
    found = await state_of(url)
    conn = await asyncpg.connect(url)
    try:  # besides what the replay compares: the words kept, the bytes queued, the order per action
        found["narratives"] = {f"{r['action_id']}/{r['version']}": {k: v for k, v in dict(r).items() if k != "happened"}
                               for r in await conn.fetch("SELECT * FROM narratives")}
        outbox = await conn.fetch("SELECT event_id, key, payload FROM outbox ORDER BY id")
    finally:
        await conn.close()
    found["outbox bytes"] = {str(r["event_id"]): bytes(r["payload"]) for r in outbox}
    per_key: dict[str, list[str]] = {}
    for r in outbox:
        per_key.setdefault(r["key"], []).append(str(r["event_id"]))
    found["outbox order per key"] = per_key
    return found


async def test_one_log_gives_the_same_state_and_events_whatever_the_batch_size(database_url, postgres_admin):
    log = a_few_weeks()
    one = await applied(log, 1, database_url)
    for size in (7, 500):
        batched = await applied(log, size, await create_database(postgres_admin))
        for table in one:
            assert batched[table] == one[table], f"{table} differs with batches of {size}"

    # What the log was for: each of these happened, and so was compared.
    wobbly = sorted((r for r in one["status_changes"].values() if r["action_id"] == "wobbly"), key=lambda r: r["seq"])
    assert [(r["status"], r["on_date"]) for r in wobbly] == [
        ("on_track", "2026-02-01"), ("off_track", "2026-02-01"), ("on_track", "2026-02-01"),  # within one batch
        ("off_track", "2026-04-02"), ("on_track", "2026-04-02")]  # the stale snapshot changed nothing
    assert "repeated_slip" in [r["rule"] for r in wobbly[3]["reasons"]]  # judged on the cycle closed before
    climber = sorted((r for r in one["escalation_events"].values() if r["escalation_id"] == "climber/escalation-1"),
                     key=lambda r: r["seq"])
    assert [(r["kind"], r["step"]) for r in climber] == [
        ("raised", "leader_asked"), ("stepped", "panel_agenda"), ("stepped", "leader_asked"), ("resolved", None)]
    assert [r["action_id"] for r in one["responses"].values()] == ["answered"]
    assert sorted((r["kind"], r["state"]) for r in one["plans"].values() if r["action_id"] == "steady-5") == [
        ("baseline", "in_force"), ("request", "pending")]
    assert set(one["narratives"]) == {"wobbly/2", "steady-3/2"}  # the same words again are not kept twice
    assert len(one["delivered_notices"]) == 1 and len(one["cycles"]) == 2
