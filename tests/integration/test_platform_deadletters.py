"""A way back from the dead-letter topic, against the real broker: a v1 event with a field the
consumer does not know is accepted; a v2 event reaching a v1 consumer is dead-lettered as
unsupported_version and, after the consumer is upgraded, re-driven once, however often it is
re-driven; bytes that never were an event are not."""

from __future__ import annotations

import json
import uuid

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from faststream import TestApp

from services.actions.app import build
from services.actions.settings import ActionsSettings
from services.platform.deadletters import read_dead_letters, redrive, select
from shared.contracts import events as ev
from shared.contracts.topics import system_inbound
from shared.settings import ServiceSettings
from tests.kafka_tools import eventually
from tests.samples import commitment

pytestmark = pytest.mark.integration
SYS = "black-country"


async def post(kafka: str, *values: bytes, key: bytes) -> list[tuple[int, int]]:
    """(partition, offset) of each value posted to the system's inbound topic."""
    producer = AIOKafkaProducer(bootstrap_servers=kafka, enable_idempotence=True)
    await producer.start()
    try:
        placed = [await producer.send_and_wait(system_inbound(SYS), v, key=key) for v in values]
    finally:
        await producer.stop()
    return [(m.partition, m.offset) for m in placed]


async def audit(database_url: str, action_id: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return list(await conn.fetch("SELECT event_id::text, outcome FROM action_events WHERE action_id = $1",
                                     action_id))
    finally:
        await conn.close()


async def letters_at(kafka: str, partition: int, offsets: list[int]):
    found = select(await read_dead_letters(ServiceSettings(kafka_bootstrap_servers=kafka), "actions"),
                   topic=system_inbound(SYS), partition=partition, from_offset=min(offsets), to_offset=max(offsets))
    return found if len(found) == len(offsets) else None


async def test_a_v2_event_is_dead_lettered_then_redriven_once_after_the_upgrade_and_unknown_fields_are_ignored(
        kafka, topics, database_url, monkeypatch):
    aid, tolerant_aid = f"bc-{uuid.uuid4().hex[:10]}", f"bc-{uuid.uuid4().hex[:10]}"
    newer = json.loads(commitment(action_id=aid).to_bytes()) | {"schema_version": 2}
    tolerated = json.loads(commitment(action_id=tolerant_aid).to_bytes())
    tolerated["data"]["sponsor"] = "p-sponsor-1"  # an optional field this consumer does not know
    key = aid.encode()
    settings = ActionsSettings(kafka_bootstrap_servers=kafka, database_url=database_url)
    async with TestApp(build(settings)):
        placed = await post(kafka, json.dumps(newer).encode(), b"not an event", key=key)
        await post(kafka, json.dumps(tolerated).encode(), key=tolerant_aid.encode())
        await eventually(lambda: audit(database_url, tolerant_aid), timeout=60)
        letters = await eventually(lambda: letters_at(kafka, placed[0][0], [o for _, o in placed]), timeout=60)
    assert [(d.code, d.event_id) for d in letters] == [("unsupported_version", newer["event_id"]), ("not_json", None)]
    assert [r["outcome"] for r in await audit(database_url, tolerant_aid)] == ["accepted"]
    assert await audit(database_url, aid) == []

    monkeypatch.setattr(ev.CommitmentMade, "VERSION", 2)  # the consumer is upgraded
    async with TestApp(build(settings)):
        first = await redrive(ServiceSettings(kafka_bootstrap_servers=kafka), "actions", letters)
        again = await redrive(ServiceSettings(kafka_bootstrap_servers=kafka), "actions", letters + letters)
        await eventually(lambda: audit(database_url, aid), timeout=60)
        sentinel = commitment(action_id=f"{aid}-after")  # same key: handled after both re-drives
        await post(kafka, sentinel.to_bytes(), key=key)
        await eventually(lambda: audit(database_url, f"{aid}-after"), timeout=60)
    assert [d.event_id for d in first.sent] == [newer["event_id"]]
    assert [d.code for d in first.without_event_id] == ["not_json"]
    assert len(again.sent) == 1 and len(again.repeated) == 1
    assert [(r["event_id"], r["outcome"]) for r in await audit(database_url, aid)] == [
        (newer["event_id"], "accepted")], "re-driven twice, applied once"
