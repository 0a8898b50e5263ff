"""The pipeline benchmark's phases: the aiokafka baseline, the sustained rate through the
three services, slip-to-inbox latency under load (with where the time goes) and the
rebuilds from the log. See ``bench.pipeline`` for what each one measures."""

from __future__ import annotations

import asyncio
import contextlib
import math
import statistics
import time
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench import pipeline_anchor as anchor
from bench.pipeline_rig import ON_TRACK_FROM, SYSTEM, TODAY, Inbox, Pipeline, paused, send, setup, wait_for
from services.accountability.handlers import INPUTS as ACCOUNTABILITY_INPUTS
from services.accountability.replay import compare as compare_accountability
from services.accountability.replay import read_log
from services.accountability.replay import rebuild as rebuild_accountability
from services.accountability.settings import AccountabilitySettings
from services.actions.rebuild import rebuild_and_compare
from services.platform.topics import ensure_topics
from shared.reference import ReferenceData
from shared.settings import DEFAULT_REFERENCE_DATA
from tests.infra import create_database
from tests.samples import progress
from tools.stack import Stack


@dataclass(frozen=True)
class Parameters:
    """The command's options; written to the results as they were given."""

    raw_messages: int
    actions: int
    updates: int
    slips: int
    load: float
    spacing: float
    log_level: str
    alone: int = 2000  # events for accountability alone and for notifications alone
    volume: int = 0  # updates for the peak-memory phase (0: none)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile: with fewer than 100 samples the 99th is the largest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


async def baseline(bootstrap: str, messages: int, sample: bytes) -> dict[str, Any]:
    topic = f"bench.raw.{uuid.uuid4().hex[:6]}"
    await ensure_topics(bootstrap, [topic])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        # One message first, so the timing holds sending only, not waiting for a new topic's metadata.
        await producer.send_and_wait(topic, sample, key=b"warm-up")
        t0 = time.perf_counter()
        for i in range(messages):
            await producer.send(topic, sample, key=f"a-{i % 500}".encode())
        await producer.flush()
        produce_s = time.perf_counter() - t0
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"raw-{topic}",
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        seen, t0 = 0, time.perf_counter()
        while seen < messages + 1:
            batch = await consumer.getmany(timeout_ms=500, max_records=1000)
            seen += sum(len(v) for v in batch.values())
        consume_s = time.perf_counter() - t0
    finally:
        await consumer.stop()
    return {"messages": messages, "message_bytes": len(sample), "topic": topic,
            "produce_per_s": round(messages / produce_s), "consume_per_s": round(messages / consume_s)}


async def sustained(p: Pipeline, ids: list[str], updates: int) -> dict[str, Any]:
    before = await p.actions_db.fetchval("SELECT count(*) FROM action_events")
    total = len(ids) * updates
    posting = time.perf_counter()
    with paused(p, "actions"):  # it finds every update waiting, as the sink does
        for step in range(1, updates + 1):
            for action_id in ids:
                await send(p.producer, p.inbound, progress(action_id=action_id, system=SYSTEM,
                                                           percent=ON_TRACK_FROM + step, as_of=TODAY))
        await p.producer.flush()
    t0 = posted = time.perf_counter()
    actions_done = await wait_for(
        lambda: p.actions_db.fetchval("SELECT count(*) >= $1 FROM action_events", before + total),
        "the actions service persists every update", 600)
    judged = await wait_for(lambda: p.versions_reached(ids, 1 + updates), "accountability judges every update",
                            600)
    refused = await p.actions_db.fetchval(
        "SELECT count(*) FROM action_events WHERE outcome = 'refused' AND action_id = ANY($1::text[])", ids)
    return {
        "updates": total, "actions": len(ids), "refused": refused,
        "posting_seconds": round(posted - posting, 2),
        "actions_persisted_seconds": round(actions_done - t0, 2),
        "actions_persisted_per_s": round(total / (actions_done - t0), 1),
        "all_judged_seconds": round(judged - t0, 2),
        "pipeline_per_s": round(total / (judged - t0), 1),
    }


