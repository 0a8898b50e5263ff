"""The Panel checking what a system reported, and a leader naming who acts for them, in a real
browser against the real broker and database: each form publishes the event the accountability
service accepts (a verification kind of ``panel.decision_recorded``; ``cover.arranged``), bound
to who is signed in; every problem is named in words and nothing is sent; only the Panel checks
and only the accountable leader names their cover."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from playwright.async_api import BrowserContext, Page, expect

from services.accountability import cover, verification
from shared.contracts import events as ev
from shared.contracts.topics import RESPONSES
from shared.contracts.vocabulary import VERIFICATION_KINDS
from tests.kafka_tools import collect
from tests.portal_rig import AXE, LEADER, MINE, TODAY, RunningPortal, look_at, sign_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("chromium") is None or not AXE.exists(),
                       reason="Debian's chromium and axe-core are installed by deploy/setup.sh"),
]


async def published(kafka: str, kinds: tuple[str, ...], count: int) -> list[dict[str, Any]]:
    """The checks or covers on governance.responses, as the accountability service receives them."""
    def wanted(records: list[ConsumerRecord]) -> list[dict[str, Any]]:
        found = [json.loads(r.value) for r in records]
        return [e for e in found if (e["type"] == "cover.arranged" and "cover" in kinds)
                or (e["type"] == "panel.decision_recorded" and e["data"]["kind"] in kinds)]

    return wanted(await collect(kafka, RESPONSES.name, until=lambda rs: len(wanted(rs)) >= count, timeout=30))


async def as_person(context: BrowserContext, portal: RunningPortal, username: str, path: str) -> Page:
    page = await context.new_page()
    await sign_in(page, portal, username, path)
    return page


async def check(page: Page, target: str, kind: str, links: str = "", note: str = "") -> None:
    await page.get_by_label(target).check()
    await page.get_by_label(kind).check()
    await page.get_by_label("Links to the evidence the Panel checked").fill(links)
    await page.get_by_label("What the Panel found").fill(note)
    await page.get_by_role("button", name="Record the Panel's check").click()


async def test_the_panel_verifies_disputes_and_withdraws_from_the_actions_page(
    portal: RunningPortal, browser_contexts: Any, kafka: str,
):
    # A Panel member (the chair's decisions on agenda items are another test's, on the same broker)
    member = await as_person(await browser_contexts(), portal, "panel.member", f"/actions/{MINE}")
    await expect(member.get_by_text("Everything here stands as reported by the system.")).to_be_visible()
    await member.get_by_role("link", name="Verify, dispute or withdraw a verification").click()
    assert await look_at(member, "40-panel-check-form") == []

    # Nothing chosen, then a verification without evidence, of a milestone the system reports missed.
    await member.get_by_role("button", name="Record the Panel's check").click()
    await expect(member.get_by_role("link", name="Choose what the Panel checked: the action's status or a "
                                                "milestone")).to_be_visible()
    await check(member, "Milestone 'Plan agreed with the staff network': missed", "Verify it")
    await expect(member.get_by_role("link", name="The system has not reported this milestone reached, so there is "
                                                "nothing to verify: dispute it, or choose another")).to_be_visible()
    await check(member, "Its status: off track", "Verify it", links="the board paper")
    await expect(member.get_by_role("link", name="Link 1 (the board paper) is not a web address: give one like "
                                                "https://www.example.nhs.uk/board-paper.pdf")).to_be_visible()
    await check(member, "Its status: off track", "Verify it")
    await expect(member.get_by_role("link", name="Enter at least one link to the evidence the Panel "
                                                "checked")).to_be_visible()
    await check(member, "Its status: off track", "Dispute it")
    await expect(member.get_by_role("link", name="Say why the Panel disputes what the system "
                                                "reported")).to_be_visible()
    await check(member, "Its status: off track", "Withdraw")
    await expect(member.get_by_role("link", name="The Panel has not verified or disputed this, so there is nothing "
                                                "to withdraw")).to_be_visible()
    assert await look_at(member, "41-panel-check-problems") == []

    await check(member, "Its status: off track", "Verify it",
                links="https://bc.example.org/q1-board-paper.pdf\nhttps://bc.example.org/panel-terms.pdf")
    await expect(member.get_by_text("The Panel's check was recorded")).to_be_visible()
    await member.goto(f"{portal.url}/actions/{MINE}/check")
    await check(member, "Milestone 'Plan agreed with the staff network': missed", "Dispute it",
                note="The staff network says the plan was never shared with them.")
    await member.goto(f"{portal.url}/actions/{MINE}/check")
    await check(member, "Its status: off track", "Withdraw")
    await expect(member.get_by_text("The Panel disputed milestone 'Plan agreed with the staff network'; anything "
                                   "else stands as reported by the system.")).to_be_visible()
    await expect(member.get_by_text("The Panel disputed what the system reported: The staff network says the plan "
                                   "was never shared with them. (milestone 'Plan agreed with the staff network')")
                 ).to_be_visible()
    await expect(member.get_by_role("link", name="https://bc.example.org/panel-terms.pdf")).to_be_visible()
    assert await look_at(member, "42-action-after-checks") == []

    sent = [e["data"] for e in await published(kafka, VERIFICATION_KINDS, 3)]
    assert [(d["kind"], d["milestone_id"], d["acting_person"], d["acting_role"]) for d in sent] == [
        ("verified", None, "p-panel-member", "panel_member"), ("disputed", "m1", "p-panel-member", "panel_member"),
        ("verification_withdrawn", None, "p-panel-member", "panel_member")]
    assert sent[0]["evidence_links"] == ["https://bc.example.org/q1-board-paper.pdf",
                                         "https://bc.example.org/panel-terms.pdf"]
    assert sent[1]["note"] == "The staff network says the plan was never shared with them."
    # ...and each is one the accountability service's own rule accepts, in turn.
    milestones, decisions = {"m1": "missed"}, []
    for d in sent:
        decision = ev.PanelDecision.model_validate(d)
        assert verification.refusal(decision, milestones, verification.standings(decisions)) is None
        decisions.append({**d, "recorded_on": TODAY.isoformat()})


async def test_a_leader_cannot_check_and_a_panel_member_cannot_name_cover(portal: RunningPortal,
                                                                         browser_contexts: Any):
    leader = await as_person(await browser_contexts(), portal, "lead1.black-country", f"/actions/{MINE}/check")
    await expect(leader.get_by_role("heading", name="Only the Panel checks what systems report")).to_be_visible()
    member = await as_person(await browser_contexts(), portal, "panel.member", f"/actions/{MINE}/cover")
    await expect(member.get_by_role("heading", name="Only the accountable leader names their cover")).to_be_visible()
    sro = await as_person(await browser_contexts(), portal, "sro.black-country", f"/actions/{MINE}/cover")
    await expect(sro.get_by_role("heading", name="Only the accountable leader names their cover")).to_be_visible()


async def test_a_leader_names_cover_for_all_their_actions_and_the_actions_page_shows_it(
    portal: RunningPortal, browser_contexts: Any, kafka: str,
):
    leader = await as_person(await browser_contexts(), portal, "lead1.black-country", f"/actions/{MINE}")
    await leader.get_by_role("link", name="Name a delegate or cover while you are away").click()
    await leader.get_by_role("button", name="Name them").click()
    for problem in ("Choose who will act for you, from the directory",
                    "Choose whether they act for you on this action or on all your actions", "Enter the first day",
                    "Enter the last day"):
        await expect(leader.get_by_role("link", name=problem)).to_be_visible()
    await leader.get_by_label("Who will act for you?").select_option("p-lead-black-country-2")
    await leader.get_by_label("All the actions you are accountable for").check()
    await leader.locator("#starts-on").fill(TODAY.isoformat())
    await leader.locator("#ends-on").fill((TODAY - timedelta(days=1)).isoformat())
    await leader.get_by_role("button", name="Name them").click()
    await expect(leader.get_by_role("link", name="The last day is before the first day")).to_be_visible()
    assert await look_at(leader, "43-cover-problems") == []
    await leader.locator("#ends-on").fill((TODAY + timedelta(days=27)).isoformat())
    await leader.get_by_role("button", name="Name them").click()
    await expect(leader.get_by_text("Leader 2 black-country acts for the accountable leader on all their actions "
                                    "(cover), from 20 February 2026 to 19 March 2026")).to_be_visible()
    assert await look_at(leader, "44-action-with-cover") == []

    arranged = (await published(kafka, ("cover",), 1))[0]["data"]
    assert (arranged["leader"], arranged["cover"], arranged["action_id"], arranged["starts_on"],
            arranged["ends_on"], arranged["acting_person"], arranged["acting_role"]) == (
        LEADER, "p-lead-black-country-2", None, "2026-02-20", "2026-03-19", LEADER, "leader")
    assert cover.refusal(ev.Cover.model_validate(arranged)) is None  # accountability's own rule accepts it
