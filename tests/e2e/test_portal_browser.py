"""The portal in a real browser: people sign in through the real identity server (OpenID
Connect, code flow with PKCE), the pages read what the events said, and what a leader sends
reaches governance.responses on the real broker, bound to them. Every page is screenshotted
into test-logs/portal/ and checked by axe-core."""

from __future__ import annotations

import base64
import json
import shutil
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import ConsumerRecord
from playwright.async_api import BrowserContext, expect

from shared.contracts.topics import RESPONSES
from tests.kafka_tools import collect
from tests.portal_rig import AXE, LEADER, MINE, THEIRS, TODAY, RunningPortal, look_at, sign_in
from tools.oidc import OidcServer

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("chromium") is None or not AXE.exists(),
                       reason="Debian's chromium and axe-core are installed by deploy/setup.sh"),
]

async def test_a_leader_signs_in_sees_the_slipped_action_and_sends_a_recovery_plan_bound_to_them(
    portal: RunningPortal, context: BrowserContext, kafka: str,
):
    page = await context.new_page()
    await page.goto(portal.url + "/my-actions")
    await expect(page.get_by_label("Username")).to_be_visible()
    assert await look_at(page, "00-identity-server-sign-in") == []
    await page.get_by_label("Username").fill("lead1.black-country")
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(portal.url + "/my-actions")

    await expect(page.get_by_role("heading", name="Your actions")).to_be_visible()
    await expect(page.get_by_text("Fair interviews for band 8a+")).to_be_visible()
    await expect(page.get_by_text("Diverse panels")).to_have_count(0)
    await expect(page.get_by_text("Off track").first).to_be_visible()
    await expect(page.get_by_text("Milestone 'Plan agreed with the staff network' was missed").first).to_be_visible()
    assert await look_at(page, "01-my-actions") == []

    await page.get_by_role("link", name="Fair interviews for band 8a+").click()
    await expect(page.get_by_text("Leader asked")).to_be_visible()
    assert await look_at(page, "02-action") == []

    await page.get_by_role("link", name="Send a recovery plan with dated steps").click()
    assert await look_at(page, "03-recovery-plan-form") == []
    await page.get_by_label("What will the plan do?").fill("Recruit and train a diverse pool of panel members.")
    await page.locator("#step-1-what").fill("Recruit twelve panel members")
    await page.locator("#step-1-by").fill((TODAY + timedelta(days=20)).isoformat())
    await page.locator("#step-2-what").fill("Every band 8a+ panel diverse")
    await page.locator("#step-2-by").fill((TODAY + timedelta(days=60)).isoformat())
    await page.get_by_role("button", name="Send the recovery plan").click()

    await expect(page.get_by_text("Your recovery plan was sent to the Panel.")).to_be_visible()
    await expect(page.get_by_text("Recruit twelve panel members, by 12 March 2026")).to_be_visible()
    assert await look_at(page, "04-recovery-plan-sent") == []

    def plans(records: list[ConsumerRecord]) -> list[dict[str, Any]]:
        found = [json.loads(r.value) for r in records]
        return [e for e in found if e["subject"] == MINE and e["type"] == "recovery_plan.sent"
                and e["data"]["summary"] == "Recruit and train a diverse pool of panel members."]

    sent = plans(await collect(kafka, RESPONSES.name, until=lambda rs: bool(plans(rs)), timeout=30))
    assert len(sent) == 1
    plan = sent[0]["data"]
    assert (plan["acting_person"], plan["acting_role"]) == (LEADER, "leader")
    assert [s["what"] for s in plan["steps"]] == ["Recruit twelve panel members", "Every band 8a+ panel diverse"]
    assert plan["recover_by"] == (TODAY + timedelta(days=60)).isoformat()
    assert sent[0]["source"] == "portal"


# ---- refusals: each with a clear message on the page, and nothing recorded ----------------------

