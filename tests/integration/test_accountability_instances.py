"""No step is taken twice: two instances side by side, redelivery, a crash; and a replay that
disagrees with the live state says where."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import uuid
from collections import defaultdict
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from faststream import TestApp

from services.accountability.app import build
from services.accountability.handlers import INPUTS
from services.accountability.replay import replay_and_compare
from shared.contracts import events as ev
from shared.contracts.topics import ACCOUNTABILITY, CLOCK, RESPONSES
from tests.infra import create_database
from tests.integration.test_accountability_service import (
    BARE,
    WAIT,
    Harness,
    commit_group,
    end_offsets,
    milestone,
    noon,
    settings_for,
)
from tests.kafka_tools import eventually, produce
from tools.ports import free_port

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
SYSTEMS = ["black-country", "coventry-warwickshire", "lincolnshire", "northamptonshire"]


async def group_members(kafka: str, group: str) -> int:
    def describe() -> int:
        from confluent_kafka.admin import AdminClient

        admin = AdminClient({"bootstrap.servers": kafka})
        [future] = admin.describe_consumer_groups([group]).values()
        return len(future.result(timeout=10).members)

    return await asyncio.to_thread(describe)


class Instance:
    """One accountability service as its own OS process, as compose or the stack runs it."""

    def __init__(self, kafka: str, database_url: str, group: str, logs: Path, name: str) -> None:
        self.port = free_port()
        self.log = logs / f"{name}.log"
        env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka, "ACCOUNTABILITY_DATABASE_URL": database_url,
               "CONSUMER_GROUP": group, "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1"}
        env.pop("DATABASE_URL", None)
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "faststream", "run", "services.accountability.app:create_app", "--factory",
                 "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    async def ready(self) -> None:
        async def answers() -> bool:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                async with httpx.AsyncClient() as http:
                    return (await http.get(f"http://127.0.0.1:{self.port}/ready", timeout=2)).status_code == 200
            except httpx.HTTPError:
                return False

        await eventually(answers, timeout=WAIT)

    def kill(self) -> None:
        """A crash: no shutdown, no commit of what it was doing."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


async def workload(h: Harness, actions: int = 12) -> list[str]:
    """Actions that all go off track on 16 February; then a month of ticks, each delivered twice,
    with answers from half the leaders in the middle, published without waiting."""
    names = []
    for i in range(actions):
        name = f"act{i:02d}"
        names.append(h.aid(name))
        await h.post(name, **BARE | {"system": SYSTEMS[i % len(SYSTEMS)],
                                     "milestones": [milestone(date(2026, 2, 15))]})
    day, ticks = date(2026, 2, 10), []
    while day <= date(2026, 3, 10):
        tick = ev.ClockTicked.new(source="clock", subject="clock", data=ev.Tick(now=noon(day)))
        ticks.append(tick)
        h.sent.add(tick.event_id)
        await produce(h.kafka, CLOCK.name, [tick.to_bytes(), tick.to_bytes()], key=b"clock")
        if day == date(2026, 2, 20):
            for name in names[::2]:
                data = ev.LeaderResponse(action_id=name, from_person="p-leader-1", text="Chair appointed in March")
                answer = ev.ExplanationReceived.new(source="leaders", subject=name, data=data)
                h.sent.add(answer.event_id)
                await produce(h.kafka, RESPONSES.name, [answer.to_bytes(), answer.to_bytes()], key=name.encode())
        day += timedelta(days=1)
    await h.applied(ticks[-1])
    return names


async def each_step_once(h: Harness, names: list[str], *, crashed: bool) -> None:
    """Every step and every status change taken once, and on the wire as the database has it.

    Taken twice, a step would show as a second escalation for an action, or as two steps from
    the same rung (the second one's ``previous_step`` would not be where the first one left it).
    """
    records = await h.outputs(ev.EscalationRaised, ev.EscalationStepped, ev.EscalationResolved)
    by_id = {e.event_id: e for e in records}
    rows = await h.rows("SELECT * FROM escalation_events ORDER BY escalation_id, seq")
    assert set(by_id) == {r["event_id"] for r in rows}  # none missing on the wire, none extra
    if not crashed:  # a relay killed between publishing and marking may publish again, same event id
        assert len(records) == len(by_id)
    walks: dict[str, list] = defaultdict(list)
    for r in rows:
        walks[r["escalation_id"]].append(r)
    for escalation_id, walk in walks.items():
        assert [r["kind"] for r in walk][:1] == ["raised"], escalation_id
        assert [r["seq"] for r in walk] == list(range(1, len(walk) + 1))
        for before, after in itertools.pairwise(walk):
            assert after["previous_step"] == before["step"] != after["step"], escalation_id
    assert await h.val("SELECT count(*) FROM escalations") == len(names)  # one episode each
    assert {e.data.action_id for e in records if e.type == "escalation.raised"} == set(names)  # not vacuous
    assert await h.val("SELECT count(*) FROM escalation_events WHERE kind = 'stepped'") >= len(names) // 2

    changes = await h.outputs(ev.ActionStatusChanged)
    change_rows = await h.rows("SELECT * FROM status_changes ORDER BY action_id, seq")
    assert {e.event_id for e in changes} == {r["event_id"] for r in change_rows}
    by_action: dict[str, list] = defaultdict(list)
    for r in change_rows:
        by_action[r["action_id"]].append(r)
    for action_id, chain in by_action.items():
        assert [r["previous"] for r in chain] == [None, *(r["status"] for r in chain[:-1])], action_id
    opened = await h.outputs(ev.CycleOpened)
    assert len({e.event_id for e in opened}) == 1 and (crashed or len(opened) == 1)


