"""The notifications service against the real broker, the real database, a real SMTP server
(aiosmtpd) and a real HTTP receiver that checks webhook signatures."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import re
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import asyncpg
import pytest
from aiosmtpd.controller import Controller
from faststream import TestApp
from typer.testing import CliRunner

from services.accountability.domain import agenda_in_parts
from services.notifications import cli
from services.notifications import persistence as db
from services.notifications.app import MIGRATIONS, build
from services.notifications.delivery import Dispatcher
from services.notifications.domain import ack_signature, webhook_signature
from services.notifications.handlers import apply
from services.notifications.settings import NotificationsSettings
from shared.contracts import events as ev
from shared.contracts import parse_event
from shared.contracts.topics import ACCOUNTABILITY, CLOCK, DIRECTORY, NOTICES
from shared.db import Database
from tests.infra import api_client
from tests.kafka_tools import collect, eventually, produce
from tools.ports import free_port

pytestmark = pytest.mark.integration

WEBHOOK_SECRET = "webhook-test-secret"
T0 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


# ---- a real SMTP server that can fail on demand -------------------------------------------

@dataclass
class Mailbox:
    replies: list[str] = field(default_factory=list)  # next DATA replies; empty means "250 OK"
    received: list[email.message.EmailMessage] = field(default_factory=list)
    port: int = 0
    server: Controller | None = None

    def go_down(self) -> None:
        """An outage: nothing listens on the port (connection refused)."""
        assert self.server is not None
        self.server.stop()
        self.server = None

    def come_back(self) -> None:
        self.server = Controller(self, hostname="127.0.0.1", port=self.port)
        self.server.start()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.replies:
            return self.replies.pop(0)
        self.received.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.received if m["To"] == address]

    def unique_to(self, address: str) -> list[email.message.EmailMessage]:
        """What a mail system that drops repeated Message-IDs shows the reader."""
        return list({m["Message-ID"]: m for m in self.to(address)}.values())


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox(port=free_port())
    box.come_back()
    try:
        yield box
    finally:
        if box.server is not None:
            box.server.stop()


# ---- a real HTTP receiver that verifies the signature ------------------------------------

@dataclass
class Receiver:
    statuses: list[int] = field(default_factory=list)  # next replies; empty means 200
    calls: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            timestamp = self.headers["x-governance-timestamp"]
            verified = self.headers["x-governance-signature"] == webhook_signature(WEBHOOK_SECRET, timestamp, body)
            status = state.statuses.pop(0) if state.statuses else (200 if verified else 401)
            state.calls.append({"verified": verified, "status": status, "body": json.loads(body),
                                "idempotency_key": self.headers["idempotency-key"]})
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/panel"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


# ---- the service ---------------------------------------------------------------------------

@pytest.fixture
async def settings(kafka: str, topics: list[str], database_url: str, mailbox: Mailbox) -> NotificationsSettings:
    return NotificationsSettings(
        kafka_bootstrap_servers=kafka, database_url=database_url, smtp_host="127.0.0.1", smtp_port=mailbox.port,
        webhook_secret=WEBHOOK_SECRET, ack_link_secret="ack-test-secret", portal_public_url="http://portal.test",
        group_wait_seconds=60, ack_grace_hours=72, reminder_interval_hours=24, one_email_a_day=False,
        delivery_retry_base_seconds=0.2, delivery_retry_max_seconds=1.0, delivery_lease_seconds=1.0,
    )


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    try:
        yield connection
    finally:
        await connection.close()


def uid() -> str:
    return uuid.uuid4().hex[:8]


def person(pid: str, name: str, **over: Any) -> ev.PersonUpdated:
    data = {"person_id": pid, "name": name, "email": f"{pid}@example.org"} | over
    return ev.PersonUpdated.new(source="admin", subject=pid, data=ev.Person(**data))


async def publish_people(kafka: str, database_url: str, *people: ev.PersonUpdated) -> None:
    for p in people:
        await produce(kafka, DIRECTORY.name, [p.to_bytes()], key=p.subject.encode())

    async def all_there() -> bool:
        c = await asyncpg.connect(database_url)
        try:
            return await c.fetchval("SELECT count(*) FROM people WHERE person_id = ANY($1::text[])",
                                    [p.subject for p in people]) == len(people)
        finally:
            await c.close()

    await eventually(all_there)


def escalation(esc: str, action: str, system: str, leader: str, step: ev.LadderStep = ev.LadderStep.LEADER_ASKED,
               cls: type[ev.Event] = ev.EscalationRaised, occurred_at: datetime = T0) -> ev.Event:
    return cls.new(source="accountability", subject=action, occurred_at=occurred_at, data=ev.EscalationStep(
        escalation_id=esc, action_id=action, system=system,
        action_title="Independent review of every formal disciplinary involving BME staff",
        step=step, previous_step=None, recipients=[leader], respond_by=date(2026, 4, 14),
        reasons=[ev.Reason(rule="milestone_passed", status=ev.Status.OFF_TRACK,
                           message="Milestone 'Review panel in place' was due on 31 March 2026"),
                 ev.Reason(rule="no_update", status=ev.Status.AT_RISK,
                           message="No progress update has been posted this cycle")]))


def tick(now: datetime) -> ev.ClockTicked:
    return ev.ClockTicked.new(source="clock", subject="clock", data=ev.Tick(now=now))


async def notice_events(kafka: str, about: str, until: Any = lambda mine: False, timeout: float = 10
                        ) -> list[ev.Event]:
    def mine(records: list[Any]) -> list[ev.Event]:
        return [e for e in (parse_event(r.value) for r in records) if e.subject == about]

    return mine(await collect(kafka, NOTICES.name, lambda rs: until(mine(rs)), timeout=timeout))


# ---- exactly once ----------------------------------------------------------------------------

async def test_an_escalation_is_emailed_once_however_often_its_event_is_redelivered(
        kafka, settings, database_url, mailbox, conn):
    u = uid()
    leader = f"p-leader-{u}"
    await_people = publish_people(kafka, database_url, person(leader, "Dana Leader"))
    raised = escalation(f"esc-{u}", f"act-{u}", f"sys-{u}", leader)
    again = escalation(f"esc-{u}", f"act-{u}", f"sys-{u}", leader)  # same step, new event id
    sentinel = escalation(f"esc2-{u}", f"act-{u}", f"sys-{u}", leader)
    async with TestApp(build(settings)):
        await await_people
        # Same partition key, so the sentinel's notice proves the duplicates before it were handled.
        await produce(kafka, ACCOUNTABILITY.name, [raised.to_bytes()] * 3 + [again.to_bytes(), sentinel.to_bytes()],
                      key=f"act-{u}".encode())
        await eventually(lambda: len(mailbox.to(f"{leader}@example.org")) >= 2)
        sent = await notice_events(kafka, f"esc-{u}", until=lambda m: len(m) >= 1)
    mails = mailbox.to(f"{leader}@example.org")
    assert len(mails) == 2  # one for esc-u, one for the sentinel
    assert [e.type for e in sent] == ["notice.sent"]
    assert len(await db.find_notices(conn, about=f"esc-{u}")) == 1


async def test_a_crash_between_sending_and_recording_resends_with_the_same_message_id_and_records_once(
        kafka, settings, database_url, mailbox, conn):
    u = uid()
    leader = f"p-leader-{u}"
    about = f"esc-{u}"
    # The instance that crashes: it records the notice, claims it, sends it, and dies before recording.
    doomed = Database(settings.database_url, [MIGRATIONS])
    await doomed.open()
    await conn.execute("INSERT INTO people (person_id, name, email, updated_at) VALUES ($1, 'Dana Leader', $2, now())",
                       leader, f"{leader}@example.org")
    await apply(doomed, settings, escalation(about, f"act-{u}", f"sys-{u}", leader))
    dispatcher = Dispatcher(doomed, settings)
    (claimed,) = await dispatcher.claim()
    assert (await dispatcher.send([claimed])).delivered
    await doomed.close()  # crash: the outcome is never recorded

    async with TestApp(build(settings)):  # the survivor takes over once the claim's lease runs out
        sent = await notice_events(kafka, about, until=lambda m: len(m) >= 1, timeout=20)
    raw = mailbox.to(f"{leader}@example.org")
    assert len(raw) == 2, "SMTP cannot be told 'only if you have not seen it': the resend is the residual window"
    assert raw[0]["Message-ID"] == raw[1]["Message-ID"] == f"<{claimed['notice_id']}@midlands-people-board.example>"
    assert len(mailbox.unique_to(f"{leader}@example.org")) == 1
    assert [e.type for e in sent] == ["notice.sent"]
    log = await db.delivery_log(conn, claimed["notice_id"])
    assert [(r["attempt"], r["outcome"]) for r in log] == [(1, "sending"), (2, "sending"), (2, "sent")]


# ---- honest about failure --------------------------------------------------------------------

async def test_a_transient_smtp_failure_is_retried_with_backoff_and_then_delivered(
        kafka, settings, database_url, mailbox, conn):
    u = uid()
    leader = f"p-leader-{u}"
    mailbox.replies = ["451 4.3.0 Mailbox busy, try again later", "421 4.7.0 Too many connections"]
    async with TestApp(build(settings)):
        await publish_people(kafka, database_url, person(leader, "Dana Leader"))
        await produce(kafka, ACCOUNTABILITY.name, [escalation(f"esc-{u}", f"act-{u}", f"sys-{u}", leader).to_bytes()])
        await eventually(lambda: mailbox.to(f"{leader}@example.org"))
        sent = await notice_events(kafka, f"esc-{u}", until=lambda m: len(m) >= 1)
    (notice,) = await db.find_notices(conn, about=f"esc-{u}")
    log = await db.delivery_log(conn, notice["notice_id"])
    assert [r["outcome"] for r in log] == ["sending", "transient_failure", "sending", "transient_failure",
                                           "sending", "sent"]
    assert "451" in log[1]["detail"]
    assert log[3]["at"] - log[1]["at"] >= timedelta(seconds=0.2)  # waited before trying again
    assert [e.type for e in sent] == ["notice.sent"]
    assert notice["status"] == "sent" and notice["attempts"] == 3


async def attempts_failed(conn: asyncpg.Connection, about: str) -> int:
    return await conn.fetchval("SELECT count(*) FROM delivery_log d JOIN notices n USING (notice_id)"
                               " WHERE n.about = $1 AND d.outcome = 'transient_failure'", about)


async def test_an_smtp_outage_longer_than_any_retry_window_is_waited_out_and_each_notice_delivered_once(
        kafka, settings, database_url, mailbox, conn):
    """Scaled down: backoff from 0.05 s to 0.2 s, and 15 failed attempts each, more than the 12
    after which notices used to be given up for good."""
    u = uid()
    leaders = [f"p-leader{i}-{u}" for i in range(3)]
    patient = settings.model_copy(update={"delivery_retry_base_seconds": 0.05, "delivery_retry_max_seconds": 0.2})
    mailbox.go_down()
    app = build(patient)
    async with TestApp(app), api_client(app, "http://n") as http:
        await publish_people(kafka, database_url, *(person(p, "A Leader") for p in leaders))
        await produce(kafka, ACCOUNTABILITY.name, [
            escalation(f"esc-{p}", f"act-{p}", f"sys-{u}", p).to_bytes() for p in leaders])
        for p in leaders:
            await eventually(lambda p=p: _at_least(conn, f"esc-{p}", 15), timeout=30)
        assert await db.find_notices(conn, status="failed") == []
        outage = await http.get("/ready")
        assert outage.status_code == 503
        assert [p.split(" unreachable")[0] for p in outage.json()["problems"]] == [f"smtp: 127.0.0.1:{mailbox.port}"]
        assert outage.json()["checks"]["retrying"]["notices_retrying"] >= 3
        mailbox.come_back()
        await eventually(lambda: all(mailbox.to(f"{p}@example.org") for p in leaders))
        assert (await http.get("/ready")).status_code == 200
        outcomes = {p: await notice_events(kafka, f"esc-{p}", until=lambda m: any(e.type == "notice.sent" for e in m))
                    for p in leaders}
    assert {p: len(mailbox.to(f"{p}@example.org")) for p in leaders} == dict.fromkeys(leaders, 1)
    assert {p: [e.type for e in found] for p, found in outcomes.items()} == {p: ["notice.sent"] for p in leaders}


async def _at_least(conn: asyncpg.Connection, about: str, count: int) -> bool:
    return await attempts_failed(conn, about) >= count


async def test_silence_is_counted_from_delivery_so_a_late_notice_is_not_reported_unacknowledged_at_once(
        kafka, settings, database_url, mailbox, conn):
    u = uid()
    leader, about = f"p-leader-{u}", f"esc-{u}"
    mailbox.go_down()
    async with TestApp(build(settings)):  # grace 72 h, reminders every 24 h of clock time
        await publish_people(kafka, database_url, person(leader, "Dana Leader"))
        await produce(kafka, ACCOUNTABILITY.name, [escalation(about, f"act-{u}", f"sys-{u}", leader).to_bytes()])
        await eventually(lambda: _at_least(conn, about, 1))
        # SMTP stays down through four days of clock time: the grace has not started.
        delivered_at = T0 + timedelta(hours=100)
        await produce(kafka, CLOCK.name, [tick(delivered_at).to_bytes()])
        await eventually(lambda: conn.fetchval("SELECT now = $1 FROM seen_clock", delivered_at))
        mailbox.come_back()
        await eventually(lambda: mailbox.to(f"{leader}@example.org"))
        await eventually(lambda: conn.fetchval("SELECT ack_due_at FROM notices WHERE about = $1", about))
        (notice,) = await db.find_notices(conn, about=about)
        ack_due = await conn.fetchval("SELECT ack_due_at FROM notices WHERE about = $1", about)
        assert ack_due == delivered_at + timedelta(hours=72)

        await produce(kafka, CLOCK.name, [tick(delivered_at + timedelta(hours=25)).to_bytes()])
        await eventually(lambda: len(mailbox.to(f"{leader}@example.org")) >= 2)  # reminder 1, a day after delivery
        await produce(kafka, CLOCK.name, [tick(delivered_at + timedelta(hours=73)).to_bytes()])
        reported = await notice_events(kafka, about, until=lambda m: len(m) >= 3)
    assert [e.type for e in reported] == ["notice.sent", "notice.sent", "notice.unacknowledged"]
    assert reported[-1].data.notice_id == notice["notice_id"]
    assert reported[-1].data.detail == f"not acknowledged by {(delivered_at + timedelta(hours=72)).isoformat()}"


async def test_permanent_failures_are_recorded_published_and_visible_to_ops_without_personal_data(
        kafka, settings, database_url, mailbox, conn, capsys):
    u = uid()
    refused, stranger = f"p-leader-{u}", f"p-nobody-{u}"
    mailbox.replies = ["550 5.1.1 <p-leader-" + u + "@example.org>: no such mailbox"]
    async with TestApp(build(settings)):
        await publish_people(kafka, database_url, person(refused, "Dana Leader"))
        await produce(kafka, ACCOUNTABILITY.name, [
            escalation(f"esc-{u}", f"act-{u}", f"sys-{u}", refused).to_bytes(),
            escalation(f"escx-{u}", f"actx-{u}", f"sys-{u}", stranger).to_bytes()])
        failed = await notice_events(kafka, f"esc-{u}", until=lambda m: len(m) >= 1)
        unknown = await notice_events(kafka, f"escx-{u}", until=lambda m: len(m) >= 1)
    assert [(e.type, e.data.permanent) for e in failed] == [("notice.failed", True)]
    assert "550" in failed[0].data.detail and "example.org" not in failed[0].data.detail
    assert [(e.type, e.data.permanent, e.data.recipient) for e in unknown] == [("notice.failed", True, stranger)]
    assert "not in the directory" in unknown[0].data.detail
    ops_view = await db.find_notices(conn, status="failed")
    assert {n["recipient"] for n in ops_view} == {refused, stranger}
    assert mailbox.received == []
    logs = capsys.readouterr().out
    assert "notice_attempt" in logs and refused in logs
    assert "@example.org" not in logs and "Dana Leader" not in logs


async def test_a_refused_notice_is_told_to_the_panel_secretary_and_an_operator_resends_it_once_fixed(
        kafka, settings, database_url, mailbox, conn):
    u = uid()
    refused, secretary, about = f"p-leader-{u}", f"p-secretary-{u}", f"esc-{u}"
    mailbox.replies = [f"550 5.1.1 <{refused}@example.org>: no such mailbox"]
    app = build(settings)
    async with TestApp(app):
        await publish_people(kafka, database_url, person(refused, "Dana Leader"),
                             person(secretary, "Sol Secretary", roles=["panel_secretary"]))
        await produce(kafka, ACCOUNTABILITY.name, [escalation(about, f"act-{u}", f"sys-{u}", refused).to_bytes()])
        await notice_events(kafka, about, until=lambda m: len(m) >= 1)
        (failed,) = await db.find_notices(conn, about=about)
        async with api_client(app, "http://n") as http:
            ready = await http.get("/ready")
        assert ready.status_code == 200, "one refused address is not an outage"
        assert ready.json()["checks"]["undeliverable"]["notices_undeliverable"] >= 1
        assert "cli notices failed" in ready.json()["checks"]["undeliverable"]["detail"]

        await produce(kafka, CLOCK.name, [tick(T0 + timedelta(seconds=61)).to_bytes()])  # the report's group wait
        (report,) = await eventually(lambda: mailbox.to(f"{secretary}@example.org"))
        text = report.get_body(("plain",)).get_content()
        assert report["Subject"] == "1 notice could not be delivered"
        assert failed["notice_id"] in text and refused in text and "550" in text
        assert f"notices resend --notice {failed['notice_id']}" in text

        # The mailbox is fixed; the operator sends it again.
        result = await asyncio.to_thread(CliRunner().invoke, cli.app, [
            "notices", "resend", "--recipient", refused, "--database-url", database_url])
        assert result.exit_code == 0, result.output
        assert failed["notice_id"] in result.stdout
        await eventually(lambda: mailbox.to(f"{refused}@example.org"))
        outcomes = await notice_events(kafka, about, until=lambda m: len(m) >= 2)
    assert [(e.type, e.data.permanent) for e in outcomes] == [("notice.failed", True), ("notice.sent", False)]
    assert mailbox.to(f"{refused}@example.org")[0]["Message-ID"] == (
        f"<{failed['notice_id']}@midlands-people-board.example>")
    log = await db.delivery_log(conn, failed["notice_id"])
    assert [r["outcome"] for r in log] == ["sending", "permanent_failure", "resend_requested", "sending", "sent"]


async def test_a_webhook_is_signed_and_the_receiver_verifies_it_after_a_retried_5xx(
        kafka, settings, database_url, receiver, conn):
    u = uid()
    chair_team = f"p-team-{u}"
    receiver.statuses = [503]
    async with TestApp(build(settings)):
        await publish_people(kafka, database_url, person(chair_team, "Panel channel", email=None,
                                                         webhook_url=receiver.url, channels=["webhook"]))
        await produce(kafka, ACCOUNTABILITY.name,
                      [escalation(f"esc-{u}", f"act-{u}", f"sys-{u}", chair_team).to_bytes()])
        sent = await notice_events(kafka, f"esc-{u}", until=lambda m: len(m) >= 1)
    assert [c["status"] for c in receiver.calls] == [503, 200]
    assert all(c["verified"] for c in receiver.calls)
    (notice,) = await db.find_notices(conn, about=f"esc-{u}")
    assert {c["idempotency_key"] for c in receiver.calls} == {notice["notice_id"]}
    assert "Independent review" in receiver.calls[-1]["body"]["text"]
    assert [(e.type, e.data.channel) for e in sent] == [("notice.sent", "webhook")]


# ---- less noise --------------------------------------------------------------------------------

async def test_the_panel_chair_gets_one_agenda_per_meeting_which_carries_the_actions_added_to_it(
        kafka, settings, database_url, mailbox, conn):
    u = uid()
    system, chair, sro = f"sys-{u}", f"p-chair-{u}", f"p-sro-{u}"
    leaders = [f"p-leader{i}-{u}" for i in range(3)]
    steps = [escalation(f"esc{i}-{u}", f"act{i}-{u}", system, leaders[i], ev.LadderStep.PANEL_AGENDA,
                        cls=ev.EscalationStepped) for i in range(3)]
    agenda = ev.AgendaPublished.new(source="accountability", subject=f"mtg-{u}", data=ev.Agenda(
        meeting_id=f"mtg-{u}", meets_on=date(2026, 4, 20), chair=chair, items=[
            ev.AgendaItem(action_id=f"act{i}-{u}", system=system, title=f"Action {i}", status=ev.Status.OFF_TRACK,
                          reasons=[]) for i in range(3)]))
    async with TestApp(build(settings)):
        await publish_people(kafka, database_url, *(person(p, "A Leader") for p in leaders),
                             person(chair, "Pat Chair", roles=["panel_chair"]),
                             person(sro, "Sam Owner", roles=["sro"], systems=[system]))
        await produce(kafka, ACCOUNTABILITY.name, [s.to_bytes() for s in steps])

        async def waiting() -> bool:  # the steps and the agenda travel on different partitions: the agenda
            # is sent once the chair's three "added to the agenda" notices are waiting for it
            groups = await db.find_notices(conn, recipient=chair, status="collecting")
            return bool(groups) and await conn.fetchval(
                "SELECT count(*) FROM notice_items WHERE notice_id = $1", groups[0]["notice_id"]) == 3
        await eventually(waiting)
        await produce(kafka, ACCOUNTABILITY.name, [agenda.to_bytes()] * 2)

        async def collected() -> bool:  # recorded, and folded into the agenda that lists them
            groups = await db.find_notices(conn, recipient=chair, status="folded")
            return bool(groups) and await conn.fetchval(
                "SELECT count(*) FROM notice_items WHERE notice_id = $1", groups[0]["notice_id"]) == 3
        await eventually(collected)
        await eventually(lambda: all(mailbox.to(f"{p}@example.org") for p in [*leaders, chair]))
        assert [m["Subject"] for m in mailbox.to(f"{chair}@example.org")] == [
            "The Panel's agenda for 20 April 2026: 3 slipping actions"]  # only the agenda

        await produce(kafka, CLOCK.name, [tick(T0 + timedelta(seconds=61)).to_bytes()])
        await eventually(lambda: mailbox.to(f"{sro}@example.org"))
        folded = await db.find_notices(conn, recipient=chair, status="folded")  # carried by the agenda
    assert len(folded) == 1
    assert len(mailbox.to(f"{chair}@example.org")) == 1
    body = mailbox.to(f"{chair}@example.org")[0].get_body(("plain",)).get_content()
    assert all(f"act{i}-{u}" in body for i in range(3)) and body.count("On the agenda since 1 April 2026") == 3
    (sro_mail,) = mailbox.to(f"{sro}@example.org")
    assert sro_mail["Subject"] == f"3 escalated actions in {system}"


async def test_an_agenda_in_parts_reaches_the_chair_as_one_whole_agenda_once_every_part_is_in(
        kafka, settings, database_url, mailbox, conn):
    """However many actions slip, agenda.published stays readable: it comes in parts, and the
    chair's notice waits for the last part and lists every item of every part, once."""
    u = uid()
    chair, meeting = f"p-chair-{u}", f"mtg-{u}"
    items = [ev.AgendaItem(action_id=f"act{i}-{u}", system=f"sys-{u}", title=f"Action number {i}",
                           status=ev.Status.OFF_TRACK, reasons=[]) for i in range(20)]
    parts = [ev.AgendaPublished.new(source="accountability", subject=meeting, data=part)
             for part in agenda_in_parts(meeting, date(2026, 4, 20), chair, items)]
    assert len(parts) == 3
    async with TestApp(build(settings)):
        await publish_people(kafka, database_url, person(chair, "Pat Chair", roles=["panel_chair"]))
        await produce(kafka, ACCOUNTABILITY.name, [p.to_bytes() for p in parts[:2]] * 2)  # told twice
        await eventually(lambda: conn.fetchval("SELECT count(*) = 2 FROM agenda_parts WHERE meeting_id = $1",
                                               meeting))
        assert not await db.find_notices(conn, recipient=chair)  # not a part of an agenda, the whole of it
        await produce(kafka, ACCOUNTABILITY.name, [parts[2].to_bytes()])
        await eventually(lambda: mailbox.to(f"{chair}@example.org"))
        assert await db.on_published_agenda(conn, meeting, f"act19-{u}")
    (mail,) = mailbox.to(f"{chair}@example.org")
    assert mail["Subject"] == "The Panel's agenda for 20 April 2026: 20 slipping actions"
    body = mail.get_body(("plain",)).get_content()
    assert re.findall(r"\* Action number (\d+)", body) == [str(i) for i in range(20)], body


