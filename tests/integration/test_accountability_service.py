"""The accountability service against the real broker and database.

Every test runs the service in a consumer group of its own, positioned at the current end
of the input topics, so it sees only the events the test publishes; time is the ``now`` of
the clock ticks the test publishes, so a quarter passes in seconds. The events the service
causes are read back from ``accountability.events`` itself, and only those caused by this
test's inputs count.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from faststream import TestApp

from services.accountability.app import build
from services.accountability.handlers import INPUTS
from services.accountability.replay import partitions, replay_and_compare
from services.accountability.settings import AccountabilitySettings
from shared.contracts import Event, parse_event
from shared.contracts import events as ev
from shared.contracts.topics import ACCOUNTABILITY, ACTION_CHANGES, CLOCK, DIRECTORY, NOTICES, RESPONSES
from tests.infra import api_client, create_database
from tests.kafka_tools import eventually, header, produce
from tests.unit.test_accountability_rules import snapshot

pytestmark = pytest.mark.integration
WAIT = 60  # generous: a consumer group may be rebalancing on a busy machine
Q1_UPDATE = date(2026, 1, 5)  # an update inside 2026-Q1, so "no update in the cycle" stays quiet


def noon(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 12, tzinfo=UTC)


# ---- the broker: offsets of a test's own --------------------------------------------------

async def end_offsets(kafka: str, topics: list[str]) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka)
    await consumer.start()
    try:
        return await consumer.end_offsets(await partitions(consumer, topics))
    finally:
        await consumer.stop()


def commit_group(kafka: str, group: str, offsets: dict[TopicPartition, int]) -> None:
    """Start ``group`` at ``offsets`` (aiokafka cannot commit for partitions it is not assigned)."""
    from confluent_kafka import Consumer
    from confluent_kafka import TopicPartition as Partition

    consumer = Consumer({"bootstrap.servers": kafka, "group.id": group, "enable.auto.commit": False})
    try:
        consumer.commit(offsets=[Partition(tp.topic, tp.partition, o) for tp, o in offsets.items()],
                        asynchronous=False)
    finally:
        consumer.close()


async def read_from(kafka: str, start: dict[TopicPartition, int]) -> list[Any]:
    """Every record from ``start`` to the current end of those partitions."""
    ends = await end_offsets(kafka, sorted({tp.topic for tp in start}))
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(ends))
        for tp in ends:
            consumer.seek(tp, start.get(tp, 0))
        records: list[Any] = []
        behind = dict(ends)
        while behind:
            for part in (await consumer.getmany(timeout_ms=500)).values():
                records += part
            behind = {tp: end for tp, end in behind.items() if await consumer.position(tp) < end}
        return sorted(records, key=lambda r: (r.timestamp, r.partition, r.offset))
    finally:
        await consumer.stop()


# ---- the harness ------------------------------------------------------------------------

class Harness:
    """Publishes what the other parties would, waits until the service applied it, and reads
    what the service made of it: its database, its read API and its events on the wire."""

    def __init__(self, kafka: str, database_url: str, settings: AccountabilitySettings,
                 start: dict[TopicPartition, int], out_start: dict[TopicPartition, int]) -> None:
        self.kafka = kafka
        self.database_url = database_url
        self.settings = settings
        self.start = start
        self.out_start = out_start
        self.sent: set[uuid.UUID] = set()
        self.actions: dict[str, ev.ActionSnapshot] = {}
        self.prefix = uuid.uuid4().hex[:6]
        self.http: httpx.AsyncClient | None = None
        self.chair_known = False

    # the other parties

    def aid(self, name: str) -> str:
        return f"{name}-{self.prefix}"

    async def publish(self, topic: str, event: Event, *, wait: bool = True) -> Event:
        await produce(self.kafka, topic, [event.to_bytes()], key=event.subject.encode())
        self.sent.add(event.event_id)
        if wait:
            await self.applied(event)
        return event

    async def applied(self, event: Event) -> None:
        await eventually(lambda: self.val("SELECT true FROM processed_events WHERE event_id = $1", event.event_id),
                         timeout=WAIT)

    async def post(self, name: str, **changes: Any) -> ev.ActionSnapshot:
        """The actions service announcing an action (new, or changed from its last snapshot)."""
        action_id = self.aid(name)
        before = self.actions.get(action_id)
        if before is None:
            snap = snapshot(**({"action_id": action_id, "last_update_on": Q1_UPDATE} | changes))
        else:
            snap = before.model_copy(update=changes | {"version": before.version + 1})
        self.actions[action_id] = snap
        change = ev.ActionChange(snapshot=snap, cause_type="progress.reported", changed=sorted(changes))
        await self.publish(ACTION_CHANGES.name, ev.ActionChanged.new(source="actions", subject=action_id,
                                                                     data=change))
        return snap

    async def tick(self, d: date) -> ev.ClockTicked:
        return await self.publish(CLOCK.name, ev.ClockTicked.new(source="clock", subject="clock",
                                                                 data=ev.Tick(now=noon(d))))

    async def respond(self, name: str, kind: type[Event], text: str, recover_by: date | None = None) -> Event:
        action_id = self.aid(name)
        data = ev.LeaderResponse(action_id=action_id, from_person=self.actions[action_id].accountable_leader,
                                 text=text, recover_by=recover_by)
        return await self.publish(RESPONSES.name, kind.new(source="leaders", subject=action_id, data=data))

    async def person(self, person_id: str, *roles: str, systems: tuple[str, ...] = ()) -> Event:
        """Someone in the directory, as the portal publishes them."""
        return await self.publish(DIRECTORY.name, ev.PersonUpdated.new(source="portal", subject=person_id,
                                                                       data=ev.Person(
            person_id=person_id, name=person_id, email=f"{person_id}@example.org", roles=list(roles),
            systems=list(systems))))

    async def decide(self, name: str, kind: str, due: date | None = None, note: str = "", *,
                     by: str = "p-panel-chair", role: str = "panel_chair") -> Event:
        """A Panel decision on an item of the published agenda of 26 March (the chair in the directory)."""
        if by == "p-panel-chair" and not self.chair_known:
            await self.person(by, "panel_chair")
            self.chair_known = True
        action_id = self.aid(name)
        data = ev.PanelDecision(decision_id=f"d-{uuid.uuid4().hex[:8]}", meeting_id="panel-2026-Q1",
                                action_id=action_id, kind=kind, due_date=due, note=note, acting_person=by,
                                acting_role=role)
        return await self.publish(RESPONSES.name, ev.PanelDecisionRecorded.new(source="portal", subject=action_id,
                                                                               data=data))

    # what the service made of it

    async def val(self, sql: str, *args: Any) -> Any:
        conn = await asyncpg.connect(self.database_url)
        try:
            return await conn.fetchval(sql, *args)
        finally:
            await conn.close()

    async def rows(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.database_url)
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()

    async def verdict(self, name: str) -> tuple[str, list[str]]:
        row = (await self.rows("SELECT status, reasons FROM actions WHERE action_id = $1", self.aid(name)))[0]
        return row["status"], [r["rule"] for r in json.loads(row["reasons"])]

    async def step(self, name: str) -> str | None:
        return await self.val("SELECT step FROM escalations WHERE action_id = $1 AND resolved_on IS NULL",
                              self.aid(name))

    async def get(self, path: str) -> Any:
        assert self.http is not None
        response = await self.http.get(path)
        assert response.status_code == 200, response.text
        return response.json()

    async def outputs(self, *types: type[Event]) -> list[Event]:
        """What the service published, caused by this test's inputs, once the outbox is empty."""
        await eventually(lambda: self.val("SELECT count(*) = 0 FROM outbox WHERE published_at IS NULL"),
                         timeout=WAIT)
        found = [parse_event(r.value) for r in await read_from(self.kafka, self.out_start)]
        return [e for e in found if e.causation_id in self.sent and (not types or isinstance(e, types))]

    async def for_action(self, name: str, *types: type[Event]) -> list[Event]:
        return [e for e in await self.outputs(*types) if e.subject == self.aid(name)]

    async def replays_the_same(self, postgres_admin: str) -> None:
        """A replay of this test's part of the log, into a fresh database, gives the same state."""
        fresh = await create_database(postgres_admin)
        report = await replay_and_compare(self.settings, fresh, self.database_url, start=self.start)
        assert report.events == len(self.sent), report.as_dict()
        assert report.failed == [] and report.differences == [], report.as_dict()


