"""The batch consumer's rules (``shared.batches``), with the database and broker left out: what is
applied together, what alone, and what is dead-lettered."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
from aiokafka import ConsumerRecord

from shared.batches import BatchConsumer, Delivery, first_wins
from shared.contracts import events as ev
from shared.messaging import DeadLetterPolicy
from tests.samples import commitment, progress


def record(value: bytes, offset: int, topic: str = "actions.inbound.black-country") -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(topic=topic, partition=0, offset=offset, timestamp=0, timestamp_type=0, key=b"k",
                          value=value, checksum=None, serialized_key_size=1, serialized_value_size=len(value),
                          headers=())


class Recorder:
    """A consumer whose ``apply`` fails as told, and a policy whose dead letters are kept here."""

    def __init__(self, poison: set[Any] | None = None, transient_failures: int = 0) -> None:
        self.policy = DeadLetterPolicy("actions", base_delay=0.0, max_delay=0.0)
        self.dead: list[tuple[int, str]] = []
        self.applied: list[list[Any]] = []
        self.poison = poison or set()
        self.transient_failures = transient_failures

        async def send(broker: Any, rec: Any, code: str, reason: str) -> None:
            self.dead.append((rec.offset, code))

        self.policy.send = send  # type: ignore[method-assign]
        self.consumer = BatchConsumer(self.policy, lambda topic: ev.SYSTEM_COMMANDS)

    async def apply(self, deliveries: Sequence[Delivery]) -> None:
        if self.transient_failures:
            self.transient_failures -= 1
            raise asyncpg.PostgresConnectionError("the database went away")
        if any(d.event.event_id in self.poison for d in deliveries):
            raise ValueError("poison")
        self.applied.append([d.record.offset for d in deliveries])


def test_copies_inside_a_batch_are_dropped_and_the_first_is_kept():
    made = commitment(action_id="bc-1")
    kept = first_wins([Delivery(record(made.to_bytes(), 1), made), Delivery(record(made.to_bytes(), 2), made)])
    assert [d.record.offset for d in kept] == [1]


async def test_a_batch_is_applied_whole_in_offset_order():
    r = Recorder()
    events = [commitment(action_id="bc-1"), progress(action_id="bc-1", percent=10), progress(action_id="bc-1")]
    await r.consumer.consume(None, [record(e.to_bytes(), i) for i, e in enumerate(events)], r.apply)  # type: ignore[arg-type]
    assert r.applied == [[0, 1, 2]]
    assert r.dead == []


async def test_bad_input_is_dead_lettered_alone_and_the_rest_applied_together():
    r = Recorder()
    made, update = commitment(action_id="bc-1"), progress(action_id="bc-1")
    await r.consumer.consume(None, [record(made.to_bytes(), 0), record(b"not json", 1),  # type: ignore[arg-type]
                                    record(update.to_bytes(), 2)], r.apply)
    assert r.dead == [(1, "not_json")]
    assert r.applied == [[0, 2]]


async def test_a_poison_event_rolls_the_batch_back_and_is_dead_lettered_alone_after_its_retries():
    made, poison, update = commitment(action_id="bc-1"), commitment(action_id="bc-2"), progress(action_id="bc-1")
    r = Recorder(poison={poison.event_id})
    await r.consumer.consume(None, [record(e.to_bytes(), i)  # type: ignore[arg-type]
                                    for i, e in enumerate([made, poison, update])], r.apply)
    assert r.applied == [[0], [2]]  # the batch failed whole; then one event per transaction
    assert r.dead == [(1, "handler_failed")]


async def test_a_transient_failure_retries_the_whole_batch_holding_its_place():
    r = Recorder(transient_failures=2)
    events = [commitment(action_id="bc-1"), progress(action_id="bc-1")]
    await r.consumer.consume(None, [record(e.to_bytes(), i) for i, e in enumerate(events)], r.apply)  # type: ignore[arg-type]
    assert r.applied == [[0, 1]]
    assert r.dead == []
    assert r.policy.in_flight == {}
