"""The transactional outbox against real PostgreSQL and Kafka.

The promise: the events of a committed transaction reach Kafka even when the process
dies between the commit and the publish, each once; a rolled-back transaction's never do.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import OutOfOrderSequenceNumber
from faststream.kafka import KafkaBroker
from prometheus_client import REGISTRY

from services.platform.topics import ensure_topics
from shared.contracts import Event, parse_event
from shared.db import Database
from shared.messaging import make_broker
from shared.outbox import OutboxRelay, add_to_outbox
from shared.producer import current_producer
from shared.settings import ServiceSettings
from tests.kafka_tools import collect, eventually
from tests.samples import progress

pytestmark = pytest.mark.integration
PARTITIONS = 3


class Rollback(Exception):
    """Raised inside a transaction to make it roll back, as a failing handler would."""


@pytest.fixture
async def topic(kafka: str) -> str:
    name = f"outbox-{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka, [name], partitions=PARTITIONS)
    return name


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await database.open()
    yield database
    await database.close()


@pytest.fixture
def pool(database: Database) -> asyncpg.Pool:
    return database.pool


async def connected_broker(kafka: str) -> KafkaBroker:
    broker = make_broker(ServiceSettings(kafka_bootstrap_servers=kafka), client_id="outbox-test")
    await broker.connect()
    return broker


async def commit(pool: asyncpg.Pool, topic: str, events: list[Event]) -> None:
    async with pool.acquire() as conn, conn.transaction():
        for event in events:
            await add_to_outbox(conn, topic, event)


async def roll_back(pool: asyncpg.Pool, topic: str, events: list[Event]) -> None:
    with pytest.raises(Rollback):
        async with pool.acquire() as conn, conn.transaction():
            for event in events:
                await add_to_outbox(conn, topic, event)
            raise Rollback


async def unpublished(pool: asyncpg.Pool) -> int:
    return await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")


async def records_on(kafka: str, topic: str) -> int:
    """How many records the topic holds: its end offsets, so nothing extra can hide."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        return sum((await consumer.end_offsets(parts)).values())
    finally:
        await consumer.stop()


async def test_committed_events_survive_a_crash_before_publishing_and_rolled_back_ones_never_appear(
    kafka: str, topic: str, database: Database, pool: asyncpg.Pool,
):
    action = f"a-{uuid.uuid4().hex[:8]}"
    committed = [progress(action_id=action, percent=p) for p in (10, 20, 30)]
    committed += [progress(action_id=f"{action}-other", percent=p) for p in (40, 50)]
    # The crash: these commit while no relay runs, so nothing has been published yet.
    await commit(pool, topic, committed[:3])
    await commit(pool, topic, committed[3:])
    await roll_back(pool, topic, [progress(action_id=action, percent=p) for p in (60, 70, 80)])
    assert await unpublished(pool) == 5
    assert await records_on(kafka, topic) == 0

    # The restart: a new relay finds the committed events and publishes them.
    broker = await connected_broker(kafka)
    relay = OutboxRelay(database, broker, "outbox-test")
    relay.start()
    try:
        await eventually(lambda: _none_left(pool), timeout=30)
    finally:
        await relay.stop()
        await broker.stop()

    records = await collect(kafka, topic, lambda r: len(r) >= 5)
    received = [parse_event(r.value) for r in records]
    assert sorted(str(e.event_id) for e in received) == sorted(str(e.event_id) for e in committed)
    assert await records_on(kafka, topic) == 5, "each committed event once, nothing from the rollback"
    # Keyed by subject, so one action's events stay in one partition in commit order.
    assert all(r.key.decode() == e.subject for r, e in zip(records, received, strict=True))
    ours = [e.event_id for e in received if e.subject == action]
    assert ours == [e.event_id for e in committed[:3]]


async def _none_left(pool: asyncpg.Pool) -> bool:
    return await unpublished(pool) == 0


