"""Rebuild the state from the log, and compare it with the live state.

    python -m services.accountability.replay --into postgresql://.../fresh \\
        [--compare-with postgresql://.../accountability]

Reads the input topics (``actions.changes``, ``governance.responses``,
``governance.clock``, ``notifications.events``, ``notifications.directory``) from the
beginning up to their current ends, merged into one stream by record timestamp (each
partition keeps its own order; on equal timestamps the directory before actions before
responses before notices before ticks), so each act's right is checked against who was who
when it was made, and applies the
events in batches through the same ``handlers.apply_batch`` the live service uses, into a fresh database. Nothing is
published: the events the replay causes stay in that database's outbox, where they are
compared with the live outbox.

The comparison covers every table of the service (the outbox by event id and content);
the report lists each difference. Exit status 0 when the two agree, 1 when they differ.
Settings (Kafka, tolerances, grace periods) come from the environment, as for the service.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any

import asyncpg
import structlog
import typer
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from shared.batches import Delivery
from shared.contracts import ContractError, parse_event
from shared.db import Database
from shared.logging import configure_logging
from shared.messaging import client_security
from shared.reference import ReferenceData

from .app import MIGRATIONS
from .engine import Engine
from .handlers import INPUTS, apply_batch
from .persistence import state
from .settings import AccountabilitySettings

log = structlog.get_logger("accountability.replay")
TOPIC_ORDER = {topic: i for i, topic in enumerate(("notifications.directory", "actions.changes",
                                                    "governance.responses", "notifications.events",
                                                    "governance.clock"))}

# What is compared: every table (``persistence.state.TABLES``, by the columns that identify a
# row), less the columns that only record when a row was written (created_at, published_at,
# processed_at) or a counter that only orders rows (``happened``: a sequence, with gaps where a
# transaction rolled back); the order ``happened`` gives is compared instead, as each action's history.
LEFT_OUT = {"outbox": {"id", "created_at", "published_at"}, "processed_events": {"processed_at"},
            "status_changes": {"happened"}, "responses": {"happened"}, "decisions": {"happened"},
            "escalation_events": {"happened"}, "requests": {"happened"}, "concerns": {"happened"},
            "consequences": {"happened"}, "good_practice": {"happened"}, "plans": {"happened"},
            "covers": {"happened"}}


@dataclass
class ReplayReport:
    events: int = 0
    invalid: int = 0  # not valid events: the live service dead-lettered them too
    failed: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not self.differences

    def as_dict(self) -> dict[str, Any]:
        return {"events": self.events, "invalid": self.invalid, "failed": self.failed,
                "same": self.same, "differences": self.differences}


def consumer_for(settings: AccountabilitySettings) -> AIOKafkaConsumer:
    # No group: the replay assigns itself every partition and commits nothing.
    return AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False,
                            auto_offset_reset="earliest", **client_security(settings))


async def partitions(consumer: AIOKafkaConsumer, topics: list[str]) -> list[TopicPartition]:
    """Every partition of ``topics``, asking the broker when the consumer's metadata lacks one."""
    found = []
    for topic in topics:
        numbers = consumer.partitions_for_topic(topic)
        if not numbers:
            await consumer._client.force_metadata_update()  # no public call for this
            numbers = consumer.partitions_for_topic(topic) or set()
        found += [TopicPartition(topic, p) for p in sorted(numbers)]
    return found


async def read_log(settings: AccountabilitySettings, topics: list[str],
                   start: dict[TopicPartition, int] | None = None) -> AsyncIterator[ConsumerRecord]:
    """Every record of ``topics`` from ``start`` (default: the beginning) to the ends they
    had when the replay began, merged by timestamp. Holds one batch per partition, not the log."""
    consumer = consumer_for(settings)
    await consumer.start()
    try:
        assigned = await partitions(consumer, topics)
        consumer.assign(assigned)
        ends = await consumer.end_offsets(assigned)
        for tp in assigned:
            if start and tp in start:
                consumer.seek(tp, start[tp])
            else:
                await consumer.seek_to_beginning(tp)
        buffers: dict[TopicPartition, deque[ConsumerRecord]] = {tp: deque() for tp in assigned}
        live = {tp for tp in assigned if await consumer.position(tp) < ends[tp]}
        while True:
            needy = [tp for tp in live if not buffers[tp]]
            while needy:
                batch = await consumer.getmany(*needy, timeout_ms=1000)
                for tp, records in batch.items():
                    buffers[tp].extend(r for r in records if r.offset < ends[tp])
                for tp in needy:
                    if not buffers[tp] and await consumer.position(tp) >= ends[tp]:
                        live.discard(tp)
                needy = [tp for tp in live if not buffers[tp]]
            if not live:
                return
            tp = min(live, key=lambda p: (buffers[p][0].timestamp, TOPIC_ORDER.get(p.topic, 9), p.partition))
            record = buffers[tp].popleft()
            if not buffers[tp] and record.offset + 1 >= ends[tp]:
                live.discard(tp)
            yield record
    finally:
        await consumer.stop()


