"""What the portal's tests stand on: the portal served by uvicorn on a free port (in the test's
event loop), the demonstration's people, the events that fill its read model, and a browser
(Debian's chromium driven by Playwright) that signs in through the real identity server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import uvicorn
from playwright.async_api import Browser, Page, async_playwright
from pydantic import SecretStr

from services.platform.topics import ensure_topics
from services.portal import persistence
from services.portal.api.people import directory_entry
from services.portal.app import build
from services.portal.domain import PersonForm, Role
from services.portal.settings import PortalSettings
from shared.contracts import Event
from shared.contracts import events as ev
from shared.contracts.topics import ACCOUNTABILITY, ACTION_CHANGES, CLOCK, DIRECTORY, NOTICES, Groups, dead_letter
from shared.contracts.vocabulary import LadderStep, Status
from shared.outbox import add_to_outbox
from tests.kafka_tools import eventually, produce
from tools.cycle_cast import leader
from tools.oidc import OidcServer
from tools.portal_cast import CastMember
from tools.ports import free_port

REPO = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO / "test-logs" / "portal"
AXE = REPO / "deploy" / "browser-tests" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
# As the machine's notes say: without the background-networking flags chromium keeps trying
# to reach Google's hosts, which this machine's closed network refuses.
CHROMIUM_FLAGS = ["--lang=en-GB", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SESSION_SECRET = "a-test-session-secret-of-forty-characters!"

TODAY = date(2026, 2, 20)  # the governance clock's date in the browser tests
MINE, THEIRS = "black-country-ap4", "lincolnshire-ap4"
LEADER, OTHER_LEADER = leader("black-country", 1), leader("lincolnshire", 1)
NOTICE = "n-black-country-ap4-1"


@dataclass
class RunningPortal:
    url: str
    settings: PortalSettings
    database_url: str


@asynccontextmanager
async def running_portal(kafka: str, database_url: str, oidc: OidcServer,
                         **login: Any) -> AsyncIterator[RunningPortal]:
    """The portal as it runs in production mode (a session secret, Secure cookies), on loopback;
    ``login`` (kafka_sasl_username, kafka_sasl_password) for the secured broker, whose topics
    the caller made."""
    if not login:
        await ensure_topics(kafka, [dead_letter(Groups.PORTAL)])
    port = free_port()
    settings = PortalSettings(kafka_bootstrap_servers=kafka, database_url=database_url,
                              public_url=f"http://127.0.0.1:{port}", oidc_discovery_url=oidc.discovery_url,
                              oidc_client_secret=SecretStr("portal-test-client-secret"),
                              session_secret=SecretStr(SESSION_SECRET), **login)
    server = uvicorn.Server(uvicorn.Config(build(settings), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on"))
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started or task.done(), timeout=60)
    if task.done():
        task.result()
    try:
        yield RunningPortal(f"http://127.0.0.1:{port}", settings, database_url)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


async def add_people(database_url: str, cast: list[CastMember]) -> None:
    """Everyone in the cast, as the administrator's page saves them (and published likewise)."""
    conn = await asyncpg.connect(database_url)
    try:
        async with conn.transaction():
            for member in cast:
                saved = await persistence.save_person(conn, PersonForm(
                    person_id=member.person_id, name=member.name, subject=member.username, email=member.email,
                    roles=frozenset(Role(r) for r in member.roles), systems=member.systems, delegate_for=(),
                    active=True), by="test")
                await add_to_outbox(conn, DIRECTORY.name, directory_entry(saved))
    finally:
        await conn.close()