def settings_for(kafka: str, database_url: str, group: str, **over: Any) -> AccountabilitySettings:
    """These specifications move the clock on weeks at a time, further than production's default step."""
    return AccountabilitySettings(kafka_bootstrap_servers=kafka, database_url=database_url, consumer_group=group,
                                  **({"clock_max_step_days": 92} | over))


@asynccontextmanager
async def harness(kafka: str, database_url: str, **over: Any):
    group = f"accountability-test-{uuid.uuid4().hex[:8]}"
    start = await end_offsets(kafka, list(INPUTS))
    await asyncio.to_thread(commit_group, kafka, group, start)
    out_start = await end_offsets(kafka, [ACCOUNTABILITY.name])
    settings = settings_for(kafka, database_url, group, **over)
    app = build(settings)
    h = Harness(kafka, database_url, settings, start, out_start)
    async with TestApp(app), api_client(app, "http://accountability") as http:
        h.http = http
        yield h


@pytest.fixture
async def acc(kafka, topics, database_url):
    async with harness(kafka, database_url) as h:
        yield h


BARE = {"milestones": [], "trajectory": [], "measure": None, "start_date": date(2026, 1, 1)}


def milestone(due: date, state: str = "open", on: date | None = None, mid: str = "m1") -> ev.MilestoneState:
    return ev.MilestoneState(milestone_id=mid, title="Review panel in place", due=due, state=state, on=on)


