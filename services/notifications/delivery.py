"""Sending notices: rendering, the email and webhook channels, and the dispatcher that claims,
sends and records each notice outside any database transaction."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from email.utils import formatdate
from pathlib import Path

import aiosmtplib
import asyncpg
import httpx
import structlog
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from prometheus_client import Counter

from shared.contracts.events import NoticeFailed, NoticeOutcome, NoticeSent
from shared.contracts.topics import NOTICES
from shared.contracts.vocabulary import date_in_words
from shared.db import Database
from shared.health import Check
from shared.outbox import add_to_outbox
from shared.polling import PollingLoop
from shared.reference import ReferenceData

from . import persistence as db
from .attachments import Attachment, NotYetAttachable, attachments_for
from .domain import (
    PANEL_SECRETARY,
    SRO,
    UNDELIVERABLE,
    AckClock,
    Outcome,
    Person,
    channels_for,
    http_outcome,
    notice_page,
    retry_delay,
    smtp_outcome,
    webhook_signature,
)
from .items import NoticeItem, UndeliverableItem
from .letters import compose, digest
from .settings import NotificationsSettings
from .writing import Context, Letter

log = structlog.get_logger("notifications.delivery")
ATTEMPTS = Counter("notice_attempts_total", "Notice delivery attempts by channel and outcome", ["channel", "outcome"])
SOURCE = "notifications"
TEMPLATES = Path(__file__).with_name("templates")
# The modern policy (not compat32), header lines up to RFC 5322's limit of 998: at 78 a subject that fits
# a line of its own is folded whole onto the next ("Subject:", then a continuation line) and decodes with
# a leading space. Flattened here with CRLF (aiosmtplib would fold again at 78); bodies stay 8-bit UTF-8.
EMAIL_POLICY = default.clone(max_line_length=998, linesep="\r\n")
_env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined, keep_trailing_newline=True,
                   autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False))


def render(letter: Letter, notice_id: str) -> tuple[str, str]:
    """The text and HTML bodies of a letter."""
    return (_env.get_template("letter.txt.j2").render(letter=letter, notice_id=notice_id),
            _env.get_template("letter.html.j2").render(letter=letter, notice_id=notice_id))


def ack_url(settings: NotificationsSettings, notice_id: str) -> str:
    """The notice's own page in the portal: opening it acknowledges nothing; its recipient's button does."""
    return notice_page(settings.portal_public_url, notice_id)


def letter_for(settings: NotificationsSettings, notice: asyncpg.Record, items: Sequence[NoticeItem], person: Person,
               ctx: Context | None = None) -> Letter:
    """A notice's letter; a leader's notice and its reminders carry the acknowledgement link (a
    reminder's acknowledges the notice it reminds of)."""
    ack_target = notice["reminds"] or notice["notice_id"]
    link = ack_url(settings, ack_target) if (notice["needs_ack"] or notice["reminds"]) else None
    return compose(items, person.name, link, ctx or Context(portal_url=settings.portal_public_url))


def context_for(settings: NotificationsSettings, system_names: Mapping[str, str], contacts: Sequence[Person]
                ) -> Context:
    """Who a letter names as the person to ask, from the directory: each system's SRO, the Panel's secretary."""
    def named(p: Person) -> str:
        return f"{p.name} ({p.email})" if p.email else p.name
    sros = {system: named(p) for p in contacts if SRO in p.roles for system in p.systems}
    secretary = next((named(p) for p in contacts if PANEL_SECRETARY in p.roles), "")
    return Context(system_names=system_names, portal_url=settings.portal_public_url, sros=sros, secretary=secretary)


def governance_date(notice: asyncpg.Record) -> str:
    """The governance clock's date of a notice, for its header: the delivery log and the .eml files
    order by the cycle's time, not the wall clock's."""
    issued: datetime = notice["issued_at"]
    return issued.date().isoformat()


class EmailChannel:
    def __init__(self, settings: NotificationsSettings) -> None:
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.sender = settings.smtp_sender
        self.timeout = settings.delivery_timeout_seconds
        self.domain = settings.smtp_sender.rsplit("@", 1)[-1]
        # None: STARTTLS whenever the server offers it; True: no STARTTLS, no sending. The server's
        # certificate is always verified (a man in the middle cannot offer a certificate of its own).
        self.start_tls: bool | None = True if settings.smtp_require_tls else None
        self.cert_bundle = str(settings.smtp_ca_file) if settings.smtp_ca_file else None

    def message(self, notice_id: str, to: str, letter: Letter, text: str, html: str,
                about: Mapping[str, str] | None = None, attached: Sequence[Attachment] = ()) -> EmailMessage:
        msg = EmailMessage(policy=EMAIL_POLICY)
        msg["From"] = self.sender
        msg["To"] = to
        msg["Subject"] = letter.subject
        msg["Date"] = formatdate(usegmt=True)
        # Fixed per notice: a resend after a crash carries the same id, so mail systems drop the copy.
        msg["Message-ID"] = f"<{notice_id}@{self.domain}>"
        msg["X-Governance-Notice"] = notice_id
        for name, value in (about or {}).items():  # X-Governance-Date, -Kind, -Action: for logs and readers' rules
            msg[name] = value
        msg.set_content(text)
        msg.add_alternative(html, subtype="html")
        for a in attached:  # the message becomes multipart/mixed: the letter, then each file
            maintype, subtype = a.content_type.split("/", 1)
            msg.add_attachment(a.data, maintype=maintype, subtype=subtype, filename=a.filename)
        return msg

    async def probe(self) -> Check:
        """Whether the SMTP server takes a connection and says hello."""
        client = aiosmtplib.SMTP(hostname=self.host, port=self.port, timeout=min(self.timeout, 2.0), start_tls=False)
        try:
            await client.connect()
            await client.ehlo()
            offers_tls = client.supports_extension("starttls")
            await client.quit()
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            return Check("smtp", False, f"{self.host}:{self.port} unreachable: {type(exc).__name__}: {exc}"[:200])
        if self.start_tls and not offers_tls:
            return Check("smtp", False, f"{self.host}:{self.port} does not offer STARTTLS, which is required")
        return Check("smtp", True)

    async def send(self, notice_id: str, person: Person, letter: Letter, text: str, html: str,
                   about: Mapping[str, str] | None = None, attached: Sequence[Attachment] = ()) -> Outcome:
        if not person.email:
            return Outcome(False, permanent=True, detail="no email address in the directory")
        msg = self.message(notice_id, person.email, letter, text, html, about, attached)
        try:
            _, reply = await aiosmtplib.send(msg.as_bytes(), sender=self.sender, recipients=[person.email],
                                             hostname=self.host, port=self.port, timeout=self.timeout,
                                             start_tls=self.start_tls, cert_bundle=self.cert_bundle)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            first = exc.recipients[0]
            return smtp_outcome(first.code, _scrub(first.message, person))
        except aiosmtplib.SMTPResponseException as exc:
            return smtp_outcome(exc.code, _scrub(exc.message, person))
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            return Outcome(False, detail=f"{type(exc).__name__}: {_scrub(str(exc), person)}"[:500])
        return Outcome(True, detail=_scrub(reply, person)[:200])


class WebhookChannel:
    def __init__(self, settings: NotificationsSettings) -> None:
        self.secret = settings.webhook_secret.get_secret_value()
        self.timeout = settings.delivery_timeout_seconds

    def body(self, notice_id: str, notice: asyncpg.Record, letter: Letter, text: str) -> bytes:
        # "text" makes it readable as-is by Slack and Teams incoming webhooks.
        return json.dumps({"text": f"*{letter.subject}*\n\n{text}", "notice_id": notice_id,
                           "about": notice["about"], "subject": letter.subject,
                           "items": letter.items, "ack_url": letter.ack_url}).encode()

    async def send(self, notice_id: str, person: Person, letter: Letter, body: bytes) -> Outcome:
        if not person.webhook_url:
            return Outcome(False, permanent=True, detail="no webhook URL in the directory")
        timestamp = str(int(time.time()))
        headers = {"content-type": "application/json", "x-governance-timestamp": timestamp,
                   "x-governance-signature": webhook_signature(self.secret, timestamp, body),
                   "idempotency-key": notice_id}
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(person.webhook_url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return Outcome(False, detail=f"{type(exc).__name__}: {exc}"[:500])
        return http_outcome(response.status_code)


def _scrub(text: str, person: Person) -> str:
    """Server replies often echo the address; the delivery log and events must not."""
    if person.email:
        text = text.replace(person.email, "[email]")
    return text


def ack_clock(settings: NotificationsSettings) -> AckClock:
    return AckClock(grace=timedelta(hours=settings.ack_grace_hours),
                    reminder_interval=timedelta(hours=settings.reminder_interval_hours))


def outcome_of(notice: asyncpg.Record, outcome: Outcome) -> NoticeOutcome:
    return NoticeOutcome(notice_id=notice["notice_id"], recipient=notice["recipient"], channel=notice["channel"],
                         about=notice["about"], detail=outcome.detail, permanent=outcome.permanent)


async def report_undeliverable(conn: asyncpg.Connection, settings: NotificationsSettings, notice: asyncpg.Record,
                               detail: str) -> int:
    """Tell whoever keeps the directory (``undeliverable_roles``) that a notice was refused for good,
    grouped like the other digests. A report that is itself undeliverable is not reported again."""
    if notice["kind"] == UNDELIVERABLE:
        log.error("undeliverable_report_refused", notice_id=notice["notice_id"], recipient=notice["recipient"])
        return 0
    keepers = [p for p in await db.people_with_roles(conn, list(settings.undeliverable_roles))
               if p.person_id != notice["recipient"]]
    if not keepers:
        log.error("undeliverable_unreported", notice_id=notice["notice_id"], roles=list(settings.undeliverable_roles),
                  reason="nobody in the directory has any of these roles")
        return 0
    item = UndeliverableItem(notice_id=notice["notice_id"], notice_kind=notice["kind"], about=notice["about"],
                             recipient=notice["recipient"], channel=notice["channel"], detail=detail)
    issued_at = max(filter(None, [notice["issued_at"], await db.clock_now(conn)]))
    added = 0
    for keeper in keepers:
        for channel in channels_for(keeper):
            if await db.add_item(conn, kind=UNDELIVERABLE, about=notice["notice_id"],
                                 step=f"{UNDELIVERABLE}:{notice['attempts']}", recipient=keeper.person_id,
                                 channel=channel, content=item, issued_at=issued_at, group_key=UNDELIVERABLE,
                                 group_wait=timedelta(seconds=settings.group_wait_seconds)):
                added += 1
    return added


def bundles(notices: Sequence[asyncpg.Record], by_day: bool) -> list[list[asyncpg.Record]]:
    """What goes out as one message: by day, a person's notices of one governance day on one
    channel; otherwise each notice alone."""
    if not by_day:
        return [[n] for n in notices]
    found: dict[tuple[str, str, str], list[asyncpg.Record]] = {}
    for n in notices:
        found.setdefault((n["recipient"], n["channel"], governance_date(n)), []).append(n)
    return list(found.values())


def one_letter_per_group(bundle: Sequence[asyncpg.Record], items: Sequence[Sequence[NoticeItem]]
                         ) -> list[tuple[asyncpg.Record, list[NoticeItem]]]:
    """A day's notices with their items, one group's notices together: an SRO's escalations of one
    system, released in two waits on the same day, read as one letter ("2 escalated actions"), not two."""
    found: dict[str, tuple[asyncpg.Record, list[NoticeItem]]] = {}
    for notice, its in zip(bundle, items, strict=True):
        key = f"group:{notice['kind']}:{notice['group_key']}" if notice["group_key"] else notice["notice_id"]
        found.setdefault(key, (notice, []))[1].extend(its)
    return list(found.values())


def headers_about(bundle: Sequence[asyncpg.Record], items: Sequence[Sequence[NoticeItem]]) -> dict[str, str]:
    """What a message is about, for machines: its governance date, its notices' kinds and actions."""
    actions = [a for its in items for i in its
               for a in ([getattr(i, "action_id", "")] + [e.action_id for e in getattr(i, "items", [])]) if a]
    return {"X-Governance-Date": governance_date(bundle[0]),
            "X-Governance-Kind": ", ".join(dict.fromkeys(n["kind"] for n in bundle)),
            "X-Governance-Action": ", ".join(dict.fromkeys(actions))}


def bundle_id(notice_ids: Sequence[str]) -> str:
    """A message's id: its notice's own, or one derived from its notices' ids (the same on a resend,
    so receivers drop the copy)."""
    if len(notice_ids) == 1:
        return notice_ids[0]
    return "d-" + hashlib.sha256("\x1f".join(sorted(notice_ids)).encode()).hexdigest()[:24]


class Dispatcher:
    """Claims due notices, sends each, records the outcome and its event.

    One loop per instance; instances share the work through row claims (SKIP LOCKED), so
    any number can run. Every unit of work that commits wakes it (a new notice may be due).
    """

    def __init__(self, database: Database, settings: NotificationsSettings, interval: float = 0.5) -> None:
        self.database = database
        self.settings = settings
        self.email = EmailChannel(settings)
        self.webhook = WebhookChannel(settings)
        self.system_names = {s.id: s.name for s in ReferenceData.load(settings.reference_data_path).systems.values()}
        self._loop = PollingLoop("notifications-dispatcher", self._deliver_batch, interval)
        database.wake_after_commit(self._loop.wake)

    @property
    def name(self) -> str:
        return self._loop.name

    @property
    def running(self) -> bool:
        return self._loop.running

    async def health(self) -> list[Check]:
        """SMTP answers (or the service cannot tell anyone anything: not ready); notices refused for
        good and notices being retried, as figures and details that do not make it unready."""
        async with self.database.pool.acquire() as conn:
            figures = await db.delivery_figures(conn)
        undeliverable, retrying = int(figures["undeliverable"]), int(figures["retrying"])
        oldest = figures["oldest_retrying_seconds"]
        return [
            await self.email.probe(),
            Check("undeliverable", True, f"{undeliverable} notice(s) refused for good: see 'cli notices failed', "
                  "then 'cli notices resend'" if undeliverable else "", {"notices_undeliverable": undeliverable}),
            Check("retrying", True, f"{retrying} notice(s) waiting to be tried again, the oldest for {oldest:.0f}s"
                  if retrying else "", {"notices_retrying": retrying, "notices_oldest_retrying_seconds": oldest}),
        ]

    async def claim(self) -> list[asyncpg.Record]:
        by_day = self.settings.one_email_a_day
        async with self.database.transaction() as conn:
            return await db.claim_due(conn, timedelta(seconds=self.settings.delivery_lease_seconds),
                                      limit=200 if by_day else 20, by_day=by_day)

    async def send(self, bundle: Sequence[asyncpg.Record]) -> Outcome:
        """The part that leaves the building: one message for the bundle's notices (one person, one
        channel, one governance day). No transaction is open while it runs."""
        first = bundle[0]
        async with self.database.pool.acquire() as conn:
            person = await db.get_person(conn, first["recipient"])
            items = [await db.items_of(conn, n["notice_id"]) for n in bundle]
            contacts = await db.people_with_roles(conn, [SRO, PANEL_SECRETARY])
        if person is None:
            return Outcome(False, permanent=True,
                           detail=f"unknown person {first['recipient']!r}: not in the directory")
        try:
            attached = await attachments_for(self.settings, [i for its in items for i in its])
        except NotYetAttachable as exc:  # tried again with a backoff, like any transient failure
            return Outcome(False, detail=str(exc))
        ctx = replace(context_for(self.settings, self.system_names, contacts),
                      today=date_in_words(governance_date(first)), attached=tuple(a.filename for a in attached))
        letters = [letter_for(self.settings, n, its, person, ctx) for n, its in one_letter_per_group(bundle, items)]
        letter = letters[0] if len(letters) == 1 else digest(letters, person.name)
        message_id = bundle_id([n["notice_id"] for n in bundle])
        text, html = render(letter, message_id)
        if first["channel"] == "webhook":
            return await self.webhook.send(message_id, person, letter,
                                           self.webhook.body(message_id, first, letter, text))
        return await self.email.send(message_id, person, letter, text, html, headers_about(bundle, items), attached)

    async def record(self, notice: asyncpg.Record, outcome: Outcome) -> None:
        """The outcome of one attempt and its event, in one unit of work (its commit wakes the relay).
        Delivered: ``notice.sent``, and a leader's wait for an acknowledgement starts now. Refused for
        good: ``notice.failed`` (permanent), kept as undeliverable and told to whoever keeps the
        directory. Anything else is transient: tried again after a backoff, for as long as it lasts."""
        s = self.settings
        async with self.database.transaction() as conn:
            if outcome.delivered:
                if await db.record_outcome(conn, notice, "sent", "sent", outcome.detail):
                    await db.start_ack_clock(conn, notice["notice_id"], ack_clock(s), s.one_email_a_day)
                    await add_to_outbox(conn, NOTICES.name, NoticeSent.new(
                        source=SOURCE, subject=notice["about"], data=outcome_of(notice, outcome)))
            elif outcome.permanent:
                if await db.record_outcome(conn, notice, "failed", "permanent_failure", outcome.detail):
                    await add_to_outbox(conn, NOTICES.name, NoticeFailed.new(
                        source=SOURCE, subject=notice["about"], data=outcome_of(notice, outcome)))
                    await report_undeliverable(conn, s, notice, outcome.detail)
            else:
                delay = retry_delay(notice["attempts"], s.delivery_retry_base_seconds, s.delivery_retry_max_seconds)
                await db.record_outcome(conn, notice, "pending", "transient_failure", outcome.detail, retry_in=delay)
        ATTEMPTS.labels(notice["channel"], "sent" if outcome.delivered
                        else "permanent_failure" if outcome.permanent else "transient_failure").inc()
        if outcome.delivered or outcome.permanent:
            log.info("notice_attempt", notice_id=notice["notice_id"], recipient=notice["recipient"],
                     channel=notice["channel"], attempt=notice["attempts"], delivered=outcome.delivered,
                     permanent=outcome.permanent, detail=outcome.detail)
        else:  # the same line for every notice an outage holds up, so they collapse into one a minute
            log.warning("notice_delivery_retrying", channel=notice["channel"], detail=outcome.detail)

    async def deliver(self, bundle: Sequence[asyncpg.Record]) -> None:
        try:
            outcome = await self.send(bundle)
        except Exception as exc:  # a rendering or channel bug is a failed attempt, retried
            log.error("notice_send_error", notice_id=bundle[0]["notice_id"], error=repr(exc), exc_info=exc)
            outcome = Outcome(False, detail=f"{type(exc).__name__}: {exc}"[:500])
        for notice in bundle:
            await self.record(notice, outcome)

    async def deliver_due(self) -> int:
        notices = await self.claim()
        await asyncio.gather(*(self.deliver(b) for b in bundles(notices, self.settings.one_email_a_day)))
        return len(notices)

    async def _deliver_batch(self) -> bool:
        """One pass; True when it sent something, so there may be more due."""
        return await self.deliver_due() > 0

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()
