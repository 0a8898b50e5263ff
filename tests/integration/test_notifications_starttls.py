"""E-mail leaves the notifications service encrypted: STARTTLS with the server's certificate
checked, and when TLS is required but the server does not offer it, nothing is sent in clear;
the notice is retried (never given up, never silently sent). Real SMTP servers (aiosmtpd), a
certificate from the project's CA, the real broker and database."""

from __future__ import annotations

import email
import email.policy
import ssl
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiosmtpd.controller import Controller
from faststream import TestApp

from services.notifications import persistence as db
from services.notifications.app import build
from services.notifications.settings import NotificationsSettings
from shared.contracts.topics import ACCOUNTABILITY
from tests.infra import api_client
from tests.integration.test_notifications_service import escalation, person, publish_people, uid
from tests.kafka_tools import eventually, produce
from tools.certificates import ProjectCA
from tools.ports import free_port

pytestmark = pytest.mark.integration


@dataclass
class Mailbox:
    """What an SMTP server received, and whether each message came over TLS."""

    port: int = 0
    received: list[tuple[email.message.EmailMessage, bool]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((message, session.ssl is not None))
        return "250 OK"


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> ProjectCA:
    return ProjectCA.create(tmp_path_factory.mktemp("smtp-ca"))


def smtp_server(mailbox: Mailbox, ca: ProjectCA | None) -> Controller:
    """``ca`` given: the server offers STARTTLS with a certificate from it and refuses mail before
    it (aiosmtpd's require_starttls); None: a server that knows no TLS at all."""
    tls: dict[str, Any] = {}
    if ca is not None:
        files = ca.issue("smtp", ("127.0.0.1", "localhost"))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(files.certificate, files.key)
        tls = {"tls_context": context, "require_starttls": True}
    return Controller(mailbox, hostname="127.0.0.1", port=mailbox.port, **tls)


@pytest.fixture
def tls_mailbox(ca: ProjectCA) -> Iterator[Mailbox]:
    box = Mailbox(port=free_port())
    server = smtp_server(box, ca)
    server.start()
    yield box
    server.stop()


@pytest.fixture
def clear_mailbox() -> Iterator[Mailbox]:
    box = Mailbox(port=free_port())
    server = smtp_server(box, None)
    server.start()
    yield box
    server.stop()


def requiring_tls(kafka: str, database_url: str, port: int, ca_file: Path) -> NotificationsSettings:
    return NotificationsSettings(
        kafka_bootstrap_servers=kafka, database_url=database_url, smtp_host="127.0.0.1", smtp_port=port,
        smtp_require_tls=True, smtp_ca_file=ca_file, webhook_secret="webhook-test-secret",
        ack_link_secret="ack-test-secret", portal_public_url="http://portal.test",
        delivery_retry_base_seconds=0.1, delivery_retry_max_seconds=0.3, delivery_lease_seconds=1.0,
        one_email_a_day=False)  # each notice at once: this is about the wire, not the digest


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    yield connection
    await connection.close()


async def test_a_notice_reaches_a_server_that_requires_starttls_over_tls_with_its_certificate_checked(
        kafka, topics, database_url, tls_mailbox, ca, conn):
    u = uid()
    leader = f"p-leader-{u}"
    async with TestApp(build(requiring_tls(kafka, database_url, tls_mailbox.port, ca.certificate))):
        await publish_people(kafka, database_url, person(leader, "Dana Leader"))
        await produce(kafka, ACCOUNTABILITY.name, [escalation(f"esc-{u}", f"act-{u}", f"sys-{u}", leader).to_bytes()])
        await eventually(lambda: tls_mailbox.received, timeout=30)
    ((message, over_tls),) = tls_mailbox.received
    assert over_tls, "the message was sent after STARTTLS"
    assert message["To"] == f"{leader}@example.org"
    (notice,) = await db.find_notices(conn, about=f"esc-{u}")
    assert notice["status"] == "sent"


async def test_when_tls_is_required_but_not_offered_nothing_is_sent_in_clear_and_the_notice_is_retried(
        kafka, topics, database_url, clear_mailbox, ca, conn):
    u = uid()
    leader = f"p-leader-{u}"
    app = build(requiring_tls(kafka, database_url, clear_mailbox.port, ca.certificate))
    async with TestApp(app), api_client(app, "http://n") as http:  # ops: /ready with its reasons
        await publish_people(kafka, database_url, person(leader, "Dana Leader"))
        await produce(kafka, ACCOUNTABILITY.name, [escalation(f"esc-{u}", f"act-{u}", f"sys-{u}", leader).to_bytes()])

        async def failed_twice() -> list[asyncpg.Record]:
            found = await db.find_notices(conn, about=f"esc-{u}")
            log = await db.delivery_log(conn, found[0]["notice_id"]) if found else []
            return [r for r in log if r["outcome"] == "transient_failure"][1:]

        await eventually(failed_twice, timeout=30)
        ready = await http.get("/ready")
    assert clear_mailbox.received == [], "nothing went out in clear"
    (notice,) = await db.find_notices(conn, about=f"esc-{u}")
    assert notice["status"] != "failed", "retried, not given up: the fix is on the mail server's side"
    log = await db.delivery_log(conn, notice["notice_id"])
    assert "STARTTLS" in next(r["detail"] for r in log if r["outcome"] == "transient_failure")
    assert ready.status_code == 503
    problem = f"smtp: 127.0.0.1:{clear_mailbox.port} does not offer STARTTLS, which is required"
    assert problem in ready.json()["problems"]
