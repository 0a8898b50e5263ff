"""Logs that survive an outage: identical lines collapsed into one per interval with a count, the
Kafka client's lines too, nothing personal in them, and different lines never merged."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import structlog

from shared.logging import configure_logging, get_logger

INTERVAL = 0.3  # seconds; the services use 60 (LOG_REPEAT_INTERVAL_SECONDS)


@pytest.fixture
def lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    out = io.StringIO()
    configure_logging("test", "INFO", repeat_interval=INTERVAL, stream=out)

    def read() -> list[dict[str, Any]]:
        return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]

    yield read
    structlog.reset_defaults()
    logging.getLogger().handlers.clear()


def test_an_error_repeated_during_an_outage_is_written_once_then_once_per_interval_with_a_count(lines):
    log = get_logger("relay")
    for _ in range(50):
        log.warning("poll_retry", loop="actions-outbox-relay", error="ConnectionRefusedError(111)")
    time.sleep(INTERVAL * 1.2)
    log.warning("poll_retry", loop="actions-outbox-relay", error="ConnectionRefusedError(111)")
    written = lines()
    assert [(w["event"], w.get("repeated")) for w in written] == [("poll_retry", None), ("poll_retry", 49)]


def test_lines_that_differ_in_any_field_are_each_written(lines):
    log = get_logger("relay")
    log.warning("poll_retry", loop="relay", error="ConnectionRefusedError")
    log.warning("poll_retry", loop="relay", error="TimeoutError")
    log.warning("poll_retry", loop="dispatcher", error="TimeoutError")
    log.error("poll_retry", loop="dispatcher", error="TimeoutError")
    assert len(lines()) == 4


def test_the_kafka_clients_own_connection_errors_are_rate_limited_by_their_text(lines):
    client = logging.getLogger("aiokafka.conn")
    for _ in range(200):
        client.error("Unable connect to node with id %s: %s", 1, "[Errno 111] Connect call failed")
    client.error("Unable to update metadata from [1]")
    time.sleep(INTERVAL * 1.2)
    client.error("Unable connect to node with id %s: %s", 1, "[Errno 111] Connect call failed")
    written = lines()
    assert [(w["event"][:26], w.get("repeated")) for w in written] == [
        ("Unable connect to node wit", None), ("Unable to update metadata ", None),
        ("Unable connect to node wit", 199)]
    assert all(w["logger"] == "aiokafka.conn" for w in written)


def test_a_collapsed_line_still_names_nobody(lines):
    log = get_logger("notifications")
    for _ in range(3):
        log.error("send_failed", name="Dana Leader", detail="550 <dana@example.org> unknown")
    time.sleep(INTERVAL * 1.2)
    log.error("send_failed", name="Dana Leader", detail="550 <dana@example.org> unknown")
    text = json.dumps(lines())
    assert "Dana" not in text and "dana@example.org" not in text and '"repeated": 2' in text
