"""The actions service against the real broker and database."""

from __future__ import annotations

import json
import uuid
from contextlib import asynccontextmanager
from datetime import date

import asyncpg
import pytest
from faststream import TestApp

from services.actions.app import build
from services.actions.conformance import check
from services.actions.rebuild import rebuild_and_compare
from services.actions.settings import ActionsSettings
from shared.contracts import events as ev
from shared.contracts import parse_event
from shared.contracts.topics import ACTION_CHANGES, system_feedback, system_inbound
from tests.infra import api_client
from tests.kafka_tools import collect, eventually, header, produce
from tests.samples import commitment, integrator_mistakes, progress
from tools.asyncapi import DOCS

pytestmark = pytest.mark.integration
SYS = "black-country"
WAIT = 60  # generous: the machine is shared and a consumer group may be rebalancing


def new_id() -> str:
    return f"bc-{uuid.uuid4().hex[:10]}"


@asynccontextmanager
async def running_actions(kafka: str, database_url: str):
    app = build(ActionsSettings(kafka_bootstrap_servers=kafka, database_url=database_url))
    async with TestApp(app):
        yield app


async def post(kafka: str, *events: ev.Event, system: str = SYS) -> None:
    await produce(kafka, system_inbound(system), [e.to_bytes() for e in events], key=events[0].subject.encode())


async def db_rows(database_url: str, sql: str, *args):
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def version_of(database_url: str, action_id: str) -> int | None:
    rows = await db_rows(database_url, "SELECT version FROM actions WHERE action_id = $1", action_id)
    return rows[0]["version"] if rows else None


async def changes_for(kafka: str, action_id: str, count: int) -> list[ev.ActionChanged]:
    records = await collect(kafka, ACTION_CHANGES.name,
                            lambda rs: sum(r.key == action_id.encode() for r in rs) >= count, timeout=WAIT)
    return [parse_event(r.value) for r in records if r.key == action_id.encode()]


async def feedback_for(kafka: str, action_id: str, count: int, system: str = SYS) -> list[ev.InputRejected]:
    records = await collect(kafka, system_feedback(system),
                            lambda rs: sum(r.key == action_id.encode() for r in rs) >= count, timeout=WAIT)
    return [parse_event(r.value) for r in records if r.key == action_id.encode()]


async def test_commitment_and_progress_are_stored_and_announced_for_accountability(kafka, topics, database_url):
    aid = new_id()
    made, update = commitment(action_id=aid), progress(action_id=aid, percent=35, milestones_reached=["m1"])
    async with running_actions(kafka, database_url):
        await post(kafka, made, update)
        await eventually(lambda: version_of(database_url, aid), timeout=WAIT)
        await eventually(lambda: _is(version_of(database_url, aid), 2), timeout=WAIT)
        changes = await changes_for(kafka, aid, 2)
    assert [c.data.cause_type for c in changes] == ["commitment.made", "progress.reported"]
    assert changes[1].data.snapshot.percent_complete == 35
    assert changes[1].data.snapshot.milestones[0].state == "reached"
    assert changes[1].causation_id == update.event_id
    assert changes[1].correlation_id == update.correlation_id


async def _is(awaitable, expected) -> bool:
    return (await awaitable) == expected


async def test_each_kind_of_system_event_changes_the_action(kafka, topics, database_url):
    aid = new_id()
    d = date(2026, 5, 1)
    events = [
        commitment(action_id=aid),
        ev.CommitmentAmended.new(source=SYS, subject=aid, data=ev.Amendment(
            action_id=aid, reason="chair changed", accountable_leader="p-new")),
        ev.MilestoneMissed.new(source=SYS, subject=aid,
                               data=ev.MilestoneOutcome(action_id=aid, milestone_id="m1", on=d)),
        ev.MeasureRecorded.new(source=SYS, subject=aid, data=ev.MeasureReading(action_id=aid, value=1.4, as_of=d)),
        progress(action_id=aid, percent=60, as_of=d),
        ev.ActionCompleted.new(source=SYS, subject=aid, data=ev.Completion(action_id=aid, on=d)),
    ]
    async with running_actions(kafka, database_url):
        await post(kafka, *events)
        await eventually(lambda: _is(version_of(database_url, aid), len(events)), timeout=WAIT)
    rows = await db_rows(database_url, "SELECT snapshot FROM actions WHERE action_id = $1", aid)
    snap = ev.ActionSnapshot.model_validate_json(rows[0]["snapshot"])
    assert snap.lifecycle == "completed" and snap.accountable_leader == "p-new"
    assert snap.milestones[0].state == "missed" and snap.measure_values[0].value == 1.4
    withdrawn_id = new_id()
    async with running_actions(kafka, database_url):
        await post(kafka, commitment(action_id=withdrawn_id), ev.ActionWithdrawn.new(
            source=SYS, subject=withdrawn_id, data=ev.Withdrawal(action_id=withdrawn_id, on=d, reason="merged")))
        await eventually(lambda: _is(version_of(database_url, withdrawn_id), 2), timeout=WAIT)


