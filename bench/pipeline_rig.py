"""What the pipeline benchmark's measurements run on: the stack's three databases and a
producer (``Pipeline``), an SMTP server that timestamps each arrival (``Inbox``), and the
set-up every phase starts from (the leader known, the clock on ``TODAY``, every action
committed and judged)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import re
import signal
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiosmtpd.controller import Controller

from shared.contracts import events as ev
from shared.contracts.envelope import Event
from shared.contracts.topics import CLOCK, DIRECTORY, system_inbound
from tests.samples import commitment
from tools.ports import free_port
from tools.stack import Stack

SYSTEM = "black-country"
# The clock stands on a day before the sample commitment's milestone (31 March) is due and
# where its planned trajectory is about 9%: updates at 10% or more are on track, and only a
# reported missed milestone makes an action slip.
TODAY = date(2026, 2, 2)
NOW = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
ON_TRACK_FROM = 10.0


@dataclass
class Inbox:
    """aiosmtpd handler: the wall time each message arrived, by the bench action id it names."""

    pattern: re.Pattern[str]
    arrivals: dict[str, float] = field(default_factory=dict)
    other: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's hook name
        at = time.time()
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = str(message["Subject"] or "")
        body = message.get_body(preferencelist=("plain",))
        if body is not None:
            text += "\n" + body.get_content()
        found = self.pattern.search(text)
        with self.lock:
            if found:
                self.arrivals.setdefault(found.group(0), at)  # a resend keeps the first arrival
            else:
                self.other += 1
        return "250 OK"


@contextmanager
def smtp_server(inbox: Inbox) -> Iterator[int]:
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


async def wait_for(check: Callable[[], Awaitable[Any]], what: str, within: float, interval: float = 0.05) -> float:
    """Poll ``check()`` until truthy, for ``within`` seconds at most; return the perf_counter
    time it first held."""
    try:
        async with asyncio.timeout(within):
            while True:
                if await check():
                    return time.perf_counter()
                await asyncio.sleep(interval)
    except TimeoutError:
        raise TimeoutError(f"{what}: not reached within {within:.0f}s") from None


@contextmanager
def paused(p: Pipeline, service: str) -> Iterator[None]:
    """The service's process stopped (SIGSTOP) while the caller posts, continued after: it then finds
    its input waiting in the log, as the sink does, so its rate is not the bench producer's (about
    4,000 sends a second from one Python process). Posting takes a few seconds, less than the
    consumer's session time-out, so it keeps its partitions."""
    process = p.stack.services[service].popen
    assert process is not None, f"{service} is not running"
    os.kill(process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(process.pid, signal.SIGCONT)


async def send(producer: AIOKafkaProducer, topic: str, event: Event) -> None:
    await producer.send(topic, event.to_bytes(), key=event.subject.encode())


@dataclass
class Pipeline:
    stack: Stack
    producer: AIOKafkaProducer
    actions_db: asyncpg.Connection
    accountability_db: asyncpg.Connection
    notifications_db: asyncpg.Connection
    run_id: str
    leader: str

    @property
    def inbound(self) -> str:
        return system_inbound(SYSTEM)

    async def versions_reached(self, ids: list[str], version: int) -> bool:
        reached: int = await self.accountability_db.fetchval(
            "SELECT count(*) FROM actions WHERE action_id = ANY($1::text[]) AND version >= $2", ids, version)
        return reached == len(ids)

    async def versions_at_least(self, versions: dict[str, int]) -> bool:
        """Accountability holds at least these versions (each action's last update judged)."""
        reached: int = await self.accountability_db.fetchval(
            "SELECT count(*) FROM actions a JOIN unnest($1::text[], $2::int[]) AS t(id, v) ON a.action_id = t.id"
            " WHERE a.version >= t.v", list(versions), list(versions.values()))
        return reached == len(versions)

    async def quiet(self, seconds: float = 2.0, within: float = 120.0) -> None:
        """Wait until every service has stopped consuming and every outbox is empty (nothing
        changed for ``seconds``), for ``within`` seconds at most."""
        async def snapshot() -> tuple[int, ...]:
            counts = []
            for conn in (self.actions_db, self.accountability_db, self.notifications_db):
                counts.append(await conn.fetchval("SELECT count(*) FROM processed_events"))
                counts.append(await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
            counts.append(await self.actions_db.fetchval("SELECT count(*) FROM action_events"))
            return tuple(counts)

        try:
            async with asyncio.timeout(within):
                last, since = await snapshot(), time.perf_counter()
                while time.perf_counter() - since < seconds:
                    await asyncio.sleep(0.25)
                    now = await snapshot()
                    if now != last:
                        last, since = now, time.perf_counter()
        except TimeoutError:
            raise TimeoutError("the services did not go quiet") from None


async def setup(p: Pipeline, ids: list[str]) -> None:
    """The leader in the directory, the clock on TODAY, every action committed and judged."""
    person = ev.PersonUpdated.new(source="admin", subject=p.leader, data=ev.Person(
        person_id=p.leader, name="Bench Leader", email=f"{p.leader}@example.org", roles=["leader"],
        systems=[SYSTEM]))
    await send(p.producer, DIRECTORY.name, person)
    await send(p.producer, CLOCK.name, ev.ClockTicked.new(source="clock", subject="clock", data=ev.Tick(now=NOW)))
    await p.producer.flush()
    await wait_for(lambda: p.accountability_db.fetchval("SELECT today = $1 FROM clock", TODAY),
                   "accountability reads the clock", 60)
    await wait_for(lambda: p.notifications_db.fetchval("SELECT count(*) = 1 FROM people WHERE person_id = $1",
                                                       p.leader), "notifications knows the leader", 60)
    for action_id in ids:
        # The title carries the id, so the email's subject names the action.
        await send(p.producer, p.inbound, commitment(action_id=action_id, system=SYSTEM,
                                                     accountable_leader=p.leader, title=f"Bench {action_id}"))
    await p.producer.flush()
    await wait_for(lambda: p.versions_reached(ids, 1), "every commitment judged", 180)
