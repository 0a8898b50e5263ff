"""The real stack under a steady stream of events, the faults the suite inflicts on it, and the
checks that must hold after each: state equals a replay of the log, every notice out once,
nothing accepted lost, every bad input dead-lettered with its reason.

The rig owns its broker and database (not the session's shared ones) because it stops and
restarts them, and because "the state equals a replay of the log" needs a log that holds
only what this suite sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import json
import os
import signal
import subprocess
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from aiosmtpd.controller import Controller

from services.accountability.handlers import INPUTS as ACCOUNTABILITY_INPUTS
from services.accountability.replay import differences, rebuild, state_of
from services.accountability.settings import AccountabilitySettings
from services.actions.rebuild import rebuild_and_compare
from services.notifications.domain import Person, channels_for, escalation_addressees, notice_step
from shared.contracts import ContractError, parse_event
from shared.contracts import events as ev
from shared.contracts.envelope import Event
from shared.contracts.topics import (
    ACCOUNTABILITY,
    CLOCK,
    DIRECTORY,
    NOTICES,
    RESPONSES,
    SHARED_TOPICS,
    Groups,
    dead_letter,
    system_feedback,
    system_inbound,
)
from shared.reference import ReferenceData
from tests.infra import create_database
from tools.kafka import KafkaServer
from tools.postgres import PostgresServer
from tools.processes import Process
from tools.stack import Stack

LEADERS = [f"p-res-leader-{i}" for i in range(4)]
CHAIR = "p-panel-chair"  # AccountabilitySettings.panel_chair's default
FIRST_DAY = date(2026, 1, 5)
SETTLE_TIMEOUT = 120.0
READY_TIMEOUT = 90.0

# A consumer's batch transaction that has written (has a transaction id) and not committed; the
# outbox relay's own writing statement (marking rows published) is not a batch.
_BATCH_WRITING = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                  " AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
                  " AND query NOT LIKE 'UPDATE outbox SET published_at%'")


def noon(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 12, tzinfo=UTC)


# ---- notices: a real SMTP server that counts what arrives ------------------------------------

@dataclass
class Mailbox:
    """What an SMTP server received: one entry per receipt, with its Message-ID. It can hold each
    message open before answering (``hold``), so a kill can be timed to land while a send is in
    flight, and it can go down and come back on the same port."""

    receipts: list[tuple[str, str]] = field(default_factory=list)  # (message id, to)
    port: int = 0
    hold: float = 0.0  # seconds each DATA waits before "250 OK"
    open_data: int = 0  # messages received but not yet answered: sends in flight
    server: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.open_data += 1
        try:
            if self.hold:
                await asyncio.sleep(self.hold)
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.receipts.append((str(message["Message-ID"]).strip("<>"), str(message["To"])))
        finally:
            self.open_data -= 1
        return "250 OK"

    def start(self) -> None:
        self.server = Controller(self, hostname="127.0.0.1", port=self.port)
        self.server.start()

    def stop(self) -> None:
        """An outage: nothing listens on the port (connection refused) until ``start``."""
        if self.server is not None:
            self.server.stop()
            self.server = None

    def notice_ids(self, receipts: Iterable[tuple[str, str]] | None = None) -> Counter[str]:
        """Receipts per notice: the Message-ID is ``<notice-id@sender-domain>``."""
        return Counter(mid.rsplit("@", 1)[0] for mid, _ in (self.receipts if receipts is None else receipts))


# ---- what a scenario sent, and what it must find afterwards ----------------------------------

@dataclass
class BadInput:
    kind: str  # malformed | oversized | wrong version | forged ...
    topic: str
    partition: int
    offset: int
    service: str  # whose dead-letter topic (or, for forged, whose audit trail) must hold it
    event_id: str | None = None  # forged events are well formed and have one

    @property
    def readers(self) -> list[str]:
        """The services that must dead-letter it. Bytes no reader can decode: every reader of the
        topic it was put on (the registry's readers; a system's inbound topic is read by its service
        alone). A poison event, well formed but failing one handler: that service alone."""
        if self.kind.startswith("poison"):
            return [self.service]
        found = next((t.readers for t in SHARED_TOPICS if t.name == self.topic), None)
        return sorted(found) if found else [self.service]


@dataclass
class Row:
    scenario: str
    done: str
    sent: int = 0
    accepted: int = 0
    dead_lettered: int = 0
    receipts: int = 0
    distinct: int = 0
    replay: str = "-"
    held: bool = False
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    timeline: list[str] = field(default_factory=list)  # each phase and when it began, for a time-out's report
    expected: int = 0  # notices this scenario's escalations, reminders and agendas call for
    delivered: int = 0  # of those, received
    twice: int = 0  # of those, received more than once (same Message-ID: the residual window)
    lost: int = 0  # of those, never received
    fault_seconds: float = 0.0
    log_bytes: int = 0  # what the services logged during the fault


# ---- the rig ---------------------------------------------------------------------------------

class Rig:
    def __init__(self, kafka: KafkaServer, postgres: PostgresServer, stack: Stack, mailbox: Mailbox,
                 reference: ReferenceData, logs: Path) -> None:
        self.kafka = kafka
        self.postgres = postgres
        self.stack = stack
        self.mailbox = mailbox
        self.reference = reference
        self.systems = sorted(reference.systems)
        self.logs = logs
        self.rows: list[Row] = []
        self.scenarios = 0
        self.clock_day = FIRST_DAY
        self.extra: list[Process] = []
        self.other_cause: list[str] = []  # emitted events the replay attributes to another input
        self.in_flight: list[str] = []  # what the last settle() saw still moving
        self.fault_notes: list[str] = []  # what a fault saw (kept in the scenario's row)
        self.fault_problems: list[str] = []  # what a fault found wrong (fails the scenario)
        self.expected_before: set[str] = set()  # notices called for by the scenarios before this one
        self.fed: set[tuple[str, int, int]] = set()  # where the suite's own bad input landed
        self.unreadable: dict[str, str] = {}  # events a service published that its consumer refuses: where -> why

    @property
    def bootstrap(self) -> str:
        return self.kafka.bootstrap

    # ---- services: kill -9, start again with the same command and environment --------------

    def environment_of(self, process: Process) -> dict[str, str]:
        """The exact environment the stack started the process with (stack.py keeps no copy)."""
        assert process.popen is not None
        raw = Path(f"/proc/{process.popen.pid}/environ").read_bytes()
        return dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)

    def kill9(self, process: Process) -> dict[str, str]:
        env = self.environment_of(process)
        assert process.popen is not None and process.popen.poll() is None, f"{process.name} is not running"
        os.killpg(process.popen.pid, signal.SIGKILL)  # own session: nothing of it survives
        process.popen.wait()
        return env

    async def ready(self, process: Process, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2.0) as http:
            while time.monotonic() < deadline:
                if process.exited() is not None:
                    raise AssertionError(f"{process.name} exited:\n{process.log_tail()}")
                try:
                    if (await http.get(f"{process.url}/ready")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise AssertionError(f"{process.name} not ready after {timeout}s:\n{process.log_tail()}")

    async def crash_and_restart(self, service: str, *, while_sending: bool = False) -> None:
        process = self.stack.services[service]
        env = await self.kill9_while_sending(process) if while_sending else self.kill9(process)
        process.start(env)  # the same command (same port), the same environment
        await self.ready(process)

    async def kill9_while_sending(self, process: Process, timeout: float = 60.0) -> dict[str, str]:
        """kill -9 at a moment a notice is in flight: the SMTP server holds every message open for
        a while, and the signal is sent while at least one is received and not yet answered."""
        self.mailbox.hold = 0.5
        try:
            deadline = time.monotonic() + timeout
            while self.mailbox.open_data == 0:
                if time.monotonic() > deadline:
                    self.fault_problems.append(f"no send was in flight within {timeout:.0f}s: nothing to kill it in")
                    return self.kill9(process)
                await asyncio.sleep(0.01)
            in_flight = self.mailbox.open_data
            env = self.kill9(process)
        finally:
            self.mailbox.hold = 0.0
        claimed = await self.val("notifications", "SELECT count(*) FROM notices WHERE status = 'sending'")
        self.fault_notes.append(f"{process.name} killed with {in_flight} SMTP send(s) open, {claimed} notice(s) "
                                "claimed and not recorded")
        return env

    async def kill9_mid_batch(self, service: str, pile_up: float = 2.0, timeout: float = 30.0) -> None:
        """kill -9 while the service is half-way through a batch: it is paused (SIGSTOP) while the
        stream piles up a batch for it, let go, and killed the moment its batch's transaction has
        written rows and not committed (seen in ``pg_stat_activity``); then started again."""
        process = self.stack.services[service]
        assert process.popen is not None and process.popen.poll() is None, f"{service} is not running"
        os.killpg(process.popen.pid, signal.SIGSTOP)
        await asyncio.sleep(pile_up)
        conn = await asyncpg.connect(self.stack.database_urls[service])
        try:
            os.killpg(process.popen.pid, signal.SIGCONT)
            deadline = time.monotonic() + timeout
            while not (writing := await conn.fetchval(_BATCH_WRITING)):
                if time.monotonic() > deadline:
                    self.fault_problems.append(f"{service} never held a batch open within {timeout:.0f}s")
                    break
            env = self.kill9(process)
        finally:
            await conn.close()
        self.fault_notes.append(f"{service} killed with {writing or 0} batch transaction(s) written, not committed")
        process.start(env)
        await self.ready(process)

    def log_bytes(self) -> int:
        """What every service process has logged so far."""
        return sum(p.log_file.stat().st_size for p in [*self.stack.services.values(), *self.extra]
                   if p.log_file.exists())

    async def ready_report(self, service: str) -> tuple[int, dict[str, Any]]:
        async with httpx.AsyncClient(timeout=5.0) as http:
            # its reasons are for operations only: without an ops credential /ready says just ready or not
            response = await http.get(f"{self.stack.services[service].url}/ready",
                                      headers=self.stack.api_keys.headers())
            return response.status_code, response.json()

    async def second_instance(self, service: str) -> Process:
        """Another instance in the same consumer group: the first one's command on a new port."""
        from tools.ports import free_port

        first = self.stack.services[service]
        port = free_port()
        command = list(first.command)
        command[command.index("--port") + 1] = str(port)
        twin = Process(f"{service}-2", command, self.logs / f"{service}-2.log", port)
        twin.start(self.environment_of(first))
        self.extra.append(twin)
        await self.ready(twin)
        return twin

    # ---- the broker and the database: stop, start again on the same data and ports ---------

    def stop_broker(self) -> None:
        proc = self.kafka.process
        assert proc is not None
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def start_broker(self, timeout: float = 90.0) -> None:
        """Start the broker again on the same data directory and ports."""
        self.kafka.relaunch(timeout)

    # ---- traffic -------------------------------------------------------------------------

    async def send(self, items: list[tuple[str, bytes, bytes]], rate: float | None = None,
                   during: Callable[[int], Awaitable[None]] | None = None) -> list[tuple[str, int, int]]:
        """Publish (topic, key, value) in order, each retried until the broker takes it (it may
        be down); returns where each landed. ``rate`` paces the stream (events per second)."""
        async def fresh_producer() -> AIOKafkaProducer:
            while True:
                producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, enable_idempotence=True,
                                            request_timeout_ms=10_000, max_request_size=2 * 1024 * 1024)
                try:
                    await producer.start()
                    return producer
                except (KafkaError, OSError):
                    await producer.stop()
                    await asyncio.sleep(0.5)

        producer = await fresh_producer()
        placed = []
        try:
            started = time.monotonic()
            for i, (topic, key, value) in enumerate(items):
                while True:
                    try:
                        meta = await asyncio.wait_for(producer.send_and_wait(topic, value, key=key), 15)
                        break
                    except (KafkaError, TimeoutError, OSError):
                        # A send cut off by the broker's restart can leave an idempotent producer's
                        # sequence state behind the broker's: start a new producer (a new id).
                        with contextlib.suppress(Exception):
                            await producer.stop()
                        await asyncio.sleep(0.5)
                        producer = await fresh_producer()
                placed.append((topic, meta.partition, meta.offset))
                if rate:
                    await asyncio.sleep(max(0.0, started + (i + 1) / rate - time.monotonic()))
        finally:
            await producer.stop()
        return placed

    def commitments(self, scenario: int, due: date, count: int) -> list[Event]:
        """``count`` actions whose milestone falls due on ``due``, each with a progress update."""
        events: list[Event] = []
        updates: list[Event] = []
        for i in range(count):
            action_id = f"res{scenario}-{uuid.uuid4().hex[:6]}-{i:03d}"
            system = self.systems[i % len(self.systems)]
            events.append(ev.CommitmentMade.new(source=system, subject=action_id, data=ev.Commitment(
                action_id=action_id, system=system, action_point="AP3",
                title="Independent review of every formal disciplinary involving BME staff",
                accountable_leader=LEADERS[i % len(LEADERS)], start_date=date(2026, 1, 1),
                due_date=date(2027, 12, 31),
                milestones=[ev.Milestone(milestone_id="m1", title="Review panel in place", due=due)],
                trajectory=[], measure=None)))
            updates.append(ev.ProgressReported.new(source=system, subject=action_id, data=ev.ProgressReport(
                action_id=action_id, as_of=due - timedelta(days=3), percent_complete=10.0,
                narrative=ev.Narrative(working="Panel recruited", stopping_progress="Chair vacancy"))))
        # Interleaved: an action's update follows its commitment a few events later.
        stream: list[Event] = []
        for i, commitment in enumerate(events):
            stream.append(commitment)
            if i >= 3:
                stream.append(updates[i - 3])
        stream += updates[len(events) - 3:] if len(events) >= 3 else updates
        return stream

    @staticmethod
    def inbound(event: Event) -> tuple[str, bytes, bytes]:
        return system_inbound(event.source), event.subject.encode(), event.to_bytes()

    async def tick(self, *days: date) -> None:
        """One tick per day given, sent in one go (a clock catching up sends several)."""
        ticks = []
        for day in days:
            assert day >= self.clock_day, "the clock never goes back"
            self.clock_day = day
            ticks.append(ev.ClockTicked.new(source="clock", subject="clock", data=ev.Tick(now=noon(day))))
        await self.send([(CLOCK.name, b"clock", t.to_bytes()) for t in ticks])

    async def register_people(self) -> None:
        people = [ev.PersonUpdated.new(source="admin", subject=pid, data=ev.Person(
            person_id=pid, name=f"Person {pid[-1]}", email=f"{pid}@example.org")) for pid in [*LEADERS, CHAIR]]
        await self.send([(DIRECTORY.name, p.subject.encode(), p.to_bytes()) for p in people])

        async def all_there() -> bool:
            return await self.val("notifications", "SELECT count(*) FROM people") == len(people)

        await self.until(all_there, 60, "people registered in the notifications directory")

    # ---- observation ---------------------------------------------------------------------

    async def val(self, service: str, sql: str, *args: Any) -> Any:
        conn = await asyncpg.connect(self.stack.database_urls[service])
        try:
            return await conn.fetchval(sql, *args)
        finally:
            await conn.close()

    async def rows_of(self, service: str, sql: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.stack.database_urls[service])
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()

    @staticmethod
    async def until(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if await check():
                    return
            except (OSError, asyncpg.PostgresError, KafkaError):
                pass
            await asyncio.sleep(0.5)
        raise AssertionError(f"not within {timeout:.0f}s: {what}")

    def group_topics(self) -> dict[str, list[str]]:
        return {
            Groups.ACTIONS: [system_inbound(s) for s in self.systems],
            Groups.ACCOUNTABILITY: list(ACCOUNTABILITY_INPUTS),
            Groups.NOTIFICATIONS: [ACCOUNTABILITY.name, DIRECTORY.name, CLOCK.name, NOTICES.name, RESPONSES.name],
        }

    async def end_offsets(self, topics: list[str]) -> dict[TopicPartition, int]:
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap)
        await consumer.start()
        await asyncio.sleep(0)
        try:
            await consumer._client.force_metadata_update()
            parts = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]
            return await consumer.end_offsets(parts)
        finally:
            await consumer.stop()

    async def lag(self) -> dict[str, int]:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            lags = {}
            for group, topics in self.group_topics().items():
                committed = await admin.list_consumer_group_offsets(group)
                ends = await self.end_offsets(topics)
                if len(ends) < len(topics):  # a lag over no partitions would settle at once, vacuously
                    raise KafkaError(f"partitions of {topics} not known yet")
                lags[group] = sum(
                    end - max(committed[tp].offset if tp in committed else 0, 0) for tp, end in ends.items())
            return lags
        finally:
            await admin.close()

    def running(self, services: list[str]) -> list[str]:
        """Those of ``services`` this stack runs (the suite runs three; the registry names the portal too)."""
        return [s for s in services if s in self.stack.services]

    async def busy(self) -> list[str]:
        """What is still in flight; empty when the stack has caught up with everything sent."""
        found = [f"{group} lag {n}" for group, n in (await self.lag()).items() if n > 0]
        for service in self.stack.services:
            n = await self.val(service, "SELECT count(*) FROM outbox WHERE published_at IS NULL")
            if n:
                found.append(f"{service} outbox {n}")
        n = await self.val("notifications", "SELECT count(*) FROM notices WHERE status IN ('pending', 'sending')")
        if n:
            found.append(f"notifications in flight {n}")
        return found

    async def settle(self, timeout: float = SETTLE_TIMEOUT) -> None:
        """Wait until nothing is in flight, twice in a row a second apart."""
        quiet = 0
        last: list[str] = ["not checked"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                last = await self.busy()
            except (OSError, asyncpg.PostgresError, KafkaError) as exc:
                last = [repr(exc)]
            self.in_flight = last
            quiet = quiet + 1 if not last else 0
            if quiet >= 2:
                return
            await asyncio.sleep(1.0)
        raise AssertionError(f"the stack did not settle within {timeout:.0f}s: {last}")

    async def read_all(self, topics: list[str]) -> list[ConsumerRecord]:
        """Every record of ``topics`` up to their current ends (no group, nothing committed)."""
        ends = await self.end_offsets(topics)
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await consumer.start()
        await asyncio.sleep(0)  # aiokafka: stopping before its committed-offsets task ran raises CancelledError
        records: list[ConsumerRecord] = []
        try:
            parts = [tp for tp, end in ends.items() if end > 0]
            if not parts:
                return records
            consumer.assign(parts)
            await consumer.seek_to_beginning(*parts)
            waiting = set(parts)
            while waiting:
                batch = await consumer.getmany(*waiting, timeout_ms=1000)
                for tp, found in batch.items():
                    records += [r for r in found if r.offset < ends[tp]]
                for tp in list(waiting):
                    if await consumer.position(tp) >= ends[tp]:
                        waiting.discard(tp)
            return records
        finally:
            await consumer.stop()

    async def dead_letter_total(self) -> int:
        ends = await self.end_offsets([dead_letter(s) for s in self.stack.services])
        return sum(ends.values())

    # ---- the checks after each scenario ----------------------------------------------------

    async def actions_replay(self) -> list[str]:
        conn = await asyncpg.connect(self.stack.database_urls["actions"])
        try:
            comparison = await rebuild_and_compare(conn, self.reference)
        finally:
            await conn.close()
        if comparison.identical:
            return []
        return [f"actions replay: {a}: {d}" for a, d in list(comparison.differences.items())[:5]] or [
            f"actions replay: rebuilt {comparison.rebuilt} actions, live {comparison.live}"]

    async def accountability_replay(self) -> tuple[list[str], list[str]]:
        """Rebuild accountability from the log into a fresh database and compare every table.

        Returns (differences in the state, events whose only difference is their causation id):
        the second are kept apart because a step's content is the same whichever input event
        happened to trigger it, but the replay names another cause (see test_replay_names_...)."""
        into = await create_database(self.stack.postgres_url)
        # The replay judges under the settings the live service ran with: the suite lets a tick move
        # the clock further than the default allows, and a replay refusing those ticks is no replay.
        live_env = self.environment_of(self.stack.services["accountability"])
        settings = AccountabilitySettings(kafka_bootstrap_servers=self.bootstrap, database_url=into,
                                          clock_max_step_days=int(live_env.get("CLOCK_MAX_STEP_DAYS", "7")))
        report = await rebuild(settings, into)
        live, rebuilt = await state_of(self.stack.database_urls["accountability"]), await state_of(into)
        problems = [f"accountability replay: {d}" for d in differences(_causeless(live), _causeless(rebuilt))[:5]]
        # The replay fails where the live service did: what it dead-lettered (a poison event's
        # handler failure, a tick refused as going backwards) is the same outcome, not a difference.
        dead = await self.dead_lettered()
        unexplained = [f for f in report.failed if f.split(":", 1)[0] not in dead]
        problems += [f"accountability replay failed on {f}" for f in unexplained[:3]]
        only_cause = [d.split(":", 1)[0] for d in differences(live, rebuilt, limit=10**6)
                      if "causation_id" in d] if not problems else []
        return problems, only_cause

    async def dead_lettered(self) -> set[str]:
        """``topic/partition@offset`` of every record a service dead-lettered, whatever its reason."""
        found = set()
        for record in await self.read_all([dead_letter(s) for s in self.stack.services]):
            h = {k: v.decode() for k, v in record.headers or ()}
            found.add(f"{h['dlt-topic']}/{h['dlt-partition']}@{h['dlt-offset']}")
        return found

    async def propagation(self) -> list[str]:
        """Every accepted change reached accountability: the same actions at the same versions."""
        live = {r["action_id"]: r["version"]
                for r in await self.rows_of("actions", "SELECT action_id, version FROM actions")}
        judged = {r["action_id"]: r["version"]
                  for r in await self.rows_of("accountability", "SELECT action_id, version FROM actions")}
        if live == judged:
            return []
        missing = sorted(a for a in live if judged.get(a) != live[a])
        return [f"{len(missing)} actions not at their accepted version in accountability, e.g. {missing[:3]}"]

    async def accepted_of(self, sent: list[Event]) -> tuple[int, list[str]]:
        rows = await self.rows_of("actions", "SELECT event_id::text, outcome, code FROM action_events "
                                  "WHERE event_id = ANY($1::uuid[])", [str(e.event_id) for e in sent])
        outcome = {r["event_id"]: (r["outcome"], r["code"]) for r in rows}
        lost = [str(e.event_id) for e in sent if str(e.event_id) not in outcome]
        refused = [f"{k} {v[1]}" for k, v in outcome.items() if v[0] != "accepted"]
        problems = []
        if lost:
            problems.append(f"{len(lost)} sent events missing from the audit trail, e.g. {lost[:2]}")
        if refused:
            problems.append(f"{len(refused)} valid events refused, e.g. {refused[:2]}")
        return sum(1 for v in outcome.values() if v[0] == "accepted"), problems

    async def expected_items(self) -> set[tuple[str, str, str, str]]:
        """(about, step, recipient, channel) of every notice item that what accountability announced
        calls for, by the notifications service's own rules (``escalation_addressees``), whether or
        not the service ever recorded it: counted from the escalations, not from what was sent."""
        people = {r["person_id"]: Person(person_id=r["person_id"], name=r["name"], email=r["email"],
                                         roles=tuple(r["roles"]), channels=tuple(r["channels"]),
                                         systems=tuple(r["systems"]))
                  for r in await self.rows_of("notifications", "SELECT * FROM people")}
        keys: set[tuple[str, str, str, str]] = set()
        for record in await self.read_all([ACCOUNTABILITY.name]):
            try:
                event = parse_event(record.value)
            except ContractError as exc:  # dead-lettered by notifications: calls for nothing
                if (record.topic, record.partition, record.offset) not in self.fed:  # accountability wrote it
                    where = f"{record.topic}/{record.partition}@{record.offset}"
                    self.unreadable[where] = f"{_type_of(record.value)} {exc.code}: {exc.reason}"
                continue
            if isinstance(event, ev.EscalationRaised | ev.EscalationStepped | ev.EscalationResolved):
                resolved = isinstance(event, ev.EscalationResolved) or event.data.step is None
                step = notice_step(event.data, resolved=resolved)
                for a in escalation_addressees(event.data, list(people.values()), resolved=resolved):
                    keys |= {(event.data.escalation_id, step, a.person_id, c)
                             for c in channels_for(people.get(a.person_id))}
            elif isinstance(event, ev.AgendaPublished):
                keys |= {(event.data.meeting_id, "agenda", event.data.chair, c)
                         for c in channels_for(people.get(event.data.chair))}
            elif isinstance(event, ev.ReminderDue):
                about = f"{event.data.cycle_id}:{event.data.system}"
                step = f"deadline_reminder:{event.occurred_at.date()}"
                keys |= {(about, step, p, c) for p in event.data.recipients for c in channels_for(people.get(p))}
        return keys

    async def notices(self, row: Row) -> tuple[list[str], list[str]]:
        """Every notice the escalations call for was created, sent and received (counted by
        Message-ID; a repeat is the residual window, reported); nothing received that is not
        recorded as sent; one ``notice.sent`` per notice; every ``notice.unacknowledged`` about a
        notice that was delivered first."""
        problems: list[str] = []
        notes: list[str] = []
        items = {(r["about"], r["step"], r["recipient"], r["channel"]): r["notice_id"]
                 for r in await self.rows_of("notifications", "SELECT about, step, recipient, channel, notice_id"
                                                              " FROM notice_items")}
        expected_keys = await self.expected_items()
        if never := sorted(expected_keys - set(items)):
            problems.append(f"{len(never)} notices the escalations call for were never created, e.g. {never[:2]}")
        # folded: recorded, and carried by another notice the person is sent (the chair's "added to the
        # agenda" by the agenda; a second deadline reminder to a leader on the agenda): not sent apart
        folded = {r["notice_id"] for r in await self.rows_of("notifications",
                                                              "SELECT notice_id FROM notices WHERE status = 'folded'")}
        expected = {items[k] for k in expected_keys if k in items} - self.expected_before - folded
        self.expected_before |= expected
        sent = {r["notice_id"] for r in await self.rows_of("notifications",
                                                            "SELECT notice_id FROM notices WHERE status = 'sent'")}
        received = self.mailbox.notice_ids()
        row.expected, row.delivered = len(expected), len(expected & set(received))
        row.twice, row.lost = sum(1 for n in expected if received.get(n, 0) > 1), len(expected - set(received))
        if row.lost:
            problems.append(f"{row.lost} expected notices never received, e.g. {sorted(expected - set(received))[:3]}")
        if set(received) != sent:
            problems.append(f"notices sent but never received: {sorted(sent - set(received))[:3]}; "
                            f"received but not recorded as sent: {sorted(set(received) - sent)[:3]}")
        twice = {n: c for n, c in received.items() if c > 1}
        if twice:
            notes.append(f"{len(twice)} notices received more than once (same Message-ID), e.g. "
                         f"{next(iter(twice))} x{next(iter(twice.values()))}")
        problems += await self.announced(sent)
        failed = await self.val("notifications", "SELECT count(*) FROM notices WHERE status = 'failed'")
        if failed:
            notes.append(f"{failed} notices failed")
        return problems, notes

    async def announced(self, sent: set[str]) -> list[str]:
        """One ``notice.sent`` per sent notice; ``notice.unacknowledged`` only after its ``notice.sent``."""
        problems = []
        announced: dict[str, set[str]] = defaultdict(set)
        unacknowledged_first = []
        for record in await self.read_all([NOTICES.name]):
            event = parse_event(record.value)
            if isinstance(event, ev.NoticeSent):
                announced[event.data.notice_id].add(str(event.event_id))
            elif isinstance(event, ev.NoticeUnacknowledged) and event.data.notice_id not in announced:
                unacknowledged_first.append(event.data.notice_id)
        if set(announced) != sent:
            problems.append(f"notice.sent events for {len(announced)} notices, {len(sent)} notices sent")
        if doubled := [n for n, ids in announced.items() if len(ids) > 1]:
            problems.append(f"{len(doubled)} notices announced by two different notice.sent events")
        if unacknowledged_first:
            problems.append(f"{len(unacknowledged_first)} notices reported unacknowledged before (or without) "
                            f"being delivered, e.g. {unacknowledged_first[:2]}")
        return problems

    async def bad_inputs_in_place(self, bad: list[BadInput]) -> list[str]:
        problems = []
        if not bad:
            return problems
        letters: dict[tuple[str | None, int, int], list[tuple[str, dict[str, str]]]] = {}
        for record in await self.read_all([dead_letter(s) for s in self.stack.services]):
            h = {k: v.decode() for k, v in record.headers or ()}
            letters.setdefault((h.get("dlt-topic"), int(h.get("dlt-partition", -1)), int(h.get("dlt-offset", -1))),
                               []).append((record.topic, h))
        forged = [b for b in bad if b.kind.startswith("forged")]
        refused = {}
        if forged:
            refused = {r["event_id"]: r for r in await self.rows_of(
                "actions", "SELECT event_id::text, outcome, code, reason, security FROM action_events "
                "WHERE event_id = ANY($1::uuid[])", [b.event_id for b in forged])}
            feedback_topics = sorted({system_feedback(b.topic.removeprefix("actions.inbound.")) for b in forged})
            told = {str(parse_event(r.value).data.rejected_event_id) for r in await self.read_all(feedback_topics)}
        for b in bad:
            if b.kind.startswith("forged"):
                row = refused.get(b.event_id)
                if row is None or row["outcome"] != "refused" or not row["security"] or not row["reason"]:
                    problems.append(f"forged {b.event_id} not refused as a security event: {row and dict(row)}")
                elif b.event_id not in told:
                    problems.append(f"forged {b.event_id}: no input.rejected on the sender's feedback topic")
                continue
            found = letters.get((b.topic, b.partition, b.offset), [])
            if not found:
                problems.append(f"{b.kind} at {b.topic}/{b.partition}@{b.offset} is not in any dead-letter topic")
            elif (sorted(t for t, _ in found) != sorted(dead_letter(r) for r in self.running(b.readers))
                  or not all(h.get("dlt-code") and h.get("dlt-reason") for _, h in found)):
                problems.append(f"{b.kind} at {b.topic}/{b.partition}@{b.offset}: in {found}")
            elif b.kind.startswith("poison") and any(h["dlt-code"] != "handler_failed" for _, h in found):
                problems.append(f"{b.kind}: dead-lettered as {[h['dlt-code'] for _, h in found]}, "
                                "not as a handler failure")
        return problems


async def check_everything(rig: Rig, row: Row, sent: list[Event], bad: list[BadInput],
                           dead_letters_before: int, receipts_before: int) -> Row:
    problems: list[str] = []
    notes: list[str] = []
    row.sent = len(sent) + len(bad)
    row.accepted, lost = await rig.accepted_of(sent)
    problems += lost
    problems += await rig.propagation()
    rig.fed |= {(b.topic, b.partition, b.offset) for b in bad}
    unreadable_before = len(rig.unreadable)
    await rig.expected_items()  # finds what accountability published that notifications cannot read
    if new_unreadable := list(rig.unreadable.items())[unreadable_before:]:
        notes.append(f"{len(new_unreadable)} events accountability published that notifications dead-lettered "
                     f"(see test_every_event_a_service_publishes_is_one_its_consumer_can_read): {new_unreadable[:2]}")
    row.dead_lettered = await rig.dead_letter_total() - dead_letters_before
    expected_letters = sum(len(rig.running(b.readers)) for b in bad if not b.kind.startswith("forged")) \
        + len(new_unreadable)
    if row.dead_lettered != expected_letters:
        newest = sorted(await rig.read_all([dead_letter(s) for s in rig.stack.services]),
                        key=lambda r: r.timestamp)[-max(row.dead_lettered, 1):]
        which = [{k: v.decode()[:300] for k, v in r.headers or () if k in ("dlt-code", "dlt-reason", "dlt-topic")}
                 for r in newest[:3]]
        problems.append(f"{row.dead_lettered} records dead-lettered, expected {expected_letters}; newest: {which}")
    problems += await rig.bad_inputs_in_place(bad)
    new_receipts = rig.mailbox.receipts[receipts_before:]
    row.receipts, row.distinct = len(new_receipts), len(rig.mailbox.notice_ids(new_receipts))
    notice_problems, notice_notes = await rig.notices(row)
    problems += notice_problems
    notes += notice_notes
    replay = await rig.actions_replay()
    replay_acc, other_cause = await rig.accountability_replay()
    rig.other_cause = other_cause
    row.replay = ("actions yes" if not replay else "actions NO") + ", " + (
        "accountability yes" if not replay_acc else "accountability NO")
    if other_cause:
        row.replay += f" (causation_id differs on {len(other_cause)} events)"
        notes.append(f"state equal, but the replay names another cause for {len(other_cause)} emitted events, "
                     f"e.g. {other_cause[0]}")
    problems += replay + replay_acc
    row.problems = problems + [f"note: {n}" for n in notes]
    row.held = not problems
    return row


def _type_of(raw: bytes | None) -> str:
    with contextlib.suppress(ValueError, TypeError, KeyError):
        return str(json.loads(raw or b"")["type"])
    return "?"


def _causeless(state: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The state with the causation id left out of every emitted event."""
    outbox = {}
    for key, row in state.get("outbox", {}).items():
        payload = row.get("payload")
        if isinstance(payload, dict):
            outbox[key] = row | {"payload": {k: v for k, v in payload.items() if k != "causation_id"}}
        else:
            outbox[key] = row
    return state | {"outbox": outbox}


def table(rows: list[Row]) -> str:
    head = ["scenario", "what was done", "events sent", "accepted", "dead-lettered",
            "notices (receipts / distinct)", "notices expected / delivered / twice / lost",
            "log bytes in fault", "replay equal", "held?"]
    body = [[r.scenario, r.done, str(r.sent), str(r.accepted), str(r.dead_lettered),
             f"{r.receipts} / {r.distinct}", f"{r.expected} / {r.delivered} / {r.twice} / {r.lost}",
             f"{r.log_bytes:,} in {r.fault_seconds:.0f}s" if r.fault_seconds else "-", r.replay,
             ("yes" if r.held else "NO") + f" ({r.seconds:.0f}s)"]
            for r in rows]
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"  # noqa: E731
    out = [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, body)]
    for r in rows:
        for p in r.problems:
            out.append(f"  {r.scenario}: {p}")
    return "\n".join(out)
