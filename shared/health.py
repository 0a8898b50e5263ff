"""Readiness that tells the truth. Each dependency (the broker, the database, SMTP for
notifications) and each background loop (the outbox relay, the consumer, the dispatcher) reports
whether the service can do its work, why not, and the figures behind it. ``/ready`` answers 503
with every reason while any check fails; ``/metrics`` carries the same checks and figures.

A check can also be informative only (``ok`` with a detail and figures): a notice refused by one
bad address is surfaced, but does not make the service unready.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from faststream.kafka import KafkaBroker
from prometheus_client import Gauge

if TYPE_CHECKING:
    from .db import Database
    from .service import Loop

CHECK_TIMEOUT = 3.0  # seconds any one check may take before it counts as failed

# Every figure a check may report, exported as a gauge of that name labelled with the service.
FIGURES = {
    "outbox_unpublished_rows": "Outbox rows not yet confirmed by the broker",
    "outbox_oldest_unpublished_seconds": "Age of the oldest outbox row not yet confirmed by the broker",
    "outbox_failed_passes": "Relay passes that failed in a row",
    "consumer_longest_in_flight_seconds": "How long the consumer has been on its current message (0 when idle)",
    "consumer_in_flight_failures": "Failed attempts at the message the consumer is on",
    "notices_undeliverable": "Notices refused for good, waiting for an operator to re-send them",
    "notices_retrying": "Notices waiting to be tried again after a transient failure",
    "notices_oldest_retrying_seconds": "Age of the oldest notice waiting to be tried again",
}
READY = Gauge("service_ready", "1 when the service can do its work (as /ready says)", ["service"])
CHECK_OK = Gauge("readiness_check_ok", "1 when the readiness check passes", ["service", "check"])
_FIGURE_GAUGES = {name: Gauge(name, doc, ["service"]) for name, doc in FIGURES.items()}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""
    figures: Mapping[str, float] = field(default_factory=dict)


@runtime_checkable
class HealthSource(Protocol):
    """Anything that can say how it is doing: the outbox relay, the dead-letter policy (the
    consumer), the notifications dispatcher."""

    async def health(self) -> list[Check]: ...


class Readiness:
    """The checks of one service, evaluated together for ``/ready`` and ``/metrics``."""

    def __init__(self, service: str, broker: KafkaBroker, database: Database, loops: Sequence[Loop],
                 sources: Sequence[HealthSource]) -> None:
        self.service = service
        self.broker = broker
        self.database = database
        self.loops = loops
        self.sources = [*sources, *(loop for loop in loops if isinstance(loop, HealthSource))]

    async def evaluate(self) -> list[Check]:
        checks = [await self._broker(), await self._database()]
        checks += [Check(f"loop:{loop.name}", loop.running, "" if loop.running else "stopped") for loop in self.loops]
        for source in self.sources:
            checks += await _guarded(source)
        self._export(checks)
        return checks

    async def _broker(self) -> Check:
        reachable = await self.broker.ping(timeout=2)
        return Check("broker", reachable, "" if reachable else "unreachable")

    async def _database(self) -> Check:
        try:
            await asyncio.wait_for(self.database.pool.fetchval("SELECT 1", timeout=2), CHECK_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - any failure means the database cannot do its part
            return Check("database", False, f"{type(exc).__name__}: {exc}"[:200])
        return Check("database", True)

    def _export(self, checks: list[Check]) -> None:
        READY.labels(self.service).set(all(c.ok for c in checks))
        for check in checks:
            CHECK_OK.labels(self.service, check.name).set(check.ok)
            for name, value in check.figures.items():
                if name in _FIGURE_GAUGES:
                    _FIGURE_GAUGES[name].labels(self.service).set(value)


async def _guarded(source: HealthSource) -> list[Check]:
    """A source's checks; one that fails or hangs is itself a failed check."""
    name = type(source).__name__
    try:
        return await asyncio.wait_for(source.health(), CHECK_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - a check that cannot run says the service cannot be trusted
        return [Check(name, False, f"check failed: {type(exc).__name__}: {exc}"[:200])]


def report(checks: list[Check]) -> dict[str, object]:
    """The body of /ready: ready or not, every reason, and each check with its figures."""
    return {
        "ready": all(c.ok for c in checks),
        "problems": [f"{c.name}: {c.detail}" for c in checks if not c.ok],
        "checks": {c.name: {"ok": c.ok, "detail": c.detail, **c.figures} for c in checks},
    }
