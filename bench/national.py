"""The accountability replay at national scale: a generated log, rebuilt from the beginning.

    .venv/bin/python -m bench.national [--actions 8400] [--weeks 260]

The log is what the actions service would have announced for 42 systems x 200 actions (8,400;
spread over the reference data's systems, the only ones the rules accept) updating weekly for five
years, about 2.2 million ``action.changed`` events, with the clock ticking once a week before each
week's updates, in that order on the wire (record times are the wall clock's when sent), so the
replay merges ticks and updates as they happened. Every action is on its trajectory and its
milestone is due at the end, so the log is the common case: judged, and little to escalate.

Starts its own Kafka and PostgreSQL unless KAFKA_BOOTSTRAP_SERVERS and POSTGRES_URL are set. Times
writing the log, then ``services.accountability.replay.rebuild`` into a fresh database (the same
``handlers.apply_batch`` as the live service). ``--weeks`` shortens the five years; the figure is
then extrapolated to the whole log at the measured rate, and says so. Writes
bench/results/national.json.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import typer
from aiokafka import AIOKafkaProducer

from services.accountability.replay import rebuild
from services.accountability.settings import AccountabilitySettings
from services.actions.domain import Change, decide
from services.platform.topics import ensure_topics
from shared.contracts import events as ev
from shared.contracts.topics import ACTION_CHANGES, CLOCK
from shared.logging import configure_logging
from shared.reference import ReferenceData
from shared.settings import DEFAULT_REFERENCE_DATA
from tests.infra import create_database, kafka_bootstrap, postgres_admin_url
from tests.samples import commitment

RESULTS = Path(__file__).with_name("results") / "national.json"
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday
WEEKS_IN_FIVE_YEARS = 260


def first_snapshots(actions: int, weeks: int, reference: ReferenceData) -> list[ev.ActionSnapshot]:
    """Each action as the actions service stores it after its commitment (the rules make it)."""
    systems = sorted(reference.systems)
    end = (START + timedelta(weeks=weeks + 4)).date()
    found = []
    for i in range(actions):
        system = systems[i % len(systems)]
        made = commitment(action_id=f"nat-{i}", system=system, start_date=START.date(), due_date=end,
                          milestones=[ev.Milestone(milestone_id="m1", title="Done", due=end)],
                          trajectory=[ev.TrajectoryPoint(by=end, percent=100)])
        outcome = decide(None, made, system, reference)
        assert isinstance(outcome, Change), outcome
        found.append(outcome.snapshot)
    return found


def week_of_updates(templates: list[dict[str, Any]], week: int, weeks: int, at: datetime) -> list[bytes]:
    """Every action's ``action.changed`` of one week, as bytes (a template edited, not a model built:
    two million pydantic models would take longer than the replay)."""
    percent = round(min(100.0, 100.0 * (week + 1) / weeks + 2), 1)  # a little ahead of the straight line
    day, stamp = at.date().isoformat(), at.isoformat()
    out = []
    for template in templates:
        snap = template["data"]["snapshot"]
        snap.update(version=week + 2, percent_complete=percent, last_update_on=day, last_update_at=stamp)
        event_id = str(uuid.uuid4())
        template.update(event_id=event_id, correlation_id=event_id, occurred_at=stamp)
        out.append(json.dumps(template).encode())
    return out


async def write_log(bootstrap: str, actions: int, weeks: int) -> dict[str, Any]:
    reference = ReferenceData.load(DEFAULT_REFERENCE_DATA)
    snapshots = first_snapshots(actions, weeks, reference)
    templates = [json.loads(ev.ActionChanged.new(source="actions", subject=s.action_id, data=ev.ActionChange(
        snapshot=s, cause_type="progress.reported", changed=["percent_complete"])).to_bytes()) for s in snapshots]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, linger_ms=20)
    await producer.start()
    events = 0
    sent: list[asyncio.Future[Any]] = []
    t0 = time.perf_counter()
    try:
        for s in snapshots:  # the commitments first
            changed = ev.ActionChanged.new(source="actions", subject=s.action_id, data=ev.ActionChange(
                snapshot=s, cause_type="commitment.made", changed=[]), occurred_at=START - timedelta(hours=1))
            sent.append(await producer.send(ACTION_CHANGES.name, changed.to_bytes(), key=s.action_id.encode()))
            events += 1
        for week in range(weeks):
            at = START + timedelta(weeks=week)
            # Record times are the wall clock's as sent (times years back would fall to the topics'
            # retention before the replay read them); a millisecond either side of each tick keeps
            # it between the weeks it separates when the replay merges the topics by record time.
            await asyncio.sleep(0.002)
            tick = ev.ClockTicked.new(source="clock", subject="clock", data=ev.Tick(now=at), occurred_at=at)
            sent.append(await producer.send(CLOCK.name, tick.to_bytes(), key=b"clock"))
            await asyncio.sleep(0.002)
            for template, raw in zip(templates, week_of_updates(templates, week, weeks, at + timedelta(hours=1)),
                                     strict=True):
                sent.append(await producer.send(ACTION_CHANGES.name, raw, key=template["subject"].encode()))
            events += 1 + len(templates)
            await producer.flush()
            for future in sent:
                future.result()  # a send the broker refused stops the bench rather than thin the log
            sent = []
    finally:
        await producer.stop()
    seconds = time.perf_counter() - t0
    return {"events": events, "seconds": round(seconds, 1), "per_s": round(events / seconds)}


class Statements:
    """Every statement the replay's connections ran, by its text: how many, and their time."""

    def __init__(self) -> None:
        self.count: Counter[str] = Counter()
        self.elapsed: Counter[str] = Counter()

    async def attach(self, conn: asyncpg.Connection) -> None:
        conn.add_query_logger(self._logged)

    def _logged(self, query: Any) -> None:
        text = " ".join(str(query.query).split())[:90]
        self.count[text] += 1
        self.elapsed[text] += query.elapsed

    def summary(self, events: int, seconds: float) -> dict[str, Any]:
        total = sum(self.elapsed.values())
        return {"statements": sum(self.count.values()),
                "statements_per_event": round(sum(self.count.values()) / max(1, events), 1),
                "in_the_database_seconds": round(total, 1),
                "share_of_the_replay_in_the_database": round(total / seconds, 3) if seconds else None,
                "top_by_time": [{"statement": q, "count": self.count[q], "seconds": round(t, 2)}
                                for q, t in self.elapsed.most_common(12)]}