def reading(value: float, on: date) -> ev.MeasureValue:
    return ev.MeasureValue(value=value, as_of=on)


# ---- the rules, through the service ---------------------------------------------------------

async def test_each_rule_fires_and_does_not_fire(acc: Harness):
    h = acc
    behind_plan = {"start_date": date(2025, 10, 1), "trajectory": [ev.TrajectoryPoint(by=date(2025, 12, 31),
                                                                                       percent=50)]}
    # 2025-Q4: one action behind its plan (it slips this cycle), its twin on plan.
    await h.tick(date(2025, 12, 10))
    await h.post("rep", **BARE | behind_plan, percent_complete=20, last_update_on=date(2025, 12, 1))
    await h.post("rep-ok", **BARE | behind_plan, percent_complete=45, last_update_on=date(2025, 12, 1))
    assert [await h.verdict("rep"), await h.verdict("rep-ok")] == [("at_risk", ["behind_trajectory"]),
                                                                    ("on_track", [])]
    # 2026-Q1: 2025-Q4 closes; both fall behind again, but only one slipped last cycle too.
    await h.tick(date(2026, 1, 5))
    await h.post("rep", percent_complete=40, last_update_on=Q1_UPDATE)
    await h.post("rep-ok", percent_complete=40, last_update_on=Q1_UPDATE)

    due = date(2026, 3, 1)
    range_measure = ev.Measure(code="WRES-3", name="Disciplinary likelihood", baseline=1.6, target=1.0,
                               range_low=0.8, range_high=1.25, direction="lower_is_better")
    plan = {"trajectory": [ev.TrajectoryPoint(by=date(2026, 3, 31), percent=50)]}
    pairs = {
        "ms": {"milestones": [milestone(due)]},
        "ms-ok": {"milestones": [milestone(due, "reached", date(2026, 2, 27))]},
        "due": {"due_date": date(2026, 3, 10), "percent_complete": 90},
        "due-ok": {"due_date": date(2026, 3, 23), "percent_complete": 90},
        "silent": {"last_update_on": date(2025, 12, 15)},
        "silent-ok": {"last_update_on": date(2026, 2, 1)},
        "behind": plan | {"percent_complete": 10},
        "behind-ok": plan | {"percent_complete": 40},
        "range": {"measure": range_measure, "measure_values": [reading(1.3, date(2026, 2, 1))]},
        "range-ok": {"measure": range_measure, "measure_values": [reading(1.1, date(2026, 2, 1))]},
        "worse": {"measure": range_measure,
                  "measure_values": [reading(1.0, date(2026, 1, 15)), reading(1.2, date(2026, 2, 15))]},
        "worse-ok": {"measure": range_measure,
                     "measure_values": [reading(1.2, date(2026, 1, 15)), reading(1.0, date(2026, 2, 15))]},
        "ok": {},
    }
    for name, over in pairs.items():
        await h.post(name, **BARE | over)
    await h.tick(date(2026, 3, 1))
    await h.tick(date(2026, 3, 10))
    await h.tick(date(2026, 3, 23))

    expected = {
        "ms": ["milestone_passed"], "due": ["due_date_passed"], "silent": ["no_update_in_cycle"],
        "behind": ["behind_trajectory"], "range": ["measure_out_of_range"], "worse": ["measure_worsening"],
        "rep": ["repeated_slip", "behind_trajectory"],
        "rep-ok": ["behind_trajectory"],
    }
    for name in [*pairs, "rep", "rep-ok"]:
        status, fired = await h.verdict(name)
        assert fired == expected.get(name, []), name
        assert status == ("on_track" if not fired else "at_risk" if name in {"range", "worse", "rep-ok"}
                          else "off_track"), name

    # The API says the same, in words, rolled up per system and per action point.
    body = await h.get("/status?system=black-country")
    by_id = {a["action_id"]: a for a in body["actions"]}
    assert by_id[h.aid("silent")]["reasons"][0]["message"] == (
        "No progress update in cycle 2026-Q1: updates were due by 21 March 2026 and the last was on "
        "15 December 2025.")
    assert body["by_system"] == [{"id": "black-country", "name": "Black Country", "actions": 15, "status": {
        "on_track": 7, "at_risk": 3, "off_track": 5, "completed": 0, "withdrawn": 0}}]
    assert body["by_action_point"][0]["id"] == "AP3"
    assert (await h.get("/status?status=at_risk"))["count"] == 3


