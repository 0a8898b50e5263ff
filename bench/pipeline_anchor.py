"""The pipeline benchmark's anchor and the phases measured against it (issue 14).

- **raw consume**: a new consumer group reads the baseline topic, timed from before it joins the
  group (``consumer.start()``, the join and the first fetch included) and from its first record;
- **the bare sink**, the anchor every ratio divides by: ``getmany`` (500 records / 20 ms, as the
  services' batch subscribers), then one keyed ``INSERT ... SELECT FROM unnest(...) ON CONFLICT DO
  NOTHING`` per batch in its own transaction, then the offset commit: durable and idempotent, no
  rules. It is the honest ceiling for a Python consumer keeping its state in PostgreSQL;
- **accountability alone**: action snapshots posted straight to ``actions.changes`` while the service
  is paused (``paused``: it finds them waiting, as the sink does), timed from when it goes on until
  every one is judged;
- **notifications alone**: escalations posted straight to ``accountability.events`` while the service
  is paused, timed from when it goes on until every one is applied (its notices made; sending them is
  the dispatcher's, outside the measure);
- **peak memory**: each service process's high-water mark of resident memory (``VmHWM``).
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer

from bench.pipeline_rig import SYSTEM, TODAY, Pipeline, paused, send, wait_for
from shared.contracts import events as ev
from shared.contracts.topics import ACCOUNTABILITY, ACTION_CHANGES, Groups
from tests.infra import create_database
from tests.samples import progress

BATCH = 500
WAIT_MS = 20


async def raw_consume(bootstrap: str, topic: str, messages: int) -> dict[str, Any]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"raw2-{uuid.uuid4().hex[:6]}",
                                auto_offset_reset="earliest", enable_auto_commit=False)
    t0 = time.perf_counter()
    await consumer.start()
    first: float | None = None
    seen = 0
    try:
        while seen < messages:
            batch = await consumer.getmany(timeout_ms=500, max_records=1000)
            got = sum(len(v) for v in batch.values())
            if got and first is None:
                first = time.perf_counter()
            seen += got
        done = time.perf_counter()
    finally:
        await consumer.stop()
    assert first is not None
    return {"messages": seen, "with_join_per_s": round(seen / (done - t0)),
            "from_first_record_per_s": round(seen / (done - first)), "join_seconds": round(first - t0, 3)}


async def sink(bootstrap: str, postgres_url: str, topic: str, messages: int) -> dict[str, Any]:
    """The bare sink over the baseline topic, timed as the raw consume is (join included)."""
    url = await create_database(postgres_url)
    db = await asyncpg.connect(url)
    await db.execute("CREATE TABLE sink (event_id UUID PRIMARY KEY, key TEXT, payload BYTEA NOT NULL)")
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"sink-{uuid.uuid4().hex[:6]}",
                                auto_offset_reset="earliest", enable_auto_commit=False)
    t0 = time.perf_counter()
    await consumer.start()
    stored = batches = 0
    try:
        while stored < messages:
            fetched = await consumer.getmany(timeout_ms=WAIT_MS, max_records=BATCH)
            records = [r for part in fetched.values() for r in part]
            if not records:
                continue
            ids = [uuid.UUID(json.loads(r.value)["event_id"]) for r in records]
            async with db.transaction():
                await db.execute(
                    "INSERT INTO sink (event_id, key, payload) SELECT * FROM unnest($1::uuid[], $2::text[],"
                    " $3::bytea[]) ON CONFLICT DO NOTHING",
                    ids, [(r.key or b"").decode() for r in records], [r.value for r in records])
            await consumer.commit()
            stored += len(records)
            batches += 1
        done = time.perf_counter()
    finally:
        await consumer.stop()
        await db.close()
    return {"messages": stored, "batches": batches, "per_s": round(stored / (done - t0))}


async def accountability_alone(p: Pipeline, ids: list[str], updates: int) -> dict[str, Any]:
    """Snapshots one version on from what accountability holds, ``updates`` per action, posted
    straight to ``actions.changes``; timed until accountability has judged the last of each."""
    rows = await p.accountability_db.fetch("SELECT action_id, snapshot FROM actions WHERE action_id = ANY($1::text[])",
                                           ids)
    current = {r["action_id"]: ev.ActionSnapshot.model_validate_json(r["snapshot"]) for r in rows}
    events = []
    for step in range(1, updates + 1):
        for snap in current.values():
            later = snap.model_copy(update={"version": snap.version + step})
            events.append(ev.ActionChanged.new(source=Groups.ACTIONS, subject=snap.action_id, data=ev.ActionChange(
                snapshot=later, cause_type="progress.reported", changed=["percent_complete"])))
    top = {aid: snap.version + updates for aid, snap in current.items()}
    with paused(p, "accountability"):
        for event in events:
            await send(p.producer, ACTION_CHANGES.name, event)
        await p.producer.flush()
    t0 = time.perf_counter()
    done = await wait_for(lambda: p.versions_at_least(top), "accountability judges every snapshot", 900)
    return {"events": len(events), "seconds": round(done - t0, 2), "per_s": round(len(events) / (done - t0), 1)}


async def notifications_alone(p: Pipeline, count: int) -> dict[str, Any]:
    """``count`` escalations, each about a different action, to the bench leader; timed until the
    notifications service has applied every one (made its notices)."""
    before = await p.notifications_db.fetchval("SELECT count(*) FROM processed_events")
    events = []
    for i in range(count):
        action_id = f"bench-{p.run_id}-n-{i}"
        events.append(ev.EscalationRaised.new(source=Groups.ACCOUNTABILITY, subject=action_id, data=ev.EscalationStep(
            escalation_id=f"{action_id}/escalation-1", action_id=action_id, system=SYSTEM,
            action_title=f"Bench {action_id}", step=ev.LadderStep.LEADER_ASKED, previous_step=None, reasons=[],
            recipients=[p.leader], respond_by=TODAY)))
    with paused(p, "notifications"):
        for event in events:
            await send(p.producer, ACCOUNTABILITY.name, event)
        await p.producer.flush()
    t0 = time.perf_counter()
    done = await wait_for(lambda: p.notifications_db.fetchval("SELECT count(*) >= $1 FROM processed_events",
                                                              before + count),
                          "notifications applies every escalation", 900)
    return {"events": count, "seconds": round(done - t0, 2), "per_s": round(count / (done - t0), 1)}


def peak_memory_mb(pid: int) -> float | None:
    """The process's high-water mark of resident memory (``VmHWM``), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def memory(p: Pipeline) -> dict[str, float | None]:
    return {name: peak_memory_mb(process.popen.pid) if process.popen else None
            for name, process in p.stack.services.items()}