@pytest.mark.parametrize(("bad", "code"), [
    (lambda aid: progress(action_id=aid, percent=140), "percent_out_of_range"),
    (lambda aid: progress(action_id=aid, percent=10, as_of=date(2026, 4, 2)), "progress_went_backwards"),
    (lambda aid: progress(action_id=aid, percent=50, as_of=date(2026, 3, 1)), "late_update"),
    (lambda aid: progress(action_id=aid, percent=50, milestones_reached=["m1"], as_of=date(2026, 4, 5)),
     "milestone_already_settled"),
    (lambda aid: commitment(action_id=aid), "duplicate_action"),
    (lambda aid: commitment(action_id=aid + "-x", action_point="AP42"), "unknown_action_point"),
    (lambda aid: commitment(action_id=aid + "-y", due_date=date(2025, 1, 1)), "incoherent_dates"),
    (lambda aid: commitment(action_id=aid + "-z", milestones=[
        ev.Milestone(milestone_id="m", title="a", due=date(2026, 2, 1)),
        ev.Milestone(milestone_id="m", title="b", due=date(2026, 3, 1))]), "duplicate_milestone"),
])
async def test_bad_input_is_refused_to_the_sender_with_its_code_and_the_service_goes_on(
        kafka, topics, database_url, bad, code):
    aid = new_id()
    refused = bad(aid)
    after = progress(action_id=aid, percent=45, as_of=date(2026, 4, 10))
    async with running_actions(kafka, database_url):
        await post(kafka, commitment(action_id=aid), progress(action_id=aid, percent=30, milestones_reached=["m1"]))
        await post(kafka, refused)
        await post(kafka, after)
        await eventually(lambda: _is(version_of(database_url, aid), 3), timeout=WAIT)
        rejections = await feedback_for(kafka, refused.subject, 1)
    assert [r.data.code for r in rejections] == [code]
    assert rejections[0].data.rejected_event_id == refused.event_id
    audit = await db_rows(database_url, "SELECT outcome, code FROM action_events WHERE event_id = $1",
                          refused.event_id)
    assert [tuple(r) for r in audit] == [("refused", code)]


async def test_progress_on_withdrawn_action_is_refused(kafka, topics, database_url):
    aid = new_id()
    async with running_actions(kafka, database_url):
        await post(kafka, commitment(action_id=aid), ev.ActionWithdrawn.new(
            source=SYS, subject=aid, data=ev.Withdrawal(action_id=aid, on=date(2026, 2, 1), reason="merged")),
            progress(action_id=aid))
        rejections = await feedback_for(kafka, aid, 1)
    assert rejections[0].data.code == "action_closed"


async def test_not_json_is_dead_lettered_and_the_sender_told(kafka, topics, database_url):
    aid = new_id()
    async with running_actions(kafka, database_url):
        await produce(kafka, system_inbound(SYS), [b'{"subject": "' + aid.encode() + b'", "type": 3'], key=aid.encode())
        await post(kafka, commitment(action_id=aid))
        await eventually(lambda: version_of(database_url, aid), timeout=WAIT)
    dead = await collect(kafka, "actions.deadletter", lambda rs: any(r.key == aid.encode() for r in rs), timeout=WAIT)
    mine = [r for r in dead if r.key == aid.encode()]
    assert header(mine[0], "dlt-code") == "not_json"
    told = await collect(kafka, system_feedback(SYS), lambda rs: any(r.key == b"unknown" for r in rs), timeout=WAIT)
    assert any(json.loads(r.value)["data"]["code"] == "not_json" for r in told)