async def test_two_relays_running_at_once_publish_each_event_exactly_once(
    kafka: str, topic: str, database_url: str, database: Database, pool: asyncpg.Pool,
):
    # Two instances of one service: each its own pool and producer on the same database.
    other = Database(database_url)
    await other.open()
    other_pool = other.pool
    brokers = [await connected_broker(kafka), await connected_broker(kafka)]
    relays = [OutboxRelay(database, brokers[0], "outbox-test", interval=0.01, batch=7),
              OutboxRelay(other, brokers[1], "outbox-test", interval=0.01, batch=7)]
    for relay in relays:
        relay.start()
    events: list[Event] = []
    try:
        # Commit while both relays poll, poking both, as two busy instances would.
        for round_ in range(10):
            batch = [progress(action_id=f"a-{uuid.uuid4().hex[:6]}", percent=p) for p in (1, 2, 3, 4, 5)]
            await commit(pool if round_ % 2 else other_pool, topic, batch)
            events += batch
            for relay in relays:
                relay.poke()
            await asyncio.sleep(0.01)
        await eventually(lambda: _none_left(pool), timeout=30)
    finally:
        for relay in relays:
            await relay.stop()
        for broker in brokers:
            await broker.stop()
        await other.close()

    records = await collect(kafka, topic, lambda r: len(r) >= len(events))
    counts = Counter(parse_event(r.value).event_id for r in records)
    assert set(counts) == {e.event_id for e in events}
    assert max(counts.values()) == 1
    assert await records_on(kafka, topic) == len(events) == 50


def jam(producer: AIOKafkaProducer, after: int) -> None:
    """Make a real producer fail as aiokafka's does once the broker refused a sequence number: from
    send ``after + 1`` on, every record is still written (the broker may well have it) but its
    acknowledgement fails with ``OutOfOrderSequenceNumber``, for as long as this producer lives."""
    real_send = producer.send
    sends = 0

    async def send(*args: Any, **kwargs: Any) -> asyncio.Future[Any]:
        nonlocal sends
        sends += 1
        written = await real_send(*args, **kwargs)
        if sends <= after:
            return written
        refused: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        written.add_done_callback(lambda _: refused.done() or refused.set_exception(OutOfOrderSequenceNumber()))
        return refused

    producer.send = send  # type: ignore[method-assign]


async def test_a_producer_jammed_by_a_fatal_error_is_replaced_and_the_outbox_resumes_in_order_once_per_event_id(
    kafka: str, topic: str, database: Database, pool: asyncpg.Pool,
):
    actions = [f"a-{uuid.uuid4().hex[:6]}-{i}" for i in range(3)]
    events = [progress(action_id=actions[n % 3], percent=n) for n in range(1, 31)]
    await commit(pool, topic, events)
    broker = await connected_broker(kafka)
    jammed = current_producer(broker)
    assert jammed is not None
    jam(jammed, after=10)
    renewed = {"service": "outbox-test", "reason": "OutOfOrderSequenceNumber"}
    renewed_before = REGISTRY.get_sample_value("kafka_producer_renewed_total", renewed) or 0
    relayed_before = REGISTRY.get_sample_value("outbox_relayed_total", {"service": "outbox-test"}) or 0
    relay = OutboxRelay(database, broker, "outbox-test", interval=0.05, batch=7)
    relay.start()
    try:
        await eventually(lambda: _none_left(pool), timeout=30)
        assert current_producer(broker) is not jammed, "the jammed producer was replaced"
    finally:
        await relay.stop()
        await broker.stop()

    assert REGISTRY.get_sample_value("kafka_producer_renewed_total", renewed) == renewed_before + 1
    assert REGISTRY.get_sample_value("outbox_relayed_total", {"service": "outbox-test"}) == relayed_before + 30
    records = await collect(kafka, topic, lambda rs: len({parse_event(r.value).event_id for r in rs}) >= 30)
    assert {parse_event(r.value).event_id for r in records} == {e.event_id for e in events}
    assert len(records) > 30, "the jam wrote records it then reported failed: those went again"
    for action in actions:  # what a consumer applies: each event id the first time it arrives, in commit order
        arrived = [parse_event(r.value).event_id for r in records if r.key.decode() == action]
        assert list(dict.fromkeys(arrived)) == [e.event_id for e in events if e.subject == action]