async def volume(p: Pipeline, ids: list[str], total: int, first_mark: int = 10_000) -> dict[str, Any]:
    """``total`` progress updates through all three services, round the throughput actions; each
    service's peak memory once ``first_mark`` are judged and again once all are."""
    stored = dict(await p.accountability_db.fetch(
        "SELECT action_id, version FROM actions WHERE action_id = ANY($1::text[])", ids))
    percent = 90.0
    marks: dict[str, Any] = {}
    t0 = time.perf_counter()
    sent = 0
    while sent < total:
        for action_id in ids[: total - sent]:
            await p.producer.send(p.inbound, progress(action_id=action_id, system=SYSTEM, percent=percent,
                                                      as_of=TODAY).to_bytes(), key=action_id.encode())
            stored[action_id] += 1
            sent += 1
        if first_mark and sent >= first_mark and "first" not in marks:
            await p.producer.flush()
            await wait_for(lambda: p.versions_at_least(stored), "the first mark judged", 900)
            marks["first"] = {"events": sent, "memory_mb": memory(p)}
    await p.producer.flush()
    done = await wait_for(lambda: p.versions_at_least(stored), "every update judged", 3600)
    marks["last"] = {"events": sent, "memory_mb": memory(p)}
    return {"events": total, "seconds": round(done - t0, 1), "per_s": round(total / (done - t0), 1), **marks}