async def test_two_instances_in_one_group_with_a_crash_never_take_a_step_twice(kafka, topics, database_url,
                                                                               tmp_path):
    group = f"accountability-test-{uuid.uuid4().hex[:8]}"
    start = await end_offsets(kafka, list(INPUTS))
    await asyncio.to_thread(commit_group, kafka, group, start)
    h = Harness(kafka, database_url, settings_for(kafka, database_url, group), start,
                await end_offsets(kafka, [ACCOUNTABILITY.name]))
    first = Instance(kafka, database_url, group, tmp_path, "first")
    second = Instance(kafka, database_url, group, tmp_path, "second")
    third = None
    try:
        await asyncio.gather(first.ready(), second.ready())
        # one consumer per instance for the four inputs: both instances share the partitions
        await eventually(lambda: _equals(group_members(kafka, group), 2), timeout=WAIT)
        await h.tick(date(2026, 2, 9))
        names = await workload_with_crash(h, second)
        third = Instance(kafka, database_url, group, tmp_path, "third")
        await third.ready()
        await each_step_once(h, names, crashed=True)
    finally:
        for instance in (first, second, third):
            if instance is not None:
                instance.stop()
    # The survivor may fail to commit across the rebalance (it gets those events again, which is
    # the point); no event may fail in a handler or be dead-lettered.
    survivor = first.log.read_text()
    assert '"handler_failed"' not in survivor and '"dead_lettered"' not in survivor


async def workload_with_crash(h: Harness, victim: Instance) -> list[str]:
    """The workload, with one instance killed while it runs: its partitions move to the other,
    which gets again whatever the dead one had not committed."""
    task = asyncio.create_task(workload(h))
    await asyncio.sleep(1.0)
    victim.kill()
    return await task


async def _equals(value, expected) -> bool:
    return await value == expected


@asynccontextmanager
async def in_process(kafka: str, database_url: str, group: str, start):
    await asyncio.to_thread(commit_group, kafka, group, start)
    app = build(settings_for(kafka, database_url, group))
    async with TestApp(app):
        yield app


async def test_two_instances_that_each_get_every_event_still_take_each_step_once(kafka, topics, database_url):
    """The worst case: two instances on one database in different groups, so both apply every
    snapshot, answer and tick, at the same time."""
    start = await end_offsets(kafka, list(INPUTS))
    groups = [f"accountability-test-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    h = Harness(kafka, database_url, settings_for(kafka, database_url, groups[0]), start,
                await end_offsets(kafka, [ACCOUNTABILITY.name]))
    async with AsyncExitStack() as both:
        for group in groups:
            await both.enter_async_context(in_process(kafka, database_url, group, start))
        await h.tick(date(2026, 2, 9))
        names = await workload(h)
        await each_step_once(h, names, crashed=False)


async def test_a_replay_that_disagrees_with_the_live_state_says_where(kafka, topics, database_url, postgres_admin):
    start = await end_offsets(kafka, list(INPUTS))
    group = f"accountability-test-{uuid.uuid4().hex[:8]}"
    h = Harness(kafka, database_url, settings_for(kafka, database_url, group), start,
                await end_offsets(kafka, [ACCOUNTABILITY.name]))
    async with in_process(kafka, database_url, group, start):
        await h.tick(date(2026, 2, 1))
        await h.post("x", **BARE | {"milestones": [milestone(date(2026, 2, 15))]})
        await h.tick(date(2026, 2, 16))
        await h.replays_the_same(postgres_admin)
        await h.val("UPDATE actions SET status = 'on_track' WHERE action_id = $1", h.aid("x"))
        await h.val("DELETE FROM outbox WHERE key = $1 AND convert_from(payload, 'UTF8') LIKE '%escalation.raised%'",
                    h.aid("x"))
        fresh = await create_database(postgres_admin)
        report = await replay_and_compare(h.settings, fresh, database_url, start=start)
    assert not report.same
    assert any(d.startswith(f"actions {h.aid('x')}: status live='on_track' rebuilt='off_track'")
               for d in report.differences), report.differences
    assert any(d.startswith("outbox ") and d.endswith("only in the rebuilt state") for d in report.differences), \
        report.differences
    assert report.events == 3 and report.failed == []
