"""The governance clock (services/platform/clock.py): what it sends and at what cadence, without a broker."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from services.platform.clock import ClockSettings, run, tick
from shared.contracts import parse_event
from shared.contracts.events import ClockTicked
from shared.contracts.topics import CLOCK


def test_a_tick_is_a_clock_ticked_event_keyed_clock_carrying_the_instant():
    now = datetime(2026, 3, 22, 9, 30, tzinfo=UTC)
    event = tick(now)
    assert isinstance(parse_event(event.to_bytes(), accept=CLOCK.events), ClockTicked)
    assert (event.subject, event.source, event.data.now, event.occurred_at) == ("clock", "clock", now, now)


def test_settings_default_to_a_tick_a_minute_on_the_clock_topic(monkeypatch):
    assert (ClockSettings().clock_interval_seconds, ClockSettings().clock_topic) == (60.0, "governance.clock")
    monkeypatch.setenv("CLOCK_INTERVAL_SECONDS", "0.5")
    assert ClockSettings().clock_interval_seconds == 0.5


async def test_it_ticks_on_a_fixed_cadence_until_told_to_stop():
    sent: list[ClockTicked] = []
    start = datetime(2026, 1, 1, tzinfo=UTC)

    async def publish(event: ClockTicked) -> None:
        sent.append(event)

    instants = (start + timedelta(minutes=i) for i in range(100))
    settings = ClockSettings(clock_interval_seconds=0.05)
    assert await run(settings, ticks=4, now=lambda: next(instants), publish=publish) == 4
    assert [e.data.now for e in sent] == [start + timedelta(minutes=i) for i in range(4)]
    assert len({e.event_id for e in sent}) == 4

    stop = asyncio.Event()
    sent.clear()
    running = asyncio.create_task(run(settings, stop=stop, publish=publish))
    await asyncio.sleep(0.22)
    stop.set()
    assert 3 <= await asyncio.wait_for(running, 2) <= 6


async def test_a_broker_that_is_down_costs_ticks_not_the_clock():
    calls = 0

    async def flaky(event: ClockTicked) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OSError("broker unreachable")

    assert await run(ClockSettings(clock_interval_seconds=0.01), ticks=2, publish=flaky) == 2
    assert calls == 3