async def latency(p: Pipeline, inbox: Inbox, background_ids: list[str], slip_ids: list[str], load: float,
                  spacing: float, start_percent: float) -> dict[str, Any]:
    stop = asyncio.Event()
    background_sent = 0
    background_started = time.perf_counter()

    async def background() -> None:
        nonlocal background_sent
        next_at = time.perf_counter()
        i = 0
        while not stop.is_set():
            action_id = background_ids[i % len(background_ids)]
            # The same on-track percentage again: accepted (not a decrease), a new version, judged.
            await send(p.producer, p.inbound, progress(action_id=action_id, system=SYSTEM, percent=start_percent,
                                                       as_of=TODAY))
            background_sent += 1
            i += 1
            next_at += 1 / load
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

    loader = asyncio.create_task(background()) if load > 0 else None
    await asyncio.sleep(3.0)  # the load is steady before the first slip
    sent_at: dict[str, float] = {}
    t_start = time.perf_counter()
    for action_id in slip_ids:
        event = progress(action_id=action_id, system=SYSTEM, percent=5, as_of=TODAY, milestones_missed=["m1"])
        sent_at[action_id] = time.time()
        await (await p.producer.send(p.inbound, event.to_bytes(), key=action_id.encode()))
        await asyncio.sleep(spacing)
    try:
        # Two minutes at most; a slip whose email never came is reported as missing.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(120):
                # The SMTP server's own thread fills the inbox: there is no event to await here.
                while len(inbox.arrivals) < len(slip_ids):  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
    finally:
        stop.set()
        if loader is not None:
            await loader
    background_seconds = time.perf_counter() - background_started
    missing = sorted(set(slip_ids) - set(inbox.arrivals))
    delays = [inbox.arrivals[a] - sent_at[a] for a in slip_ids if a in inbox.arrivals]
    stages = await stage_breakdown(p, [a for a in slip_ids if a in inbox.arrivals], sent_at, inbox)
    return {
        "slips": len(slip_ids), "arrived": len(delays), "missing": missing[:10], "other_emails": inbox.other,
        "background_load_per_s": load, "background_updates_sent": background_sent,
        "background_achieved_per_s": round(background_sent / background_seconds, 1) if load > 0 else 0,
        "measuring_seconds": round(time.perf_counter() - t_start, 1),
        "slip_spacing_s": spacing,
        "median_ms": ms(statistics.median(delays)) if delays else None,
        "p99_ms": ms(percentile(delays, 99)) if delays else None,
        "min_ms": ms(min(delays)) if delays else None,
        "max_ms": ms(max(delays)) if delays else None,
        "mean_ms": ms(statistics.fmean(delays)) if delays else None,
        "stages": stages,
    }


async def stage_breakdown(p: Pipeline, ids: list[str], sent_at: dict[str, float], inbox: Inbox) -> dict[str, Any]:
    """Where the time goes, from the services' own rows. PostgreSQL's now() is the start of the
    writing transaction, on the same machine's clock as the bench."""
    if not ids:
        return {"median_ms": {}, "mean_ms": {}}
    persisted = {r["action_id"]: r["at"] for r in await p.actions_db.fetch(
        """SELECT action_id, extract(epoch FROM received_at)::float8 AS at FROM action_events
           WHERE action_id = ANY($1::text[]) AND type = 'progress.reported'""", ids)}
    raised = {r["key"]: (r["created"], r["published"]) for r in await p.accountability_db.fetch(
        """SELECT key, extract(epoch FROM created_at)::float8 AS created,
                  extract(epoch FROM published_at)::float8 AS published
           FROM outbox WHERE key = ANY($1::text[])
             AND convert_from(payload, 'UTF8')::jsonb->>'type' = 'escalation.raised'""", ids)}
    claimed = {r["about"]: (r["claimed"], r["sent"]) for r in await p.notifications_db.fetch(
        """SELECT n.about, extract(epoch FROM min(d.at))::float8 AS claimed,
                  extract(epoch FROM n.sent_at)::float8 AS sent
           FROM notices n JOIN delivery_log d USING (notice_id)
           WHERE n.about = ANY($1::text[]) AND n.recipient = $2 AND n.reminds IS NULL
           GROUP BY n.about, n.sent_at""", [f"{a}/escalation-1" for a in ids], p.leader)}
    legs: dict[str, list[float]] = {k: [] for k in (
        "post_to_actions_persisted", "actions_to_escalation_decided", "escalation_decided_to_published",
        "published_to_notice_claimed", "notice_claimed_to_smtp_accepted")}
    for a in ids:
        if a not in persisted or a not in raised or f"{a}/escalation-1" not in claimed:
            continue
        created, published = raised[a]
        claim, _ = claimed[f"{a}/escalation-1"]
        legs["post_to_actions_persisted"].append(persisted[a] - sent_at[a])
        legs["actions_to_escalation_decided"].append(created - persisted[a])
        legs["escalation_decided_to_published"].append(published - created)
        legs["published_to_notice_claimed"].append(claim - published)
        legs["notice_claimed_to_smtp_accepted"].append(inbox.arrivals[a] - claim)
    # Each action's legs add up to its latency, so the means add up to the mean; the medians do not.
    return {"median_ms": {k: ms(statistics.median(v)) for k, v in legs.items() if v},
            "mean_ms": {k: ms(statistics.fmean(v)) for k, v in legs.items() if v}}