# ---- time alone ---------------------------------------------------------------------------

async def test_an_action_slips_when_its_date_passes_in_silence(acc: Harness):
    h = acc
    await h.tick(date(2026, 2, 1))
    await h.post("quiet", **BARE | {"milestones": [milestone(date(2026, 2, 15))]})
    for day in (date(2026, 2, 14), date(2026, 2, 15)):
        await h.tick(day)
        assert await h.verdict("quiet") == ("on_track", [])
    passing = await h.tick(date(2026, 2, 16))  # nothing but time
    assert await h.verdict("quiet") == ("off_track", ["milestone_passed"])

    changed = await h.for_action("quiet", ev.ActionStatusChanged)
    assert [(e.data.previous, e.data.status) for e in changed] == [(None, "on_track"), ("on_track", "off_track")]
    assert changed[-1].causation_id == passing.event_id
    assert changed[-1].data.reasons[0].message == (
        "Milestone 'Review panel in place' was due on 15 February 2026 and has not been reached.")
    assert changed[-1].occurred_at == noon(date(2026, 2, 16))  # the clock's time, not the wall clock's
    [raised] = await h.for_action("quiet", ev.EscalationRaised)
    assert (raised.data.step, raised.data.respond_by) == ("leader_asked", date(2026, 3, 2))
    assert raised.data.recipients == ["p-leader-1"]


# ---- the ladder ---------------------------------------------------------------------------

