"""Readiness tells the truth, against the real broker and database: /ready answers 503 with the
reason while a service cannot do its work, 200 again once it can, and /metrics carries the same."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from faststream import TestApp

from services.platform.topics import ensure_topics
from shared.access import Access
from shared.contracts.events import ProgressReported
from shared.db import Database
from shared.messaging import SUBSCRIBER_DEFAULTS, DeadLetterPolicy, event_decoder, make_broker
from shared.outbox import OutboxRelay, add_to_outbox
from shared.service import service_app
from shared.settings import ServiceSettings
from tests.infra import api_client, api_keys
from tests.kafka_tools import eventually, produce
from tests.samples import progress

pytestmark = pytest.mark.integration


async def ready_body(http: httpx.AsyncClient, status: int) -> dict[str, Any] | None:
    """The body of /ready when it answers ``status``, else None."""
    response = await http.get("/ready")
    return response.json() if response.status_code == status else None


def client(app: Any) -> httpx.AsyncClient:
    return api_client(app, "http://service.test")


async def test_a_consumer_stuck_on_one_message_makes_the_service_unready_with_where_and_why_until_it_moves_on(
        kafka, database_url):
    name = f"svc-{uuid.uuid4().hex[:6]}"
    topic = f"in-{name}"
    await ensure_topics(kafka, [topic, f"{name}.deadletter"])
    policy = DeadLetterPolicy(name, base_delay=0.05, max_delay=0.1, stuck_after=1.0)
    broker = make_broker(ServiceSettings(kafka_bootstrap_servers=kafka), middlewares=(policy,))
    outage = {"on": True}
    handled: list[ProgressReported] = []

    @broker.subscriber(topic, group_id=name, decoder=event_decoder(ProgressReported), **SUBSCRIBER_DEFAULTS)
    async def on_progress(event: ProgressReported) -> None:
        if outage["on"]:
            raise ConnectionRefusedError("the database this handler writes to is away")
        handled.append(event)

    app = service_app(name, broker, Database(database_url), access=Access(api_keys().clients), health=[policy])
    async with TestApp(app), client(app) as http:
        await produce(kafka, topic, [progress().to_bytes()], key=b"k")
        stuck = await eventually(lambda: ready_body(http, 503))
        (problem,) = stuck["problems"]
        assert problem.startswith(f"consumer: stuck on {topic}/")
        assert "failed attempts, the last: ConnectionRefusedError" in problem
        assert stuck["checks"]["broker"]["ok"] and stuck["checks"]["database"]["ok"]
        metrics = (await http.get("/metrics")).text
        assert f'readiness_check_ok{{check="consumer",service="{name}"}} 0.0' in metrics
        assert f'service_ready{{service="{name}"}} 0.0' in metrics

        outage["on"] = False
        await eventually(lambda: handled)
        recovered = await eventually(lambda: ready_body(http, 200))
    assert recovered["problems"] == [] and recovered["checks"]["consumer"]["consumer_longest_in_flight_seconds"] == 0


async def test_an_outbox_that_cannot_publish_makes_the_service_unready_with_its_lag_until_it_drains(
        kafka, database_url):
    name = f"svc-{uuid.uuid4().hex[:6]}"
    missing = f"out-{name}"  # not created yet: the relay cannot publish to it
    database = Database(database_url)
    await database.open()
    async with database.transaction() as conn:
        await add_to_outbox(conn, missing, progress())
        await conn.execute("UPDATE outbox SET created_at = now() - interval '60 seconds'")
    await database.close()
    broker = make_broker(ServiceSettings(kafka_bootstrap_servers=kafka))
    relay = OutboxRelay(database, broker, name, interval=0.05, max_age=5.0)
    app = service_app(name, broker, database, access=Access(api_keys().clients), loops=[relay])
    async with TestApp(app), client(app) as http:
        lagging = await eventually(lambda: ready_body(http, 503))
        assert [p.split(",")[0] for p in lagging["problems"]] == ["outbox: 1 unpublished"]
        assert lagging["checks"]["outbox"]["outbox_unpublished_rows"] == 1
        assert lagging["checks"]["outbox"]["outbox_oldest_unpublished_seconds"] >= 60
        metrics = (await http.get("/metrics")).text
        assert f'outbox_unpublished_rows{{service="{name}"}} 1.0' in metrics

        await ensure_topics(kafka, [missing])
        drained = await eventually(lambda: ready_body(http, 200), timeout=90)
    assert drained["checks"]["outbox"]["outbox_unpublished_rows"] == 0
    assert drained["checks"][f"loop:{name}-outbox-relay"]["ok"]
