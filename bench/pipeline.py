"""The end-to-end benchmark: the three services as real processes on the local stack.

    .venv/bin/python -m bench.pipeline [--actions 40] [--updates 15] [--slips 40] [--load 20]

In one run it measures:

1. **baseline**: raw aiokafka produce and consume rates of progress-update-sized messages
   on a topic of its own (3 partitions, like the project's topics);
2. **sustained rate through the pipeline**: ``actions x updates`` progress updates posted
   at full speed to ``actions.inbound.<system>``; the clock starts before the first send and
   stops when the accountability service has judged every one of them, i.e. every action's
   row in accountability's database carries the snapshot version of its last update
   (snapshots of one action arrive in order, and each is judged in the transaction that
   stores it). The time the actions service needed to persist them is reported beside it;
3. **slip-to-inbox latency**: under a steady background load of ``--load`` on-track updates
   per second, ``--slips`` updates that each report a milestone missed (each for a different
   action: the accountability rules make that off track at once, and the ladder raises an
   escalation to the accountable leader). Per action: wall time from just before the update
   is sent to the moment the leader's email is accepted by an SMTP server (aiosmtpd) running
   in this process; median and 99th percentile, with the median of each stage from the
   services' own database timestamps. The leader's notice is not grouped (only the SRO's,
   the chair's and the secretary's are), so no group wait applies; GROUP_WAIT_SECONDS is 0
   anyway, and no clock ticks are sent while measuring;
4. **rebuild from the log**: ``services.actions.rebuild.rebuild_and_compare`` on the
   actions database, and ``services.accountability.replay`` (read every input topic from the
   beginning, apply it through the same engine into a fresh database, then compare every
   table). The notifications service has no replay of its own.

It starts its own Kafka and PostgreSQL through ``tools.stack.running_stack`` (or uses
``KAFKA_BOOTSTRAP_SERVERS`` / ``POSTGRES_URL``). Prints a table and writes
bench/results/pipeline.json. No figure here is asserted anywhere.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import logging
import math
import os
import platform
import re
import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import typer
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiosmtpd.controller import Controller

from services.accountability.handlers import INPUTS as ACCOUNTABILITY_INPUTS
from services.accountability.replay import compare as compare_accountability
from services.accountability.replay import read_log
from services.accountability.replay import rebuild as rebuild_accountability
from services.actions.rebuild import rebuild_and_compare
from services.platform.topics import ensure_topics
from shared.contracts import events as ev
from shared.contracts.envelope import Event
from shared.contracts.topics import CLOCK, DIRECTORY, system_inbound
from shared.logging import configure_logging
from shared.reference import ReferenceData
from shared.settings import DEFAULT_REFERENCE_DATA, AccountabilitySettings
from tests.infra import create_database
from tests.samples import commitment, progress
from tools.kafka import kafka_version
from tools.ports import free_port
from tools.stack import Stack, running_stack

RESULTS = Path(__file__).with_name("results") / "pipeline.json"
SYSTEM = "black-country"
# The clock stands on a day before the sample commitment's milestone (31 March) is due and
# where its planned trajectory is about 9%: updates at 10% or more are on track, and only a
# reported missed milestone makes an action slip.
TODAY = date(2026, 2, 2)
NOW = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
ON_TRACK_FROM = 10.0


# ---- machine -----------------------------------------------------------------------------

def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = None
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory_gb = round(kb / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return {"cpu": model, "cores": os.cpu_count(), "memory_gb": memory_gb,
            "os": f"{platform.system()} {platform.release()} {platform.machine()}",
            "python": platform.python_version(), "kafka": kafka_version(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


# ---- the SMTP server that timestamps arrivals ---------------------------------------------

@dataclass
class Inbox:
    """aiosmtpd handler: the wall time each message arrived, by the bench action id it names."""

    pattern: re.Pattern[str]
    arrivals: dict[str, float] = field(default_factory=dict)
    other: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook
        at = time.time()
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = str(message["Subject"] or "")
        body = message.get_body(preferencelist=("plain",))
        if body is not None:
            text += "\n" + body.get_content()
        found = self.pattern.search(text)
        with self.lock:
            if found:
                self.arrivals.setdefault(found.group(0), at)  # a resend keeps the first arrival
            else:
                self.other += 1
        return "250 OK"


@contextmanager
def smtp_server(inbox: Inbox) -> Iterator[int]:
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


# ---- helpers ------------------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile: with fewer than 100 samples the 99th is the largest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


async def wait_for(check: Any, what: str, timeout: float, interval: float = 0.05) -> float:
    """Poll ``check()`` until truthy; return the perf_counter time it first held."""
    deadline = time.perf_counter() + timeout
    while True:
        if await check():
            return time.perf_counter()
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{what}: not reached within {timeout:.0f}s")
        await asyncio.sleep(interval)


async def send(producer: AIOKafkaProducer, topic: str, event: Event) -> None:
    await producer.send(topic, event.to_bytes(), key=event.subject.encode())


# ---- the phases ---------------------------------------------------------------------------

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
    return {"messages": messages, "message_bytes": len(sample),
            "produce_per_s": round(messages / produce_s), "consume_per_s": round(messages / consume_s)}


@dataclass
class Pipeline:
    stack: Stack
    producer: AIOKafkaProducer
    actions_db: asyncpg.Connection
    accountability_db: asyncpg.Connection
    notifications_db: asyncpg.Connection
    run_id: str
    leader: str

    @property
    def inbound(self) -> str:
        return system_inbound(SYSTEM)

    async def versions_reached(self, ids: list[str], version: int) -> bool:
        return await self.accountability_db.fetchval(
            "SELECT count(*) FROM actions WHERE action_id = ANY($1::text[]) AND version >= $2", ids, version
        ) == len(ids)

    async def quiet(self, seconds: float = 2.0, timeout: float = 120.0) -> None:
        """Wait until every service has stopped consuming and every outbox is empty."""
        async def snapshot() -> tuple[int, ...]:
            counts = []
            for conn in (self.actions_db, self.accountability_db, self.notifications_db):
                counts.append(await conn.fetchval("SELECT count(*) FROM processed_events"))
                counts.append(await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
            counts.append(await self.actions_db.fetchval("SELECT count(*) FROM action_events"))
            return tuple(counts)

        deadline = time.perf_counter() + timeout
        last, since = await snapshot(), time.perf_counter()
        while time.perf_counter() - since < seconds:
            if time.perf_counter() > deadline:
                raise TimeoutError("the services did not go quiet")
            await asyncio.sleep(0.25)
            now = await snapshot()
            if now != last:
                last, since = now, time.perf_counter()


async def setup(p: Pipeline, ids: list[str]) -> None:
    """The leader in the directory, the clock on TODAY, every action committed and judged."""
    person = ev.PersonUpdated.new(source="admin", subject=p.leader, data=ev.Person(
        person_id=p.leader, name="Bench Leader", email=f"{p.leader}@example.org", roles=["leader"],
        systems=[SYSTEM]))
    await send(p.producer, DIRECTORY.name, person)
    await send(p.producer, CLOCK.name, ev.ClockTicked.new(source="clock", subject="clock", data=ev.Tick(now=NOW)))
    await p.producer.flush()
    await wait_for(lambda: p.accountability_db.fetchval("SELECT today = $1 FROM clock", TODAY),
                   "accountability reads the clock", 60)
    await wait_for(lambda: p.notifications_db.fetchval("SELECT count(*) = 1 FROM people WHERE person_id = $1",
                                                       p.leader), "notifications knows the leader", 60)
    for action_id in ids:
        # The title carries the id, so the email's subject names the action.
        await send(p.producer, p.inbound, commitment(action_id=action_id, system=SYSTEM,
                                                     accountable_leader=p.leader, title=f"Bench {action_id}"))
    await p.producer.flush()
    await wait_for(lambda: p.versions_reached(ids, 1), "every commitment judged", 180)


async def sustained(p: Pipeline, ids: list[str], updates: int) -> dict[str, Any]:
    before = await p.actions_db.fetchval("SELECT count(*) FROM action_events")
    total = len(ids) * updates
    t0 = time.perf_counter()
    for step in range(1, updates + 1):
        for action_id in ids:
            await send(p.producer, p.inbound, progress(action_id=action_id, system=SYSTEM,
                                                       percent=ON_TRACK_FROM + step, as_of=TODAY))
    await p.producer.flush()
    posted = time.perf_counter()
    actions_done = await wait_for(
        lambda: p.actions_db.fetchval("SELECT count(*) >= $1 FROM action_events", before + total),
        "the actions service persists every update", 600)
    judged = await wait_for(lambda: p.versions_reached(ids, 1 + updates), "accountability judges every update",
                            600)
    refused = await p.actions_db.fetchval(
        "SELECT count(*) FROM action_events WHERE outcome = 'refused' AND action_id = ANY($1::text[])", ids)
    return {
        "updates": total, "actions": len(ids), "refused": refused,
        "posting_seconds": round(posted - t0, 2),
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
        deadline = time.perf_counter() + 120
        while len(inbox.arrivals) < len(slip_ids) and time.perf_counter() < deadline:
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
    throughput_ids = [f"bench-{run_id}-t-{i}" for i in range(args.actions)]
    slip_ids = [f"bench-{run_id}-slip-{i}" for i in range(args.slips)]
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, enable_idempotence=True, linger_ms=5)
    await producer.start()
    conns = [await asyncpg.connect(stack.database_urls[s]) for s in ("actions", "accountability", "notifications")]
    try:
        p = Pipeline(stack, producer, *conns, run_id=run_id, leader=f"p-bench-{run_id}")
        t0 = time.perf_counter()
        await setup(p, throughput_ids + slip_ids)
        result["setup_seconds"] = round(time.perf_counter() - t0, 2)
        result["sustained"] = await sustained(p, throughput_ids, args.updates)
        await p.quiet()
        result["latency"] = await latency(p, inbox, throughput_ids, slip_ids, args.load, args.spacing,
                                          ON_TRACK_FROM + args.updates)
        await p.quiet()
        result["rebuild"] = await rebuild(p)
    finally:
        await producer.stop()
        for conn in conns:
            await conn.close()
    return result


# ---- output -------------------------------------------------------------------------------

def table(r: dict[str, Any]) -> str:
    b, s, lat, rb = r["baseline"], r["sustained"], r["latency"], r["rebuild"]
    m = r["machine"]
    rows = [
        ("raw aiokafka produce", f"{b['produce_per_s']:,} msg/s", f"{b['messages']:,} x {b['message_bytes']} B"),
        ("raw aiokafka consume", f"{b['consume_per_s']:,} msg/s", "same messages, one consumer"),
        ("actions service persists", f"{s['actions_persisted_per_s']:,} upd/s",
         f"{s['updates']:,} updates in {s['actions_persisted_seconds']} s"),
        ("through all three services", f"{s['pipeline_per_s']:,} upd/s",
         f"until accountability judged all {s['updates']:,} ({s['all_judged_seconds']} s)"),
        ("slip -> email, median", f"{lat['median_ms']} ms",
         f"{lat['arrived']}/{lat['slips']} slips at {lat['background_achieved_per_s']} upd/s background"),
        ("slip -> email, p99", f"{lat['p99_ms']} ms", f"max {lat['max_ms']} ms, min {lat['min_ms']} ms"),
        ("rebuild actions", f"{rb['actions']['seconds']} s",
         f"{rb['actions']['events']:,} events, {rb['actions']['actions']} actions, "
         f"identical: {rb['actions']['identical']}"),
        ("replay accountability", f"{rb['accountability']['replay_seconds']} s",
         f"{rb['accountability']['events']:,} events (reading the log alone "
         f"{rb['accountability']['of_which_reading_the_log_seconds']} s; "
         f"+{rb['accountability']['compare_seconds']} s compare), "
         f"identical: {rb['accountability']['identical']}"),
    ]
    w0 = max(len(x[0]) for x in rows)
    w1 = max(len(x[1]) for x in rows)
    lines = [f"| {'measure':<{w0}} | {'figure':>{w1}} | conditions |", f"|{'-' * (w0 + 2)}|{'-' * (w1 + 1)}:|---|"]
    lines += [f"| {a:<{w0}} | {b_:>{w1}} | {c} |" for a, b_, c in rows]
    stages = lat["stages"]
    legs = "; ".join(f"{k.replace('_', ' ')} {stages['median_ms'][k]} / {stages['mean_ms'][k]} ms"
                     for k in stages.get("median_ms", {}))
    lines += ["", f"Slip -> email by stage (median / mean; the means add up to the mean of {lat['mean_ms']} ms): "
                  f"{legs}.",
              f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, {m['os']}; Python {m['python']}, "
              f"Kafka {m['kafka']}; load average at start {m['load_average_at_start']}, "
              f"at end {r['load_average_at_end']}. {r['when']}, total {r['total_seconds']} s."]
    return "\n".join(lines)


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


cli = typer.Typer(add_completion=False)


@cli.command()
def main(
    raw_messages: Annotated[int, typer.Option(help="messages for the aiokafka baseline")] = 10000,
    actions: Annotated[int, typer.Option(help="actions for the sustained-rate phase")] = 50,
    updates: Annotated[int, typer.Option(help="progress updates per action in that phase")] = 20,
    slips: Annotated[int, typer.Option(help="slip-causing updates (one action each)")] = 100,
    load: Annotated[float, typer.Option(help="background on-track updates per second")] = 20.0,
    spacing: Annotated[float, typer.Option(help="seconds between slip-causing updates")] = 0.25,
    log_level: Annotated[str, typer.Option(help="the services' log level")] = "WARNING",
) -> None:
    """The end-to-end benchmark: the three services as real processes on the local stack."""
    args = Parameters(raw_messages, actions, updates, slips, load, spacing, log_level)
    # The replay runs in this process: its per-event log lines would bury the table.
    configure_logging("bench", "WARNING")
    # A topic the bench has just created is briefly missing from the metadata; aiokafka logs
    # that as an error and waits. Only the bench's own clients live in this process.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)

    run_id = uuid.uuid4().hex[:6]
    started = time.perf_counter()
    result: dict[str, Any] = {"benchmark": "pipeline", "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                              "machine": machine(), "parameters": asdict(args)}
    inbox = Inbox(re.compile(rf"bench-{run_id}-slip-\d+"))
    with smtp_server(inbox) as smtp_port:
        env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port), "GROUP_WAIT_SECONDS": "0",
               "LOG_LEVEL": args.log_level, "DELIVERY_RETRY_BASE_SECONDS": "0.2"}
        with running_stack(with_clock=False, extra_env=env) as stack:
            result["stack_ready_seconds"] = round(stack.timings.get("ready", 0), 1)
            result["service_settings"] = {**env, "SMTP_PORT": "(free port)",
                                          "clock": "no clock process; the bench sends one tick"}
            result |= asyncio.run(measure(stack, inbox, args, run_id))
    result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    result["total_seconds"] = round(time.perf_counter() - started, 1)
    result["definitions"] = {
        "pipeline_per_s": "updates / seconds from just before the first was posted until every action's row in "
                          "accountability's database holds the version of its last update (all judged)",
        "actions_persisted_per_s": "updates / seconds until all are in the actions service's audit trail",
        "latency": "wall time from just before a missed-milestone update is sent to the SMTP server accepting "
                   "the leader's email naming that action, under the background load",
        "rebuild_actions": "services.actions.rebuild.rebuild_and_compare on the actions database",
        "replay_accountability": "services.accountability.replay.rebuild from the topics into a fresh database; "
                                 "compare is the table-by-table comparison with the live one",
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(table(result))
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    cli()
