"""Batch consumption (``shared.batches``) against the real broker and database, on the actions service:
a poison event inside a batch, a batch delivered again after a crash between the database commit and
the offset commit, and two instances sharing the partitions."""

from __future__ import annotations

import json
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import REGISTRY

from shared.contracts.topics import Groups, dead_letter, system_inbound
from tests.integration.test_actions_service import SYS, WAIT, db_rows, running_actions, version_of
from tests.kafka_tools import collect, eventually, header, produce
from tests.samples import commitment, progress

pytestmark = pytest.mark.integration


def new_id(prefix: str = "bc-batch") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def post_together(kafka: str, values: list[bytes], key: bytes) -> None:
    """One key, so one partition, in this order: the service finds them all waiting in one fetch."""
    await produce(kafka, system_inbound(SYS), values, key=key)


def poisoned_commitment(action_id: str) -> bytes:
    """A well-formed commitment the database refuses (a NUL character in the title): not bad input
    the contract can see, a failure only applying it shows."""
    body = json.loads(commitment(action_id=action_id).to_bytes())
    body["data"]["title"] = "Review\u0000panel"
    return json.dumps(body).encode()


def retried_batches() -> float:
    return REGISTRY.get_sample_value("handler_retries_total", {"service": Groups.ACTIONS, "kind": "batch"}) or 0.0


def batches_applied() -> float:
    return REGISTRY.get_sample_value("consumer_batch_records_count", {"service": Groups.ACTIONS}) or 0.0


async def audit(database_url: str, action_id: str) -> list[str]:
    rows = await db_rows(database_url, "SELECT type FROM action_events WHERE action_id = $1 ORDER BY seq", action_id)
    return [r["type"] for r in rows]


async def _is(awaitable, expected) -> bool:
    return await awaitable == expected


async def test_a_poison_event_mid_batch_is_dead_lettered_alone_and_the_rest_applied_once_in_order(
        kafka, topics, database_url):
    kept, poison, after = new_id(), new_id("bc-poison"), new_id()
    values = [commitment(action_id=kept).to_bytes(), progress(action_id=kept, percent=10).to_bytes(),
              poisoned_commitment(poison), progress(action_id=kept, percent=20).to_bytes(),
              commitment(action_id=after).to_bytes()]
    retried_before = retried_batches()
    await post_together(kafka, values, key=kept.encode())
    async with running_actions(kafka, database_url):
        await eventually(lambda: _is(version_of(database_url, after), 1), timeout=WAIT)
        dead = await collect(kafka, dead_letter(Groups.ACTIONS),
                             lambda rs: any(poison.encode() in (r.value or b"") for r in rs), timeout=WAIT)
    letters = [r for r in dead if poison.encode() in (r.value or b"")]
    assert [header(r, "dlt-code") for r in letters] == ["handler_failed"]
    assert retried_batches() > retried_before  # the batch failed whole, then went one event at a time
    assert await audit(database_url, kept) == ["commitment.made", "progress.reported", "progress.reported"]
    assert await version_of(database_url, kept) == 3
    assert await version_of(database_url, poison) is None
    assert await audit(database_url, after) == ["commitment.made"]


async def test_a_batch_delivered_again_after_a_crash_before_the_offset_commit_changes_nothing(
        kafka, topics, database_url):
    aid = new_id()
    inbound = system_inbound(SYS)
    before = await group_offsets(kafka, inbound)
    await post_together(kafka, [commitment(action_id=aid).to_bytes(),
                                *(progress(action_id=aid, percent=p).to_bytes() for p in (10, 20, 30))],
                        key=aid.encode())
    async with running_actions(kafka, database_url):
        await eventually(lambda: _is(version_of(database_url, aid), 4), timeout=WAIT)
    state = await everything(database_url)
    # A crash after the database commit and before the offset commit leaves the group's offsets where
    # they were before the batch: put them back, and start the service again.
    await commit_offsets(kafka, before)
    batches_before = batches_applied()
    async with running_actions(kafka, database_url):
        await eventually(lambda: _is(group_caught_up(kafka, inbound), True), timeout=WAIT)
    assert batches_applied() > batches_before  # the events did come again
    assert await everything(database_url) == state
    assert await audit(database_url, aid) == ["commitment.made", *["progress.reported"] * 3]


async def test_two_instances_share_the_partitions_and_apply_each_event_once(kafka, topics, database_url):
    actions = [new_id("bc-pair") for _ in range(12)]
    async with running_actions(kafka, database_url), running_actions(kafka, database_url):
        for aid in actions:
            await post_together(kafka, [commitment(action_id=aid).to_bytes(),
                                        *(progress(action_id=aid, percent=p).to_bytes() for p in (10, 20, 30, 40))],
                                key=aid.encode())
        for aid in actions:
            await eventually(lambda aid=aid: _is(version_of(database_url, aid), 5), timeout=WAIT)
    rows = await db_rows(database_url, "SELECT action_id, count(*) AS n FROM action_events"
                                       " WHERE action_id = ANY($1::text[]) GROUP BY action_id", actions)
    assert {r["action_id"]: r["n"] for r in rows} == dict.fromkeys(actions, 5)
    outbox = await db_rows(database_url, "SELECT count(*) AS n FROM outbox WHERE key = ANY($1::text[])", actions)
    assert outbox[0]["n"] == 60


async def everything(database_url: str) -> dict[str, list[tuple]]:
    """What the actions service keeps, less the times rows were written."""
    return {
        "actions": [tuple(r) for r in await db_rows(database_url, "SELECT action_id, version, snapshot FROM actions"
                                                                  " ORDER BY action_id")],
        "audit": [tuple(r) for r in await db_rows(database_url, "SELECT seq, event_id, outcome FROM action_events"
                                                                " ORDER BY seq")],
        "outbox": [tuple(r) for r in await db_rows(database_url, "SELECT id, event_id FROM outbox ORDER BY id")],
    }


async def _group_consumer(kafka: str, topic: str) -> tuple[AIOKafkaConsumer, list[TopicPartition]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, group_id=Groups.ACTIONS, enable_auto_commit=False)
    await consumer.start()
    parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
    if not parts:
        await consumer._client.force_metadata_update()  # no public call for this
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
    consumer.assign(parts)
    return consumer, parts


async def group_offsets(kafka: str, topic: str) -> dict[TopicPartition, int]:
    """The group's committed offset of each partition (its end, when nothing is committed yet)."""
    consumer, parts = await _group_consumer(kafka, topic)
    try:
        ends = await consumer.end_offsets(parts)
        committed = {tp: await consumer.committed(tp) for tp in parts}
        return {tp: ends[tp] if committed[tp] is None else committed[tp] for tp in parts}
    finally:
        await consumer.stop()


async def commit_offsets(kafka: str, offsets: dict[TopicPartition, int]) -> None:
    consumer, _ = await _group_consumer(kafka, next(iter(offsets)).topic)
    try:
        await consumer.commit(offsets)
    finally:
        await consumer.stop()


async def group_caught_up(kafka: str, topic: str) -> bool:
    consumer, parts = await _group_consumer(kafka, topic)
    try:
        ends = await consumer.end_offsets(parts)
        committed = [await consumer.committed(tp) for tp in parts]
        return committed == [ends[tp] for tp in parts]
    finally:
        await consumer.stop()