async def run(actions: int, weeks: int) -> dict[str, Any]:
    with ExitStack() as stack:
        bootstrap = stack.enter_context(kafka_bootstrap())
        admin_url = stack.enter_context(postgres_admin_url())
        await ensure_topics(bootstrap, ["actions.changes", "governance.responses", "governance.clock",
                                        "notifications.events", "notifications.directory"])
        written = await write_log(bootstrap, actions, weeks)
        into = await create_database(admin_url)
        settings = AccountabilitySettings(kafka_bootstrap_servers=bootstrap, database_url=into, log_level="WARNING")
        statements = Statements()
        t0, cpu0 = time.perf_counter(), time.process_time()
        report = await rebuild(settings, into, init=statements.attach)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    whole = actions * (WEEKS_IN_FIVE_YEARS + 1) + WEEKS_IN_FIVE_YEARS
    rate = report.events / seconds
    return {"actions": actions, "weeks": weeks, "log": written,
            "replay": {"events": report.events, "invalid": report.invalid, "failed": report.failed[:5],
                       "seconds": round(seconds, 1), "per_s": round(rate),
                       # The replay's own CPU (this process; Kafka and PostgreSQL are others): a figure
                       # that a busy machine's waits do not move, where events per second do.
                       "cpu_seconds": round(cpu, 1), "per_cpu_s": round(report.events / cpu) if cpu else None},
            "whole_national_log_events": whole,
            "whole_national_log_seconds": round(whole / rate) if weeks < WEEKS_IN_FIVE_YEARS else round(seconds),
            "extrapolated": weeks < WEEKS_IN_FIVE_YEARS,
            "where_the_time_goes": statements.summary(report.events, seconds)}


cli = typer.Typer(add_completion=False)


@cli.command()
def main(actions: Annotated[int, typer.Option(help="actions (42 systems x 200)")] = 8400,
         weeks: Annotated[int, typer.Option(help="weekly updates (5 years: 260)")] = WEEKS_IN_FIVE_YEARS) -> None:
    """The accountability replay of a national log."""
    configure_logging("bench", "WARNING")
    result = {"benchmark": "national", "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              **asyncio.run(run(actions, weeks))}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    cli()
