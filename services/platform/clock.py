"""The governance clock: the production source of time.

    python -m services.platform.clock            # a tick every CLOCK_INTERVAL_SECONDS, until stopped
    python -m services.platform.clock --ticks 1  # one tick, then exit
    python -m services.platform.clock --advance-to 2026-06-01T09:00:00Z --by p-ops-lead --reason "..."
                                                 # an operator moves time on, once (see below)

Publishes ``clock.ticked`` to ``governance.clock`` (key ``clock``) carrying the wall-clock
instant. The services never read the wall clock to decide anything: time reaches them only
as these ticks, so tests publish ticks with the ``now`` they choose and run months in
seconds. Several clocks running at once do no harm: a service ignores a tick older than
the latest it has seen, and a later tick only moves time forward.

Time is bounded: a service refuses (to its dead-letter topic, changing nothing) a tick well
before its clock, and one further ahead than it takes in one step (accountability's
``CLOCK_MAX_STEP_DAYS``), so a tick pushed onto the topic cannot close a quarter early. When
time really must move on further (the clock was stopped for weeks), an operator says so: a
tick with ``moved_on_by`` and ``reason``, which the service logs and applies.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated

import typer
from pydantic import Field

from shared.contracts.envelope import utc_now
from shared.contracts.events import ClockTicked, Tick
from shared.contracts.topics import CLOCK
from shared.logging import configure_logging, get_logger
from shared.messaging import TRANSIENT_ERRORS, make_broker
from shared.settings import ServiceSettings

log = get_logger("clock")


class ClockSettings(ServiceSettings):
    clock_interval_seconds: float = Field(60.0, gt=0, description="wall-clock seconds between ticks")
    clock_topic: str = Field(CLOCK.name, description="where ticks go; tests point it elsewhere")


def tick(now: datetime, moved_on_by: str | None = None, reason: str = "") -> ClockTicked:
    return ClockTicked.new(source="clock", subject="clock", data=Tick(now=now, moved_on_by=moved_on_by, reason=reason),
                           occurred_at=now)


async def run(settings: ClockSettings, *, ticks: int | None = None, now: Callable[[], datetime] = utc_now,
              stop: asyncio.Event | None = None,
              publish: Callable[[ClockTicked], Awaitable[None]] | None = None) -> int:
    """Tick every ``clock_interval_seconds`` on a fixed cadence (no drift) until ``ticks``
    were sent or ``stop`` is set; returns how many were sent. A broker that is down costs
    ticks, never the clock: the next tick carries the time anyway."""
    stop = stop or asyncio.Event()
    broker = None
    if publish is None:
        broker = make_broker(settings, client_id="clock")
        await broker.start()

        async def publish(event: ClockTicked) -> None:
            await broker.publish(event.to_bytes(), topic=settings.clock_topic, key=event.subject.encode(),
                                 headers={"content-type": "application/json"})

    sent = 0
    started = time.monotonic()
    try:
        while ticks is None or sent < ticks:
            event = tick(now())
            try:
                await publish(event)
                sent += 1
                log.info("tick", now=event.data.now.isoformat())
            except TRANSIENT_ERRORS as exc:
                log.warning("tick_not_sent", error=repr(exc))
            if ticks is not None and sent >= ticks:
                break
            beat = started + (int((time.monotonic() - started) / settings.clock_interval_seconds) + 1) \
                * settings.clock_interval_seconds
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), max(0.0, beat - time.monotonic()))
            if stop.is_set():
                break
    finally:
        if broker is not None:
            await broker.stop()
    return sent


async def advance(settings: ClockSettings, to: datetime, by: str, reason: str) -> None:
    """One operator's tick: time moved on to ``to`` by person ``by``, for ``reason``."""
    broker = make_broker(settings, client_id="clock-operator")
    await broker.start()
    try:
        event = tick(to, moved_on_by=by, reason=reason)
        await broker.publish(event.to_bytes(), topic=settings.clock_topic, key=event.subject.encode(),
                             headers={"content-type": "application/json"})
    finally:
        await broker.stop()
    log.warning("clock_moved_on", moved_to=to.isoformat(), by=by, reason=reason)


async def _main(settings: ClockSettings, ticks: int | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await run(settings, ticks=ticks, stop=stop)


# A plain traceback on failure, as before: these run in containers and their output is logs.
cli = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@cli.command()
def main(
    ticks: Annotated[int | None, typer.Option(help="send this many ticks, then exit")] = None,
    advance_to: Annotated[datetime | None, typer.Option(
        help="an operator moves time on to this instant (beyond the step a service takes), once, and exits")] = None,
    by: Annotated[str | None, typer.Option(help="with --advance-to: the operator's person id")] = None,
    reason: Annotated[str, typer.Option(help="with --advance-to: why time must move on")] = "",
) -> None:
    """The governance clock: the production source of time (CLOCK_INTERVAL_SECONDS, CLOCK_TOPIC,
    KAFKA_BOOTSTRAP_SERVERS from the environment)."""
    settings = ClockSettings()
    configure_logging("clock", settings.log_level, settings.log_repeat_interval_seconds)
    if advance_to is not None:
        if not by or not reason:
            raise typer.BadParameter("say who moves time on (--by) and why (--reason)", param_hint="--advance-to")
        when = advance_to if advance_to.tzinfo else advance_to.replace(tzinfo=UTC)
        asyncio.run(advance(settings, when, by, reason))
        return
    log.info("clock_started", interval=settings.clock_interval_seconds, topic=settings.clock_topic)
    asyncio.run(_main(settings, ticks))


if __name__ == "__main__":
    cli()