async def rebuild(p: Pipeline) -> dict[str, Any]:
    reference = ReferenceData.load(DEFAULT_REFERENCE_DATA)
    events = await p.actions_db.fetchval("SELECT count(*) FROM action_events WHERE outcome = 'accepted'")
    t0 = time.perf_counter()
    actions = await rebuild_and_compare(p.actions_db, reference)
    actions_s = time.perf_counter() - t0

    into = await create_database(p.stack.postgres_url)
    settings = AccountabilitySettings(kafka_bootstrap_servers=p.stack.kafka_bootstrap, database_url=into,
                                      log_level="WARNING")
    # Reading the log alone, merged as the replay merges it: how much of the replay is Kafka.
    t0 = time.perf_counter()
    records = 0
    async for _ in read_log(settings, list(ACCOUNTABILITY_INPUTS)):
        records += 1
    read_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = await rebuild_accountability(settings, into)
    replay_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    differences = await compare_accountability(p.stack.database_urls["accountability"], into)
    compare_s = time.perf_counter() - t0
    return {
        "actions": {"events": events, "actions": actions.rebuilt, "seconds": round(actions_s, 3),
                    "events_per_s": round(events / actions_s) if actions_s else None,
                    "identical": actions.identical, "differences": list(actions.differences.items())[:5]},
        "accountability": {"events": report.events, "invalid": report.invalid, "failed": report.failed[:5],
                           "replay_seconds": round(replay_s, 3),
                           "of_which_reading_the_log_seconds": round(read_s, 3), "log_records": records,
                           "events_per_s": round(report.events / replay_s) if replay_s else None,
                           "compare_seconds": round(compare_s, 3), "identical": not differences,
                           "differences": differences[:5]},
    }


async def measure(stack: Stack, inbox: Inbox, args: Parameters, run_id: str) -> dict[str, Any]:
    sample = progress(action_id=f"bench-{run_id}-t-0", percent=ON_TRACK_FROM, as_of=TODAY).to_bytes()
    result: dict[str, Any] = {"baseline": await baseline(stack.kafka_bootstrap, args.raw_messages, sample)}
    raw_topic = result["baseline"].pop("topic")
    result["raw_consume"] = await anchor.raw_consume(stack.kafka_bootstrap, raw_topic, args.raw_messages + 1)
    result["sink"] = await anchor.sink(stack.kafka_bootstrap, stack.postgres_url, raw_topic, args.raw_messages + 1)
    throughput_ids = [f"bench-{run_id}-t-{i}" for i in range(args.actions)]
    alone_ids = [f"bench-{run_id}-a-{i}" for i in range(max(1, args.alone // max(1, args.updates)))]
    slip_ids = [f"bench-{run_id}-slip-{i}" for i in range(args.slips)]
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, enable_idempotence=True, linger_ms=5)
    await producer.start()
    conns = [await asyncpg.connect(stack.database_urls[s]) for s in ("actions", "accountability", "notifications")]
    try:
        actions_db, accountability_db, notifications_db = conns
        p = Pipeline(stack, producer, actions_db, accountability_db, notifications_db, run_id=run_id,
                     leader=f"p-bench-{run_id}")
        t0 = time.perf_counter()
        await setup(p, throughput_ids + alone_ids + slip_ids)
        result["setup_seconds"] = round(time.perf_counter() - t0, 2)
        memory = {"after_setup": anchor.memory(p)}
        result["sustained"] = await sustained(p, throughput_ids, args.updates)
        memory["after_sustained"] = anchor.memory(p)
        await p.quiet()
        result["accountability_alone"] = await anchor.accountability_alone(p, alone_ids, args.updates)
        await p.quiet()
        result["latency"] = await latency(p, inbox, throughput_ids, slip_ids, args.load, args.spacing,
                                          ON_TRACK_FROM + args.updates)
        memory["after_latency"] = anchor.memory(p)
        await p.quiet()
        result["rebuild"] = await rebuild(p)
        result["notifications_alone"] = await anchor.notifications_alone(p, args.alone)
        memory["after_notifications_alone"] = anchor.memory(p)
        if args.volume:
            await p.quiet()
            result["volume"] = await anchor.volume(p, throughput_ids, args.volume)
        result["peak_memory_mb"] = memory
    finally:
        await producer.stop()
        for conn in conns:
            await conn.close()
    return result
