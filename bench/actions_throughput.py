"""How many progress updates per second the actions service persists, against the raw
aiokafka consume rate of the same topic (the baseline), in one run on the local stack.

    .venv/bin/python -m bench.actions_throughput [--actions 200] [--updates 20]

Starts its own native Kafka and PostgreSQL unless KAFKA_BOOTSTRAP_SERVERS and
POSTGRES_URL are set. Prints a table and writes bench/results/actions_throughput.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import time
import uuid
from contextlib import ExitStack
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import typer
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from faststream import TestApp

from services.actions.app import build
from services.actions.settings import ActionsSettings
from services.platform.topics import ensure_topics
from shared.contracts.topics import system_inbound
from tests.infra import kafka_bootstrap, postgres_admin_url
from tests.samples import commitment, progress
from tools.kafka import kafka_version

RESULTS = Path(__file__).with_name("results") / "actions_throughput.json"
SYSTEM = "black-country"


def _messages(run_id: str, actions: int, updates: int) -> list[tuple[bytes, bytes]]:
    """(key, value) pairs: a commitment per action, then ``updates`` rounds of progress."""
    ids = [f"bench-{run_id}-{i}" for i in range(actions)]
    messages = [(a.encode(), commitment(action_id=a).to_bytes()) for a in ids]
    for step in range(updates):
        day = date(2026, 3, 1) + timedelta(days=step)
        messages += [(a.encode(), progress(action_id=a, percent=step * 100 / updates, as_of=day).to_bytes())
                     for a in ids]
    return messages


async def _produce(bootstrap: str, messages: list[tuple[bytes, bytes]]) -> float:
    """Send every message; the produce rate per second."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, linger_ms=5)
    await producer.start()
    t0 = time.perf_counter()
    for key, value in messages:
        await producer.send(system_inbound(SYSTEM), value, key=key)
    await producer.flush()
    produce_rate = len(messages) / (time.perf_counter() - t0)
    await producer.stop()
    return produce_rate


async def _raw_consume(bootstrap: str, run_id: str, count: int) -> float:
    """Baseline: the raw consume rate of the same messages with plain aiokafka."""
    consumer = AIOKafkaConsumer(system_inbound(SYSTEM), bootstrap_servers=bootstrap, group_id=f"raw-{run_id}",
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    seen, t0 = 0, time.perf_counter()
    while seen < count:
        batch = await consumer.getmany(timeout_ms=500, max_records=1000)
        seen += sum(len(v) for v in batch.values())
    raw_rate = seen / (time.perf_counter() - t0)
    await consumer.stop()
    return raw_rate


async def _service(bootstrap: str, database_url: str, count: int) -> tuple[float, int]:
    """The service: time from start until every update is in the audit trail; the rate and
    how many were accepted."""
    app = build(ActionsSettings(kafka_bootstrap_servers=bootstrap, database_url=database_url,
                                     log_level="WARNING"))
    t0 = time.perf_counter()
    async with TestApp(app):
        check = await asyncpg.connect(database_url)
        # The service writes the rows on its own connections: polling is all there is.
        while (await check.fetchval("SELECT count(*) FROM action_events")) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        service_seconds = time.perf_counter() - t0
        accepted: int = await check.fetchval("SELECT count(*) FROM action_events WHERE outcome = 'accepted'")
        await check.close()
    return count / service_seconds, accepted


async def run(actions: int, updates: int) -> dict[str, Any]:
    with ExitStack() as stack:
        bootstrap = stack.enter_context(kafka_bootstrap())
        admin_url = stack.enter_context(postgres_admin_url())
        db = f"bench_{uuid.uuid4().hex[:8]}"
        conn = await asyncpg.connect(admin_url)
        await conn.execute(f'CREATE DATABASE "{db}"')
        await conn.close()
        database_url = admin_url.rsplit("/", 1)[0] + f"/{db}"
        await ensure_topics(bootstrap, [system_inbound(SYSTEM), "actions.changes", f"actions.feedback.{SYSTEM}",
                                        "actions.deadletter"])

        run_id = uuid.uuid4().hex[:6]
        messages = _messages(run_id, actions, updates)
        produce_rate = await _produce(bootstrap, messages)
        raw_rate = await _raw_consume(bootstrap, run_id, len(messages))
        service_rate, accepted = await _service(bootstrap, database_url, len(messages))

    return {
        "benchmark": "actions_throughput",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": f"{platform.machine()} {platform.system()}, {os.cpu_count()} cores",
        "kafka": kafka_version(),
        "messages": len(messages),
        "accepted": accepted,
        "produce_per_s": round(produce_rate),
        "raw_aiokafka_consume_per_s": round(raw_rate),
        "service_persisted_per_s": round(service_rate),
        "service_vs_raw": round(service_rate / raw_rate, 4),
    }


cli = typer.Typer(add_completion=False)


@cli.command()
def main(
    actions: Annotated[int, typer.Option(help="actions committed before the updates")] = 200,
    updates: Annotated[int, typer.Option(help="progress updates per action")] = 20,
) -> None:
    """The actions service's persisted updates per second against raw aiokafka, on the local stack."""
    result = asyncio.run(run(actions, updates))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    cli()