async def test_redelivered_event_changes_nothing(kafka, topics, database_url):
    aid = new_id()
    made, update = commitment(action_id=aid), progress(action_id=aid, percent=20)
    async with running_actions(kafka, database_url):
        await post(kafka, made, update, update, made)
        await eventually(lambda: _is(version_of(database_url, aid), 2), timeout=WAIT)
        later = progress(action_id=aid, percent=25, as_of=date(2026, 4, 20))
        await post(kafka, later)
        await eventually(lambda: _is(version_of(database_url, aid), 3), timeout=WAIT)
        assert len(await changes_for(kafka, aid, 3)) == 3
    audit = await db_rows(database_url, "SELECT count(*) AS n FROM action_events WHERE action_id = $1", aid)
    assert audit[0]["n"] == 3
    # Everything announced goes through the outbox, once per accepted change.
    announced = await db_rows(database_url, "SELECT count(*) AS n FROM outbox WHERE key = $1", aid)
    assert announced[0]["n"] == 3


async def test_a_system_posting_as_another_is_refused_and_recorded_as_a_security_event(kafka, topics, database_url):
    aid = new_id()
    forged = progress(action_id=aid, system="lincolnshire")
    async with running_actions(kafka, database_url):
        await post(kafka, commitment(action_id=aid))
        await eventually(lambda: version_of(database_url, aid), timeout=WAIT)
        # Lincolnshire writes to its own topic, about Black Country's action:
        await post(kafka, forged, system="lincolnshire")
        # and on its own topic claims to be Black Country:
        claims = progress(action_id=aid, percent=90, as_of=date(2026, 4, 3))
        await post(kafka, claims, system="lincolnshire")
        rejections = await feedback_for(kafka, aid, 2, system="lincolnshire")
    assert sorted(r.data.code for r in rejections) == ["forged_source", "not_your_action"]
    rows = await db_rows(database_url, "SELECT code FROM action_events WHERE security ORDER BY seq")
    assert [r["code"] for r in rows] == ["not_your_action", "forged_source"]
    assert await version_of(database_url, aid) == 1


async def test_state_rebuilt_from_the_audit_trail_equals_the_live_state(kafka, topics, database_url, reference):
    ids = [new_id() for _ in range(3)]
    async with running_actions(kafka, database_url):
        for i, aid in enumerate(ids):
            await post(kafka, commitment(action_id=aid), progress(action_id=aid, percent=10 * (i + 1)),
                       progress(action_id=aid, percent=150))
        await eventually(lambda: _all_at(database_url, ids, 2), timeout=WAIT)
    conn = await asyncpg.connect(database_url)
    try:
        report = await rebuild_and_compare(conn, reference)
        assert report.identical and report.rebuilt == 3
        await conn.execute("UPDATE actions SET snapshot = jsonb_set(snapshot, '{percent_complete}', '99')"
                           " WHERE action_id = $1", ids[0])
        report = await rebuild_and_compare(conn, reference)
        assert list(report.differences) == [ids[0]]
    finally:
        await conn.close()


async def _all_at(database_url: str, ids: list[str], version: int) -> bool:
    return all([await version_of(database_url, a) == version for a in ids])


async def test_two_instances_share_the_partitions_with_no_duplicate_effect(kafka, topics, database_url):
    ids = [new_id() for _ in range(12)]
    async with running_actions(kafka, database_url) as first, running_actions(kafka, database_url) as second:
        for aid in ids:
            await post(kafka, commitment(action_id=aid), progress(action_id=aid, percent=20))
        await eventually(lambda: _all_at(database_url, ids, 2), timeout=WAIT)
        assigned = [
            {tp.partition for tp in sub.consumer.assignment()} if sub.consumer else set()
            for app in (first, second) for sub in app.broker.subscribers
        ]
    audit = await db_rows(database_url, "SELECT count(*) AS n FROM action_events")
    assert audit[0]["n"] == 24
    assert all(assigned), f"each instance should own some partitions: {assigned}"


