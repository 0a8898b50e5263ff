"""``python -m services.platform.clock`` publishes ticks to the real broker."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.platform.topics import ensure_topics
from shared.contracts import parse_event
from shared.contracts.events import ClockTicked
from tests.kafka_tools import collect

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


async def test_the_clock_process_ticks_to_the_broker_with_the_wall_clock_time(kafka):
    topic = f"clock-test-{uuid.uuid4().hex[:6]}"  # not governance.clock: other tests' services read that
    await ensure_topics(kafka, [topic])
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka, "CLOCK_TOPIC": topic, "CLOCK_INTERVAL_SECONDS": "0.2"}
    before = datetime.now(UTC)
    clock = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.platform.clock", "--ticks", "3", cwd=REPO, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await asyncio.wait_for(clock.communicate(), 60)
    assert clock.returncode == 0, output.decode()
    records = await collect(kafka, topic, lambda r: len(r) >= 3)
    ticks = [parse_event(r.value) for r in records]
    assert all(isinstance(t, ClockTicked) for t in ticks) and {r.key for r in records} == {b"clock"}
    instants = [t.data.now for t in ticks]
    assert instants == sorted(instants) and before - timedelta(seconds=1) <= instants[0]
    assert instants[-1] - instants[0] >= timedelta(seconds=0.35)  # on the cadence, not all at once
    assert '"event": "tick"' in output.decode()  # JSON logs