async def test_the_ladder_goes_up_after_the_grace_period_and_comes_back_down(acc: Harness, postgres_admin):
    h = acc
    plan = {"trajectory": [ev.TrajectoryPoint(by=date(2026, 6, 30), percent=50)], "percent_complete": 5}
    await h.tick(date(2026, 2, 1))
    await h.post("climb", **BARE | plan | {"milestones": [milestone(date(2026, 2, 15))]})
    await h.tick(date(2026, 2, 16))
    assert await h.step("climb") == "leader_asked"
    await h.tick(date(2026, 3, 2))  # the last day of the leader's 14 days
    assert await h.step("climb") == "leader_asked"
    await h.tick(date(2026, 3, 3))
    assert await h.step("climb") == "panel_agenda"
    # The milestone is reached late: still behind plan (at risk), so one rung down.
    await h.post("climb", milestones=[milestone(date(2026, 2, 15), "reached", date(2026, 3, 4))])
    assert await h.verdict("climb") == ("at_risk", ["behind_trajectory"])
    assert await h.step("climb") == "leader_asked"
    await h.post("climb", percent_complete=20)  # back on plan
    assert await h.verdict("climb") == ("on_track", [])
    assert await h.step("climb") is None

    steps = await h.for_action("climb", ev.EscalationRaised, ev.EscalationStepped, ev.EscalationResolved)
    assert [(e.type, e.data.previous_step, e.data.step, e.data.respond_by) for e in steps] == [
        ("escalation.raised", None, "leader_asked", date(2026, 3, 2)),
        ("escalation.stepped", "leader_asked", "panel_agenda", date(2026, 3, 22)),  # the eve of the agenda
        ("escalation.stepped", "panel_agenda", "leader_asked", date(2026, 3, 17)),
        ("escalation.resolved", "leader_asked", None, None),
    ]
    assert {e.data.escalation_id for e in steps} == {f"{h.aid('climb')}/escalation-1"}
    await h.replays_the_same(postgres_admin)


async def test_answers_pause_the_climb_and_an_unacknowledged_notice_never_climbs_before_the_date_told(
        acc: Harness):
    h = acc
    names = ("explained", "planned", "ignored", "unanswered", "never-delivered")
    await h.tick(date(2026, 2, 1))
    for name in names:
        await h.post(name, **BARE | {"milestones": [milestone(date(2026, 2, 15))]})
    await h.tick(date(2026, 2, 16))  # all five asked; the leaders' grace runs to 2 March
    await h.tick(date(2026, 2, 20))
    await h.respond("explained", ev.ExplanationReceived, "Our review chair left; a new one starts in March")
    await h.respond("planned", ev.RecoveryPlanReceived, "Panel in place by April", recover_by=date(2026, 4, 1))
    for name, delivered in (("ignored", True), ("never-delivered", False)):
        escalation = f"{h.aid(name)}/escalation-1"
        outcome = ev.NoticeOutcome(notice_id=f"n-{name}", recipient="p-leader-1", channel="email", about=escalation)
        if delivered:
            await h.publish(NOTICES.name, ev.NoticeSent.new(source="notifications", subject=escalation, data=outcome))
        await h.publish(NOTICES.name, ev.NoticeUnacknowledged.new(source="notifications", subject=escalation,
                                                                  data=outcome))

    await h.tick(date(2026, 2, 24))  # past the unacknowledged notice's 3 days: the date told (2 March) holds
    assert [await h.step(n) for n in names] == ["leader_asked"] * 5
    await h.tick(date(2026, 3, 3))  # the grace is over: only the unanswered ones climb
    assert [await h.step(n) for n in ("explained", "planned", "ignored", "unanswered", "never-delivered")] == [
        "leader_asked", "leader_asked", "panel_agenda", "panel_agenda", "panel_agenda"]
    await h.tick(date(2026, 3, 7))  # the explanation held it 14 days, to 6 March
    assert [await h.step(n) for n in ("explained", "planned")] == ["panel_agenda", "leader_asked"]
    await h.tick(date(2026, 3, 21))  # the recovery plan held it 28 days, to 20 March
    assert await h.step("planned") == "panel_agenda"


# ---- the Panel ----------------------------------------------------------------------------

