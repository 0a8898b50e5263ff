"""The Panel, staff networks and the People Board in a real browser: a staff network lead's
concern reaches the Panel's agenda in their words; the chair records decisions (a
contradiction must say it replaces the earlier one); a referral reaches the Board, which
records a consequence. Each act is an event on governance.responses naming who did it, and
each role acts only as itself."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from playwright.async_api import BrowserContext, Page, expect

from shared.contracts.topics import RESPONSES
from tests.kafka_tools import collect
from tests.portal_rig import AXE, MEETING, MINE, THEIRS, TODAY, RunningPortal, look_at, sign_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("chromium") is None or not AXE.exists(),
                       reason="Debian's chromium and axe-core are installed by deploy/setup.sh"),
]


async def sent_by(kafka: str, kind: str, person: str, count: int = 1) -> list[dict[str, Any]]:
    def mine(records: list[ConsumerRecord]) -> list[dict[str, Any]]:
        found = [json.loads(r.value) for r in records]
        return [e for e in found if e["type"] == kind and e["data"].get("acting_person") == person]

    return mine(await collect(kafka, RESPONSES.name, until=lambda rs: len(mine(rs)) >= count, timeout=30))


async def as_person(context: BrowserContext, portal: RunningPortal, username: str, path: str) -> Page:
    page = await context.new_page()
    await sign_in(page, portal, username, path)
    return page


async def decide(page: Page, kind: str, due: str = "", note: str = "", replaces: str | None = None) -> None:
    await page.get_by_label(kind, exact=True).check()
    if note:
        await page.get_by_label("What the Panel said").fill(note)
    if due:
        await page.locator("#due-date").fill(due)
    if replaces:
        await page.get_by_label(replaces).check()
    await page.get_by_role("button", name="Record the decision").click()


async def test_a_concern_reaches_the_agenda_the_panel_decides_and_the_board_agrees_a_consequence(
    portal: RunningPortal, browser_contexts: Any, kafka: str,
):
    network = await as_person(await browser_contexts(), portal, "network.black-country", "/network")
    assert await look_at(network, "15-network") == []
    await network.get_by_role("link", name="Raise a concern about Fair interviews for band 8a+").click()
    assert await look_at(network, "16-concern-form") == []
    await network.get_by_label("a concern", exact=True).check()
    await network.get_by_label("What should the Panel hear?").fill("BME staff were not asked about the panels.")
    await network.get_by_role("button", name="Send to the Panel").click()
    await expect(network.get_by_text("The Panel sees them on its agenda.")).to_be_visible()
    concern = (await sent_by(kafka, "concern.raised", "p-network-black-country"))[0]["data"]
    assert (concern["action_id"], concern["kind"], concern["acting_role"]) == (MINE, "concern", "staff_network_lead")

    chair = await as_person(await browser_contexts(), portal, "panel.chair", "/panel")
    await expect(chair.get_by_text("Staff network concern: BME staff were not asked about the panels.")).to_be_visible()
    assert await look_at(chair, "17-panel-agenda") == []
    await chair.get_by_role("link", name="Record the Panel's decision on Fair interviews for band 8a+").click()
    assert await look_at(chair, "18-decision-form") == []
    await decide(chair, "granted more time", due=(TODAY + timedelta(days=40)).isoformat())
    await expect(chair.get_by_text("The decision on black-country-ap4 was recorded and sent.")).to_be_visible()
    granted = (await sent_by(kafka, "panel.decision_recorded", "p-panel-chair"))[0]["data"]
    assert (granted["kind"], granted["meeting_id"], granted["acting_role"]) == (
        "extension_granted", MEETING, "panel_chair")

    await chair.goto(f"{portal.url}/panel/items/{MINE}")
    await decide(chair, "refused more time")
    contradiction = "The Panel already granted more time on this item: say that this decision replaces it"
    await expect(chair.get_by_role("link", name=contradiction + ", or record nothing")).to_be_visible()
    assert await look_at(chair, "19-decision-contradicts") == []
    await decide(chair, "refused more time", replaces="Yes, it replaces: the Panel granted more time")
    await chair.goto(f"{portal.url}/panel/items/{MINE}")
    await decide(chair, "referred the action to the People Board")
    decisions = [e["data"] for e in await sent_by(kafka, "panel.decision_recorded", "p-panel-chair", count=3)]
    assert [d["kind"] for d in decisions] == ["extension_granted", "extension_refused", "referred_to_board"]
    assert decisions[1]["replaces"] == decisions[0]["decision_id"]

    board = await as_person(await browser_contexts(), portal, "board.member", "/board")
    assert await look_at(board, "20-board") == []
    await board.get_by_role("link", name="Record a consequence for Fair interviews for band 8a+").click()
    await board.get_by_label("What consequence did the Board agree?").fill("Monthly report to the Board until fixed.")
    await board.get_by_label("Who carries it out").fill("p-sro-black-country")
    await board.locator("#follow-up-by").fill((TODAY + timedelta(days=30)).isoformat())
    assert await look_at(board, "21-consequence-form") == []
    await board.get_by_role("button", name="Record the consequence").click()
    await expect(board.get_by_text("The consequence for black-country-ap4 was recorded and sent.")).to_be_visible()
    agreed = (await sent_by(kafka, "consequence.agreed", "p-board-member"))[0]["data"]
    assert (agreed["owner"], agreed["acting_role"]) == ("p-sro-black-country", "board_member")


async def test_a_leader_cannot_record_a_panel_decision(portal: RunningPortal, context: BrowserContext):
    page = await as_person(context, portal, "lead1.black-country", "/my-actions")
    token = await page.locator("input[name=csrf_token]").first.input_value()
    sent = await context.request.post(f"{portal.url}/panel/items/{MINE}", max_redirects=0,
                                      form={"kind": "flag_withdrawn", "csrf_token": token})
    assert sent.status == 403
    assert "Only the Panel records its decisions" in await sent.text()


async def test_a_decision_on_an_item_not_on_the_agenda_is_refused(portal: RunningPortal, context: BrowserContext):
    page = await as_person(context, portal, "panel.member", f"/panel/items/{THEIRS}")
    await expect(page.get_by_role("heading", name="Not on the agenda")).to_be_visible()
    token = await page.locator("input[name=csrf_token]").first.input_value()
    sent = await context.request.post(f"{portal.url}/panel/items/{THEIRS}", max_redirects=0,
                                      form={"kind": "challenge_issued", "note": "Why?", "csrf_token": token})
    assert sent.status == 409


async def test_a_staff_network_lead_speaks_only_about_their_own_systems_actions(portal: RunningPortal,
                                                                                 context: BrowserContext):
    page = await as_person(context, portal, "network.lincolnshire", f"/actions/{MINE}/concern")
    await expect(page.get_by_role("heading", name="You cannot raise a concern about this action")).to_be_visible()


async def test_only_the_people_board_records_a_consequence(portal: RunningPortal, context: BrowserContext):
    page = await as_person(context, portal, "panel.member", "/board")
    await expect(page.get_by_role("heading", name="Only the People Board agrees consequences")).to_be_visible()