async def answers_recorded(portal: RunningPortal, action_id: str) -> int:
    conn = await asyncpg.connect(portal.database_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM answers WHERE action_id = $1", action_id))
    finally:
        await conn.close()


async def test_signed_out_a_page_sends_the_person_to_sign_in_at_the_identity_server(portal: RunningPortal,
                                                                                     oidc: OidcServer):
    async with httpx.AsyncClient(base_url=portal.url) as client:
        first = await client.get("/my-actions")
        assert first.status_code == 303 and first.headers["location"] == "/sign-in?next=%2Fmy-actions"
        second = await client.get(first.headers["location"])
    assert second.status_code == 302
    assert second.headers["location"].startswith(f"{oidc.issuer}/authorize?")
    assert "code_challenge_method=S256" in second.headers["location"]


async def test_signed_out_a_form_records_nothing_and_sends_the_person_to_sign_in(portal: RunningPortal):
    before = await answers_recorded(portal, MINE)
    async with httpx.AsyncClient(base_url=portal.url) as client:
        sent = await client.post(f"/actions/{MINE}/answer/explanation", data={"explanation": "x"})
    assert sent.status_code == 303 and sent.headers["location"].startswith("/sign-in")
    assert await answers_recorded(portal, MINE) == before


async def test_a_form_without_its_token_is_refused_and_records_nothing(portal: RunningPortal,
                                                                       context: BrowserContext):
    page = await context.new_page()
    await sign_in(page, portal, "lead1.black-country", f"/actions/{MINE}/answer/explanation")
    before = await answers_recorded(portal, MINE)
    for token in ({}, {"csrf_token": "forged"}):
        answer = await context.request.post(f"{portal.url}/actions/{MINE}/answer/explanation",
                                            form={"explanation": "Sent from another site", **token},
                                            max_redirects=0)
        assert answer.status == 403
        assert "This form has expired" in await answer.text()
    assert await answers_recorded(portal, MINE) == before


async def test_a_tampered_session_is_no_session(portal: RunningPortal, context: BrowserContext, oidc: OidcServer):
    page = await context.new_page()
    await sign_in(page, portal, "lead1.black-country", "/my-actions")
    cookie = next(c for c in await context.cookies() if c["name"] == "portal_session")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Lax"
    payload, _, signature = cookie["value"].partition(".")
    forged = base64.b64encode(json.dumps({"person_id": "p-panel-chair", "subject": "panel.chair"}).encode())
    for value in (forged.decode() + "." + signature, payload[:-4] + "AAAA." + signature):
        await context.add_cookies([{**cookie, "value": value}])
        await page.goto(portal.url + "/my-actions")
        assert page.url.startswith(f"{oidc.issuer}/authorize"), "a tampered cookie must not sign anyone in"


async def test_a_recovery_plan_dated_in_the_past_is_refused_with_a_message(portal: RunningPortal,
                                                                           context: BrowserContext):
    page = await context.new_page()
    await sign_in(page, portal, "lead1.black-country", f"/actions/{MINE}/answer/recovery-plan")
    before = await answers_recorded(portal, MINE)
    await page.get_by_label("What will the plan do?").fill("Catch up")
    await page.locator("#step-1-what").fill("Recruit")
    await page.locator("#step-1-by").fill((TODAY - timedelta(days=1)).isoformat())
    await page.get_by_role("button", name="Send the recovery plan").click()
    await expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    in_the_past = "Step 1 is dated in the past: give a date from today on"
    await expect(page.get_by_role("link", name=in_the_past)).to_be_visible()
    await expect(page.locator("#step-1-what")).to_have_value("Recruit")
    assert await look_at(page, "05-recovery-plan-in-the-past") == []
    assert await answers_recorded(portal, MINE) == before


async def test_an_empty_explanation_is_refused_with_a_message(portal: RunningPortal, context: BrowserContext):
    page = await context.new_page()
    await sign_in(page, portal, "lead1.black-country", f"/actions/{MINE}/answer/explanation")
    before = await answers_recorded(portal, MINE)
    await page.get_by_role("button", name="Send the explanation").click()
    await expect(page.get_by_role("link", name="Enter your explanation: why the action slipped")).to_be_visible()
    assert await page.title() == "Error: Explain why the action slipped - Midlands People Board"
    assert await look_at(page, "06-empty-explanation") == []
    assert await answers_recorded(portal, MINE) == before


async def test_a_leader_answering_for_another_leaders_action_is_refused_403(portal: RunningPortal,
                                                                             context: BrowserContext):
    page = await context.new_page()
    await sign_in(page, portal, "lead1.black-country", "/my-actions")
    shown = await page.goto(f"{portal.url}/actions/{THEIRS}/answer/explanation")
    assert shown is not None and shown.status == 403
    await expect(page.get_by_role("heading", name="You cannot answer for this action")).to_be_visible()
    assert await look_at(page, "07-another-leaders-action") == []
    await page.goto(f"{portal.url}/my-actions")
    token = await page.locator("input[name=csrf_token]").first.input_value()
    sent = await context.request.post(f"{portal.url}/actions/{THEIRS}/answer/explanation",
                                      form={"explanation": "I answer for them", "csrf_token": token},
                                      max_redirects=0)
    assert sent.status == 403
    assert await answers_recorded(portal, THEIRS) == 0


async def test_pages_are_readable_on_a_phone(portal: RunningPortal, browser_contexts: Any):
    phone = await browser_contexts(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = await phone.new_page()
    await sign_in(page, portal, "lead1.black-country", "/my-actions")
    await expect(page.get_by_text("Fair interviews for band 8a+")).to_be_visible()
    for path, name in (("/my-actions", "22-phone-my-actions"), (f"/actions/{MINE}", "23-phone-action"),
                       (f"/actions/{MINE}/answer/recovery-plan", "24-phone-recovery-plan-form")):
        await page.goto(portal.url + path)
        fits = await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert fits, f"{path} scrolls sideways on a phone"
        assert await look_at(page, name) == []