async def test_the_agenda_puts_the_worst_first_with_reasons_history_and_the_leaders_response(
        acc: Harness, postgres_admin):
    h = acc
    await h.tick(date(2026, 2, 1))
    await h.post("board", **BARE | {"milestones": [milestone(date(2026, 2, 15))]})
    await h.post("two-reasons", **BARE | {"milestones": [milestone(date(2026, 2, 15))],
                                          "due_date": date(2026, 3, 1)})
    await h.post("early", **BARE | {"milestones": [milestone(date(2026, 2, 15))]})
    await h.post("late", **BARE | {"milestones": [milestone(date(2026, 2, 20))]})
    await h.post("only-asked", **BARE | {"milestones": [milestone(date(2026, 3, 15))]})
    await h.post("fine", **BARE)
    for day in (date(2026, 2, 16), date(2026, 2, 21), date(2026, 3, 3), date(2026, 3, 8)):
        await h.tick(day)
    await h.respond("early", ev.ExplanationReceived, "Recruitment to the panel restarted in March")
    await h.tick(date(2026, 3, 16))
    assert [await h.step(n) for n in ("board", "two-reasons", "early", "late", "only-asked", "fine")] == [
        "panel_agenda", "panel_agenda", "panel_agenda", "panel_agenda", "leader_asked", None]

    await h.tick(date(2026, 3, 23))  # the agenda day: three days before the meeting on the 26th
    [published] = await h.outputs(ev.AgendaPublished)
    agenda = published.data
    assert (agenda.meeting_id, agenda.meets_on, agenda.chair) == ("panel-2026-Q1", date(2026, 3, 26),
                                                                  "p-panel-chair")
    assert [i.action_id for i in agenda.items] == [h.aid(n) for n in ("two-reasons", "board", "early", "late")]
    assert [r.rule for r in agenda.items[0].reasons] == ["milestone_passed", "due_date_passed"]
    assert agenda.items[2].leader_response == "Explanation: Recruitment to the panel restarted in March"
    assert agenda.items[3].leader_response is None

    # The Panel refers an item of its agenda to the Board: it goes first on the live agenda.
    await h.decide("board", "referred_to_board", note="Third quarter without a review panel")
    assert await h.step("board") == "people_board"
    live = await h.get("/agenda")
    assert [i["action_id"] for i in live["items"]] == [h.aid(n) for n in ("board", "two-reasons", "early", "late")]
    assert live["published_on"] == "2026-03-23"
    history = [entry["what"] for entry in live["items"][0]["history"]]
    assert history == ["status", "status", "escalation raised", "escalation stepped", "panel decision",
                       "escalation stepped"]
    assert (await h.get("/agenda?meeting_id=panel-2026-Q1"))["items"][0]["action_id"] == h.aid("two-reasons")
    await h.tick(date(2026, 3, 24))
    assert len(await h.outputs(ev.AgendaPublished)) == 1  # published once
    await h.replays_the_same(postgres_admin)


async def test_a_date_set_by_a_panel_decision_is_tracked_and_can_slip(acc: Harness):
    h = acc
    await h.tick(date(2026, 2, 1))
    await h.post("challenged", **BARE | {"milestones": [milestone(date(2026, 2, 15))]})
    for day in (date(2026, 2, 16), date(2026, 3, 3), date(2026, 3, 23)):  # asked, on the agenda, published
        await h.tick(day)
    await h.decide("challenged", "challenge_issued", due=date(2026, 3, 28),
                   note="Explain why BME staff are twice as likely to be disciplined")
    await h.post("challenged", milestones=[milestone(date(2026, 2, 15), "reached", date(2026, 3, 24))])
    assert (await h.verdict("challenged"), await h.step("challenged")) == (("on_track", []), None)
    await h.tick(date(2026, 3, 28))
    assert await h.verdict("challenged") == ("on_track", [])
    await h.tick(date(2026, 3, 29))  # the date passed with no answer
    assert await h.verdict("challenged") == ("off_track", ["panel_date_missed"])
    assert await h.step("challenged") == "leader_asked"
    await h.respond("challenged", ev.ExplanationReceived, "Case review published; training starts in April")
    assert await h.verdict("challenged") == ("on_track", [])
    assert await h.step("challenged") is None

    changed = await h.for_action("challenged", ev.ActionStatusChanged)
    assert changed[-2].data.reasons[0].message == (
        "At meeting panel-2026-Q1 the Panel challenged the action with a date of 28 March 2026; "
        "no response has arrived.")
    detail = await h.get(f"/status/action?id={h.aid('challenged')}")
    assert [e["what"] for e in detail["history"]] == [
        "status", "status", "escalation raised", "escalation stepped", "panel decision", "status",
        "escalation resolved", "status", "escalation raised", "explanation", "status", "escalation resolved"]


# ---- the cycle ----------------------------------------------------------------------------