async def test_acknowledging_stops_reminders_and_silence_past_the_grace_period_is_reported(
        kafka, settings, database_url, mailbox, conn):
    u = uid()
    by_event, by_link, silent = (f"p-{k}-{u}" for k in ("event", "link", "silent"))
    app = build(settings)
    async with TestApp(app):
        await publish_people(kafka, database_url, *(person(p, "A Leader") for p in (by_event, by_link, silent)))
        await produce(kafka, ACCOUNTABILITY.name, [
            escalation(f"esc-{p}", f"act-{p}", f"sys-{u}", p).to_bytes() for p in (by_event, by_link, silent)])
        await eventually(lambda: all(mailbox.to(f"{p}@example.org") for p in (by_event, by_link, silent)))

        # One leader acknowledges through their own tool (an event) ...
        (notice,) = await db.find_notices(conn, recipient=by_event)
        await produce(kafka, NOTICES.name, [ev.NoticeAcknowledged.new(
            source=by_event, subject=notice["about"], data=ev.NoticeOutcome(
                notice_id=notice["notice_id"], recipient=by_event, channel="email", about=notice["about"])).to_bytes()])
        # ... another opens the link in the e-mail: the notice's page in the portal, where they press its
        # button (the portal's event names them). The older signed link only leads there; someone else's
        # press changes nothing.
        text = mailbox.to(f"{by_link}@example.org")[0].get_body(("plain",)).get_content()
        notice_id = re.search(r"http://portal\.test/notices/(\S+)", text).group(1)
        async with api_client(app, "http://notices.test") as http:
            signed = {"notice": notice_id, "sig": ack_signature("ack-test-secret", notice_id)}
            followed = await http.get("/ack", params=signed)
            assert (followed.status_code, followed.headers["location"]) == (
                303, f"http://portal.test/notices/{notice_id}")
            assert (await http.get("/ack", params=signed | {"sig": "0" + signed["sig"]})).status_code == 403
            listed = (await http.get("/notices", params={"recipient": by_link})).json()["notices"]
            assert [(n["recipient"], n["status"], n["acknowledged_at"]) for n in listed] == [(by_link, "sent", None)]
            attempts = (await http.get("/deliveries", params={"notice": listed[0]["notice_id"]})).json()["attempts"]
            assert [a["outcome"] for a in attempts] == ["sending", "sent"]
            refused = await http.get("/notices", params={"status": "lost"})
            assert refused.status_code == 400 and refused.json()["error"] == "bad_status"
        for who in (by_event, by_link):
            await produce(kafka, NOTICES.name, [ev.NoticeAcknowledgementGiven.new(
                source="portal", subject=f"esc-{by_link}", data=ev.NoticeAcknowledgement(
                    notice_id=notice_id, about=f"esc-{by_link}", acting_person=who)).to_bytes()],
                key=f"esc-{by_link}".encode())
        async def both_acknowledged() -> bool:  # before the clock moves: ticks travel on another topic
            return await conn.fetchval(
                "SELECT count(*) FROM notices WHERE recipient = ANY($1::text[]) AND acknowledged_at IS NOT NULL",
                [by_event, by_link]) == 2
        await eventually(both_acknowledged, timeout=10)

        await produce(kafka, CLOCK.name, [tick(T0 + timedelta(hours=25)).to_bytes()])
        await eventually(lambda: len(mailbox.to(f"{silent}@example.org")) >= 2)
        await produce(kafka, CLOCK.name, [tick(T0 + timedelta(hours=73)).to_bytes()])
        reported = await notice_events(kafka, f"esc-{silent}", until=lambda m: len(m) >= 3)
        acked = [e for e in await notice_events(
            kafka, f"esc-{by_link}", until=lambda m: len([e for e in m if e.source == "notifications"]) >= 2)
            if e.source == "notifications"]
    reminder = mailbox.to(f"{silent}@example.org")[1]
    assert reminder["Subject"].startswith("Reminder: Action needs your attention")
    assert len(mailbox.to(f"{by_event}@example.org")) == 1 and len(mailbox.to(f"{by_link}@example.org")) == 1
    assert [e.type for e in reported] == ["notice.sent", "notice.sent", "notice.unacknowledged"]
    assert reported[-1].data.recipient == silent
    assert [e.type for e in acked] == ["notice.sent", "notice.acknowledged"]
    unacknowledged = await db.find_notices(conn, status="sent")
    assert {n["recipient"] for n in unacknowledged if n["unack_reported_at"]} == {silent}
