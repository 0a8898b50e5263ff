"""Small aiokafka helpers the tests use to talk to the real broker directly."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord


async def produce(bootstrap: str, topic: str, values: list[bytes], key: bytes | None = None,
                  **security: Any) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, **security)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def collect(bootstrap: str, topic: str, until: Callable[[list[ConsumerRecord]], bool],
                  timeout: float = 30.0, group_id: str | None = None, **security: Any) -> list[ConsumerRecord]:
    """Read ``topic`` from the beginning until ``until(records)`` holds or time runs out.

    ``group_id`` matters on the secured broker, where ACLs say which groups a principal may use.
    """
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                group_id=group_id or f"test-{uuid.uuid4().hex[:8]}", enable_auto_commit=False,
                                **security)
    await consumer.start()
    records: list[ConsumerRecord] = []
    deadline = time.monotonic() + timeout
    try:
        while not until(records) and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for part in batch.values():
                records.extend(part)
        return records
    finally:
        await consumer.stop()


def header(record: ConsumerRecord, name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name:
            decoded: str = value.decode()
            return decoded
    return None


async def eventually(check: Callable[[], Any], timeout: float = 30.0, interval: float = 0.2) -> Any:
    """Await ``check()`` until it returns something truthy; fail with its last value."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")


async def skip_what_others_left(bootstrap: str, group_id: str, topics: list[str]) -> None:
    """Commit ``group_id`` at the end of ``topics``: a test that needs the service's clock to start where
    the test says must not first read the ticks other tests of the session left on the shared broker."""
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, group_id=group_id, enable_auto_commit=False)
    await consumer.start()
    try:
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=200)
        await consumer.seek_to_end()
        for part in consumer.assignment():
            await consumer.position(part)
        await consumer.commit()
    finally:
        await consumer.stop()