async def test_the_cycle_opens_reminds_closes_and_gives_the_board_its_picture(acc: Harness, postgres_admin):
    h = acc
    opening = await h.tick(date(2026, 1, 5))
    working = ev.Narrative(working="Reverse mentoring pairs every board member with a BME colleague")
    await h.post("bc-lagging", **BARE | {"last_update_on": None})
    await h.post("bc-recovers", **BARE | {"milestones": [milestone(date(2026, 2, 15))], "narrative": working})
    await h.post("cw-late", **BARE | {"system": "coventry-warwickshire", "accountable_leader": "p-leader-cw",
                                      "last_update_on": None})
    await h.post("li-done", **BARE | {"system": "lincolnshire", "action_point": "AP4",
                                      "accountable_leader": "p-leader-li"})
    await h.tick(date(2026, 2, 16))  # bc-recovers misses its milestone, says why...
    await h.post("bc-recovers", narrative=ev.Narrative(stopping_progress="Our network chair left"))
    await h.post("bc-recovers", milestones=[milestone(date(2026, 2, 15), "reached", date(2026, 2, 18))],
                 narrative=working)
    assert await h.step("bc-recovers") is None  # ...and recovers
    await h.tick(date(2026, 3, 8))  # 14 days before the deadline of 21 March
    await h.tick(date(2026, 3, 8))  # the same day again (a second clock, a redelivery): no second reminder
    await h.post("cw-late", last_update_on=date(2026, 3, 10), percent_complete=10)
    await h.tick(date(2026, 3, 19))  # 3 days before: only the system still owing an update
    await h.tick(date(2026, 3, 22))  # the deadline passed
    await h.post("li-done", lifecycle="completed", percent_complete=100)
    await h.tick(date(2026, 4, 1))  # 2026-Q1 closes, 2026-Q2 opens

    reminders = await h.outputs(ev.ReminderDue)
    assert [(r.data.system, r.data.recipients, r.data.submission_deadline) for r in reminders] == [
        ("black-country", ["p-leader-1"], date(2026, 3, 21)),
        ("coventry-warwickshire", ["p-leader-cw"], date(2026, 3, 21)),
        ("black-country", ["p-leader-1"], date(2026, 3, 21)),
    ]
    cycles = {(e.type, e.data.cycle_id): e for e in await h.outputs(ev.CycleOpened, ev.CycleClosed)}
    assert sorted(cycles) == [("cycle.closed", "2026-Q1"), ("cycle.opened", "2026-Q1"), ("cycle.opened", "2026-Q2")]
    opened = cycles["cycle.opened", "2026-Q1"]
    assert opened.causation_id == opening.event_id
    assert opened.data == ev.CycleWindow(cycle_id="2026-Q1", opens_on=date(2026, 1, 1),
                                         submission_deadline=date(2026, 3, 21), closes_on=date(2026, 3, 31))
    # Still no update: last cycle's deadline still counts, and it is now slipping a second cycle.
    assert await h.verdict("bc-lagging") == ("off_track", ["no_update_in_cycle", "repeated_slip"])

    picture = await h.get("/cycle-summary?cycle_id=2026-Q1")
    assert picture["final"] is True
    assert picture["totals"] == {"actions": 4, "on_track": 2, "at_risk": 0, "off_track": 1, "completed": 1,
                                 "withdrawn": 0, "slipped": 2, "worked": 2,
                                 "status_verified": 0, "status_disputed": 0, "rebaselines_approved": 0,
                                 "rebaselines_refused": 0, "recovered": 1, "median_days_to_recover": 0}
    # bc-recovers was flagged on 16 February and back on track the same day: recovered in 0 days
    systems = {s["id"]: s for s in picture["by_system"]}
    assert len(systems) == 11  # every system of the region, posting or not
    assert systems["black-country"]["slipped"] == [h.aid("bc-lagging"), h.aid("bc-recovers")]
    assert systems["black-country"]["status"]["off_track"] == 1
    assert systems["lincolnshire"]["worked"] == [h.aid("li-done")]
    assert systems["staffordshire-stoke"]["actions"] == 0
    points = {p["id"]: p for p in picture["by_action_point"]}
    assert points["AP4"]["status"]["completed"] == 1 and points["AP3"]["actions"] == 3
    slipped = {s["action_id"]: s for s in picture["slipped"]}
    assert slipped[h.aid("bc-lagging")]["reasons"][0]["rule"] == "no_update_in_cycle"
    assert [d["what"] for d in slipped[h.aid("bc-lagging")]["done_about_it"]] == ["escalation raised"]
    worked = {w["action_id"]: w for w in picture["worked"]}
    assert worked[h.aid("li-done")]["worked"] == ["completed this cycle"]
    assert worked[h.aid("bc-recovers")]["worked"] == ["recovered: back on track after slipping"]
    assert worked[h.aid("bc-recovers")]["what_is_working"] == working.working
    # what was stopping it when it slipped stays in the picture, though a later update says something else
    assert slipped[h.aid("bc-recovers")]["stopping_progress"] == [
        {"on": "2026-02-16", "stopping_progress": "Our network chair left", "not_working": ""}]
    assert slipped[h.aid("bc-lagging")]["stopping_progress"] == []

    q2 = await h.get("/cycle-summary")
    assert (q2["cycle_id"], q2["final"]) == ("2026-Q2", False)
    assert [c["cycle_id"] for c in (await h.get("/cycles"))["cycles"]] == ["2026-Q2", "2026-Q1"]
    await h.replays_the_same(postgres_admin)