async def rebuild(settings: AccountabilitySettings, database_url: str, *,
                  start: dict[TopicPartition, int] | None = None,
                  init: Callable[[asyncpg.Connection], Awaitable[None]] | None = None) -> ReplayReport:
    """Apply the whole log to the fresh database at ``database_url``, through an engine built
    as the service builds its own. ``init`` runs on each new connection (a bench counts queries)."""
    report = ReplayReport()
    database = Database(database_url, [MIGRATIONS], init=init)
    await database.open()
    try:
        async with database.pool.acquire() as conn:
            if not await state.is_empty(conn):
                raise SystemExit(f"{database_url}: not a fresh database; the replay rebuilds into an empty one")
        engine = Engine(database, settings, ReferenceData.load(settings.reference_data_path))
        batch: list[Delivery] = []
        async for record in read_log(settings, list(INPUTS), start):
            try:
                batch.append(Delivery(record, parse_event(record.value, accept=INPUTS[record.topic])))
            except ContractError:
                report.invalid += 1
                continue
            if len(batch) >= settings.batch_max_records:
                await _apply(engine, batch, report)
                batch = []
        await _apply(engine, batch, report)
    finally:
        await database.close()
    log.info("replay_done", events=report.events, invalid=report.invalid, failed=len(report.failed))
    return report


async def _apply(engine: Engine, batch: list[Delivery], report: ReplayReport) -> None:
    """A batch through the live service's own ``apply_batch``; when it fails, its events one by one,
    so the failure is the one event the live service dead-lettered, and the rest still apply."""
    if not batch:
        return
    report.events += len(batch)
    try:
        await apply_batch(engine, batch)
        return
    except Exception:  # noqa: BLE001 - found below, event by event
        log.warning("replay_batch_failed_applying_one_by_one", size=len(batch))
    for delivery in batch:
        try:
            await apply_batch(engine, [delivery])
        except Exception as exc:  # noqa: BLE001 - the live service dead-letters these; so does the replay
            record = delivery.record
            report.failed.append(f"{record.topic}/{record.partition}@{record.offset}: {exc!r}")
            log.error("replay_event_failed", topic=record.topic, offset=record.offset, error=repr(exc))


def _plain(value: Any, column: str) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, bytes):  # the outbox payload: an event's JSON
        return json.loads(value)
    if isinstance(value, str) and column in {"snapshot", "reasons", "signature", "summary", "agenda", "recipients",
                                             "steps"}:
        return json.loads(value)
    if value is not None and not isinstance(value, (str, int, float, bool, list, dict)):
        return str(value)
    return value


async def state_of(database_url: str) -> dict[str, dict[str, dict[str, Any]]]:
    """Every compared table as {row key: row}, in plain JSON-able values."""
    conn = await asyncpg.connect(database_url)
    try:
        found: dict[str, dict[str, dict[str, Any]]] = {}
        for table, key in state.TABLES.items():
            rows = {}
            for row in await state.table_rows(conn, table):
                plain = {c: _plain(v, c) for c, v in row.items() if c not in LEFT_OUT.get(table, ())}
                rows["/".join(str(plain[k]) for k in key)] = plain
            found[table] = rows
        order: dict[str, dict[str, Any]] = {}
        for action_id, what in await state.history_order(conn):
            order.setdefault(action_id, {"order": []})["order"].append(what)
        found["history"] = order
        return found
    finally:
        await conn.close()


def differences(live: dict[str, dict[str, Any]], rebuilt: dict[str, dict[str, Any]], limit: int = 50) -> list[str]:
    found = []
    for table in [*state.TABLES, "history"]:
        a, b = live.get(table, {}), rebuilt.get(table, {})
        for key in sorted(set(a) | set(b)):
            if key not in b:
                found.append(f"{table} {key}: only in the live state")
            elif key not in a:
                found.append(f"{table} {key}: only in the rebuilt state")
            elif a[key] != b[key]:
                changed = ", ".join(f"{c} live={a[key][c]!r} rebuilt={b[key].get(c)!r}"
                                    for c in sorted(a[key]) if a[key][c] != b[key].get(c))
                found.append(f"{table} {key}: {changed}")
    return found[:limit] + ([f"... and {len(found) - limit} more"] if len(found) > limit else [])


async def compare(live_url: str, rebuilt_url: str) -> list[str]:
    return differences(await state_of(live_url), await state_of(rebuilt_url))


async def replay_and_compare(settings: AccountabilitySettings, into: str, live: str | None, *,
                             start: dict[TopicPartition, int] | None = None) -> ReplayReport:
    report = await rebuild(settings, into, start=start)
    if live:
        report.differences = await compare(live, into)
    return report


cli = typer.Typer(add_completion=False)


@cli.command()
def main(into: Annotated[str, typer.Option(help="DSN of an empty database to rebuild into")],
         compare_with: Annotated[str | None, typer.Option(help="DSN of the live database to compare with")] = None,
         ) -> None:
    """Rebuild the accountability state from the log; compare it."""
    settings = AccountabilitySettings()
    configure_logging("accountability-replay", settings.log_level)
    report = asyncio.run(replay_and_compare(settings, into, compare_with))
    print(json.dumps(report.as_dict(), indent=2))
    raise typer.Exit(0 if report.same and not report.failed else 1)


if __name__ == "__main__":
    cli(prog_name="python -m services.accountability.replay")