async def test_read_api_filters_actions_and_shows_history(kafka, topics, database_url):
    aid = new_id()
    async with running_actions(kafka, database_url) as app:
        await post(kafka, commitment(action_id=aid), progress(action_id=aid, percent=140))
        await eventually(lambda: _audit_count(database_url, aid, 2), timeout=WAIT)
        async with api_client(app, "http://t") as http:
            listed = (await http.get("/actions", params={"system": SYS, "action_point": "AP3"})).json()
            one = (await http.get("/action", params={"id": aid})).json()
            missing = await http.get("/action", params={"id": "nope"})
            bad = await http.get("/actions", params={"status": "sideways"})
            ready = await http.get("/ready")
    assert aid in [a["action_id"] for a in listed["actions"]]
    assert [h["outcome"] for h in one["history"]] == ["accepted", "refused"]
    assert one["history"][1]["code"] == "percent_out_of_range"
    assert missing.status_code == 404 and bad.status_code == 400 and ready.status_code == 200


async def _audit_count(database_url: str, aid: str, n: int) -> bool:
    rows = await db_rows(database_url, "SELECT count(*) AS n FROM action_events WHERE action_id = $1", aid)
    return rows[0]["n"] == n


def subject_of(raw: bytes) -> str:
    return json.loads(raw)["subject"]


async def post_raw(kafka: str, messages: list[bytes], system: str = SYS) -> None:
    for raw in messages:  # keyed by the action, as the documents ask
        await produce(kafka, system_inbound(system), [raw], key=subject_of(raw).encode())


async def test_the_published_examples_are_accepted_by_the_service_exactly_as_published(kafka, topics, database_url):
    document = json.loads((DOCS / "actions.json").read_text())
    names = document["channels"]["actionsInbound"]["messages"]
    examples = sorted((e["payload"] for n in names for e in document["components"]["messages"][n]["examples"]),
                      key=lambda p: p["occurred_at"])
    async with running_actions(kafka, database_url):
        await post_raw(kafka, [json.dumps(e).encode() for e in examples])
        await eventually(lambda: _is(version_of(database_url, "bc-ap2-1"), 2), timeout=WAIT)
        await eventually(lambda: _is(version_of(database_url, "bc-ap3-1"), 7), timeout=WAIT)
    audit = await db_rows(database_url, "SELECT event_id::text AS id, outcome FROM action_events")
    assert {r["id"]: r["outcome"] for r in audit} == {e["event_id"]: "accepted" for e in examples}


async def test_the_check_command_gives_the_services_own_answer_to_each_message(kafka, topics, database_url, reference):
    mistakes = [m for m in integrator_mistakes() if m.posted_as == SYS]  # a guessed system has no topic to post to
    aid = new_id()
    messages = [*(m.broken for m in mistakes), *(m.fixed for m in mistakes),
                commitment(action_id=aid).to_bytes(), progress(action_id=aid, percent=140).to_bytes()]
    verdicts = check(messages, reference, system=SYS)
    assert [v.code for v in verdicts if v.refused] == [*(m.code for m in mistakes), "percent_out_of_range"]
    async with running_actions(kafka, database_url):
        await post_raw(kafka, messages)
        refused = [subject_of(raw) for raw, v in zip(messages, verdicts, strict=True) if v.refused]
        told = await collect(kafka, system_feedback(SYS), lambda rs: {r.key.decode() for r in rs} >= set(refused),
                             timeout=WAIT)
        accepted = [json.loads(raw)["event_id"] for raw, v in zip(messages, verdicts, strict=True) if not v.refused]
        await eventually(lambda: _count_accepted(database_url, accepted), timeout=WAIT)
    answers = {r.key.decode(): json.loads(r.value)["data"] for r in told}
    for raw, verdict in zip(messages, verdicts, strict=True):
        if verdict.refused:
            answer = answers[subject_of(raw)]
            assert (answer["code"], answer["reason"]) == (verdict.code, verdict.reason)


async def _count_accepted(database_url: str, event_ids: list[str]) -> bool:
    rows = await db_rows(database_url, "SELECT count(*) AS n FROM action_events WHERE outcome = 'accepted' "
                                       "AND event_id::text = ANY($1::text[])", event_ids)
    return rows[0]["n"] == len(event_ids)