def slipped_action(action_id: str, system: str, leader: str, title: str, today: date) -> list[tuple[str, Event]]:
    """An action as the actions service describes it, judged off track by accountability, its
    leader asked to answer: what the portal's read model is made of."""
    snapshot = ev.ActionSnapshot(
        action_id=action_id, system=system, action_point="AP4", title=title, accountable_leader=leader,
        start_date=date(today.year, 1, 5), due_date=date(today.year, 12, 31), lifecycle="open", percent_complete=10,
        last_update_on=None, last_update_at=None, milestones=[ev.MilestoneState(
            milestone_id="m1", title="Plan agreed with the staff network", due=date(today.year, 2, 13),
            state="missed", on=date(today.year, 2, 16))],
        trajectory=[], measure=None, measure_values=[], narrative=ev.Narrative(), version=2)
    reason = ev.Reason(rule="milestone_missed", status=Status.OFF_TRACK,
                       message="Milestone 'Plan agreed with the staff network' was missed (due 13 February).")
    return [
        (ACTION_CHANGES.name, ev.ActionChanged.new(source="actions", subject=action_id, data=ev.ActionChange(
            snapshot=snapshot, cause_type="milestone.missed", changed=["milestones"]))),
        (ACCOUNTABILITY.name, ev.ActionStatusChanged.new(source="accountability", subject=action_id,
                                                         data=ev.StatusChange(
            action_id=action_id, system=system, action_point="AP4", status=Status.OFF_TRACK,
            previous=Status.ON_TRACK, reasons=[reason]))),
        (ACCOUNTABILITY.name, ev.EscalationRaised.new(source="accountability", subject=action_id,
                                                      data=ev.EscalationStep(
            escalation_id=f"esc-{action_id}", action_id=action_id, system=system, action_title=title,
            step=LadderStep.LEADER_ASKED, previous_step=None, reasons=[reason], recipients=[leader],
            respond_by=date(today.year, today.month, min(today.day + 14, 28))))),
    ]


def notice_to(recipient: str, action_id: str) -> tuple[str, Event]:
    """The notice notifications sent the leader about the escalation of ``action_id``."""
    about = f"esc-{action_id}"
    return NOTICES.name, ev.NoticeSent.new(source="notifications", subject=about, data=ev.NoticeOutcome(
        notice_id=NOTICE, recipient=recipient, channel="email", about=about))


MEETING = "2026-Q1-panel"


def agenda_with(action_id: str, system: str, title: str, today: date) -> tuple[str, Event]:
    """The Panel's next agenda as accountability publishes it, with one slipping action."""
    reason = ev.AgendaReason(rule="milestone_missed", status=Status.OFF_TRACK, message="A milestone was missed.")
    return ACCOUNTABILITY.name, ev.AgendaPublished.new(source="accountability", subject=MEETING, data=ev.Agenda(
        meeting_id=MEETING, meets_on=date(today.year, today.month + 1, 5), chair="p-panel-chair", items=[
            ev.AgendaItem(action_id=action_id, system=system, title=title, status=Status.OFF_TRACK,
                          reasons=[reason], leader_response=None)]))


def clock_at(today: date) -> tuple[str, Event]:
    return CLOCK.name, ev.ClockTicked.new(source="clock", subject="clock", data=ev.Tick(
        now=datetime(today.year, today.month, today.day, 9, tzinfo=UTC)))


async def publish(kafka: str, events: list[tuple[str, Event]]) -> None:
    for topic, event in events:
        await produce(kafka, topic, [event.to_bytes()], key=event.subject.encode())


async def read_model_has(database_url: str, action_id: str) -> bool:
    conn = await asyncpg.connect(database_url)
    try:
        return bool(await conn.fetchval(
            """SELECT title IS NOT NULL AND status IS NOT NULL AND step IS NOT NULL
                      AND EXISTS (SELECT 1 FROM agendas) FROM actions WHERE action_id = $1""", action_id))
    finally:
        await conn.close()


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            await browser.close()


async def sign_in(page: Page, portal: RunningPortal, username: str, path: str = "/") -> None:
    """Open a page of the portal, be sent to the identity server's sign-in page, sign in there
    as ``username`` and come back to the page."""
    await page.goto(portal.url + path)
    await page.get_by_label("Username").fill(username)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{portal.url}/**")


async def look_at(page: Page, name: str) -> list[dict[str, Any]]:
    """A full-page screenshot for people to look at, and axe-core's serious or critical findings."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    await page.add_script_tag(content=AXE.read_text())
    results = await page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    found = [{"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": len(v["nodes"])}
             for v in results["violations"]]
    (SCREENSHOTS / f"{name}.axe.json").write_text(json.dumps(found, indent=2))
    return [v for v in found if v["impact"] in ("serious", "critical")]
