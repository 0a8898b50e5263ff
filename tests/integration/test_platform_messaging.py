"""The platform's delivery rules, against the real broker and database."""

from __future__ import annotations

import json
import uuid

import pytest
from faststream import TestApp

from services.platform.topics import ensure_topics
from shared.contracts import Event, parse_event
from shared.contracts.events import ClockTicked, ProgressReported, Tick
from shared.messaging import SUBSCRIBER_DEFAULTS, DeadLetterPolicy, event_decoder, make_broker
from shared.settings import ServiceSettings
from tests.kafka_tools import collect, eventually, header, produce
from tests.samples import one_of_each, progress

pytestmark = pytest.mark.integration


async def test_every_v1_event_type_round_trips_through_the_broker(kafka):
    topic = f"roundtrip-{uuid.uuid4().hex[:6]}"
    await ensure_topics(kafka, [topic])
    sent = one_of_each()
    await produce(kafka, topic, [e.to_bytes() for e in sent])
    records = await collect(kafka, topic, lambda r: len(r) >= len(sent))
    received = [parse_event(r.value) for r in records]
    assert sorted(received, key=lambda e: e.type) == sorted(sent, key=lambda e: e.type)


def _service(kafka: str, name: str, topic: str, handled: list[Event], fail_first: int = 0):
    policy = DeadLetterPolicy(name, base_delay=0.05)
    broker = make_broker(ServiceSettings(kafka_bootstrap_servers=kafka), middlewares=(policy,))
    failures = {"left": fail_first}

    @broker.subscriber(topic, group_id=name, decoder=event_decoder(ProgressReported), **SUBSCRIBER_DEFAULTS)
    async def on_progress(event: ProgressReported) -> None:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise RuntimeError("simulated bug")
        handled.append(event)

    return broker


async def test_bad_messages_go_to_the_dead_letter_topic_with_their_reason_and_the_consumer_goes_on(kafka):
    name = f"svc-{uuid.uuid4().hex[:6]}"
    topic = f"in-{name}"
    await ensure_topics(kafka, [topic, f"{name}.deadletter"])
    good = progress()
    newer = json.loads(good.to_bytes()) | {"schema_version": 2}
    broken = json.loads(good.to_bytes())
    broken["data"]["percent_complete"] = "most"
    clock = ClockTicked.new(source="clock", subject="clock", data=Tick(now=good.occurred_at))
    bad = [b"this is not json", json.dumps(broken).encode(),
           json.dumps({"type": "progress.teleported", "schema_version": 1}).encode(),
           json.dumps(newer).encode(), clock.to_bytes()]
    await produce(kafka, topic, [*bad, good.to_bytes()], key=b"a1")

    handled: list[Event] = []
    async with TestApp(_app(_service(kafka, name, topic, handled))):
        await eventually(lambda: handled, timeout=30)
    assert handled == [good]

    dead = await collect(kafka, f"{name}.deadletter", lambda r: len(r) >= len(bad))
    assert [r.value for r in dead] == bad
    assert [header(r, "dlt-code") for r in dead] == [
        "not_json", "schema_invalid", "unknown_type", "unsupported_version", "unexpected_type"]
    assert "data.percent_complete" in header(dead[1], "dlt-reason")
    assert header(dead[0], "dlt-topic") == topic
    assert [header(r, "dlt-offset") for r in dead] == ["0", "1", "2", "3", "4"]


async def test_a_failing_handler_is_retried_then_dead_lettered_never_silently_dropped(kafka):
    name = f"svc-{uuid.uuid4().hex[:6]}"
    topic = f"in-{name}"
    await ensure_topics(kafka, [topic, f"{name}.deadletter"])
    flaky, doomed = progress(action_id="flaky"), progress(action_id="doomed")
    handled: list[Event] = []
    # 2 failures then success for the first message (max_attempts=3), then 3 more failures
    # for the second message: retried, then dead-lettered with the error.
    broker = _service(kafka, name, topic, handled, fail_first=2)
    async with TestApp(_app(broker)):
        await produce(kafka, topic, [flaky.to_bytes()], key=b"k")
        await eventually(lambda: handled)
    assert handled == [flaky]

    handled.clear()
    broker = _service(kafka, name, topic, handled, fail_first=3)
    async with TestApp(_app(broker)):
        await produce(kafka, topic, [doomed.to_bytes()], key=b"k")
        dead = await collect(kafka, f"{name}.deadletter", lambda r: len(r) >= 1)
    assert handled == []
    assert header(dead[0], "dlt-code") == "handler_failed"
    assert "simulated bug" in header(dead[0], "dlt-reason")


def _app(broker):
    from faststream import FastStream

    return FastStream(broker)