async def test_an_older_snapshot_and_a_redelivered_event_change_nothing(acc: Harness):
    h = acc
    await h.tick(date(2026, 2, 1))
    first = await h.post("steady", **BARE | {"percent_complete": 10})
    await h.post("steady", percent_complete=30)
    stale = ev.ActionChanged.new(source="actions", subject=first.action_id,
                                 data=ev.ActionChange(snapshot=first, cause_type="x", changed=[]))
    await h.publish(ACTION_CHANGES.name, stale)
    assert await h.val("SELECT version FROM actions WHERE action_id = $1", first.action_id) == 2
    tick = await h.tick(date(2026, 2, 16))
    await produce(h.kafka, CLOCK.name, [tick.to_bytes()], key=b"clock")  # delivered again
    again = await h.tick(date(2026, 2, 17))
    assert again  # the later tick was applied after the repeated one
    assert len(await h.outputs(ev.ActionStatusChanged)) == 1
    assert await h.val("SELECT today FROM clock") == date(2026, 2, 17)
    dead_start = await end_offsets(h.kafka, ["accountability.deadletter"])
    # delivered again after a later tick (a batch re-applied one by one): applied already, not refused
    await produce(h.kafka, CLOCK.name, [tick.to_bytes()], key=b"clock")
    await produce(h.kafka, CLOCK.name, [ev.ClockTicked.new(source="clock", subject="clock", data=ev.Tick(
        now=noon(date(2026, 1, 1)))).to_bytes()], key=b"clock")  # time never runs backwards: refused
    [refused] = await eventually(lambda: _one(read_from(h.kafka, dead_start)), timeout=WAIT)
    assert header(refused, "dlt-code") == "clock_backwards"
    assert await h.val("SELECT today FROM clock") == date(2026, 2, 17)


async def test_bad_input_is_dead_lettered_and_the_service_goes_on(acc: Harness, kafka):
    h = acc
    dead_start = await end_offsets(kafka, ["accountability.deadletter"])
    misplaced = ev.ClockTicked.new(source="clock", subject="clock", data=ev.Tick(now=noon(date(2026, 2, 1))))
    await produce(kafka, RESPONSES.name, [b"not an event", misplaced.to_bytes()], key=b"x")
    await h.tick(date(2026, 2, 2))
    assert await h.val("SELECT today FROM clock") == date(2026, 2, 2)
    assert await h.val("SELECT count(*) FROM processed_events") == 1
    dead = await eventually(lambda: _two(read_from(kafka, dead_start)), timeout=WAIT)
    assert [header(r, "dlt-code") for r in dead] == ["not_json", "unexpected_type"]
    assert {header(r, "dlt-topic") for r in dead} == {RESPONSES.name}


async def _two(records):
    found = await records
    return found if len(found) >= 2 else None


async def _one(records):
    found = await records
    return found if len(found) >= 1 else None
