"""Who is who, notices and sessions, in a real browser: an administrator adds a delegate, who
is published to notifications' directory and can then answer for their leader; a notice's
page acknowledges nothing until its recipient presses the button; a stranger to the portal is
not signed in; signing out ends the session."""

from __future__ import annotations

import json
import shutil

import asyncpg
import pytest
from playwright.async_api import BrowserContext, expect

from shared.contracts.topics import DIRECTORY, NOTICES, RESPONSES
from tests.kafka_tools import collect
from tests.portal_rig import AXE, LEADER, MINE, NOTICE, THEIRS, RunningPortal, look_at, sign_in
from tools.oidc import OidcServer

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("chromium") is None or not AXE.exists(),
                       reason="Debian's chromium and axe-core are installed by deploy/setup.sh"),
]


async def events_on(kafka: str, topic: str, subject: str, kind: str) -> list[dict[str, object]]:
    records = await collect(kafka, topic, timeout=30, until=lambda rs: any(
        json.loads(r.value)["subject"] == subject and json.loads(r.value)["type"] == kind for r in rs))
    return [e for e in (json.loads(r.value) for r in records) if e["subject"] == subject and e["type"] == kind]


async def acknowledged_at(portal: RunningPortal) -> object:
    conn = await asyncpg.connect(portal.database_url)
    try:
        return await conn.fetchval("SELECT acknowledged_at FROM notices WHERE notice_id = $1", NOTICE)
    finally:
        await conn.close()


async def test_an_administrator_adds_a_delegate_who_is_published_and_answers_for_their_leader(
    portal: RunningPortal, context: BrowserContext, kafka: str,
):
    page = await context.new_page()
    await sign_in(page, portal, "administrator", "/")
    await expect(page.get_by_role("heading", name="What you can do")).to_be_visible()
    assert await look_at(page, "08-home-administrator") == []
    await page.get_by_role("link", name="People", exact=True).first.click()
    assert await look_at(page, "09-people") == []
    await page.get_by_role("link", name="Add a person").click()
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("link", name="Enter the person's name")).to_be_visible()
    assert await look_at(page, "10-add-a-person-with-problems") == []

    await page.get_by_label("Id").fill("p-delegate-bc")
    await page.get_by_label("Name").fill("Dee Legate")
    await page.get_by_label("Signs in as").fill("dee.legate")
    await page.get_by_label("E-mail address").fill("dee.legate@example.org")
    await page.get_by_label("Delegate", exact=True).check()
    await page.get_by_label("Delegate for").fill(LEADER)
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_text("Saved p-delegate-bc.")).to_be_visible()

    published = await events_on(kafka, DIRECTORY.name, "p-delegate-bc", "directory.person_updated")
    assert published[-1]["data"]["roles"] == ["delegate"]  # type: ignore[index]
    assert published[-1]["data"]["delegate_for"] == [LEADER]  # type: ignore[index]
    assert published[-1]["data"]["email"] == "dee.legate@example.org"  # type: ignore[index]

    delegate = await context.browser.new_context(bypass_csp=True, locale="en-GB")  # type: ignore[union-attr]
    page = await delegate.new_page()
    await sign_in(page, portal, "dee.legate", f"/actions/{MINE}/answer/explanation")
    await expect(page.get_by_text("You answer as delegate.")).to_be_visible()
    await page.get_by_label("Why has the action slipped?").fill("The interview panel lead left in January.")
    await page.get_by_role("button", name="Send the explanation").click()
    await expect(page.get_by_text("Your explanation was sent to the Panel.")).to_be_visible()
    sent = await events_on(kafka, RESPONSES.name, MINE, "explanation.given")
    assert sent[-1]["data"]["acting_person"] == "p-delegate-bc"  # type: ignore[index]
    assert sent[-1]["data"]["acting_role"] == "delegate"  # type: ignore[index]
    shown = await page.goto(f"{portal.url}/actions/{THEIRS}/answer/explanation")
    assert shown is not None and shown.status == 403, "a delegate acts only for the leaders they are named for"
    await delegate.close()


async def test_only_an_administrator_changes_who_is_who(portal: RunningPortal, context: BrowserContext):
    page = await context.new_page()
    await sign_in(page, portal, "lead1.black-country", "/")
    shown = await page.goto(f"{portal.url}/people")
    assert shown is not None and shown.status == 403
    await expect(page.get_by_role("heading", name="You cannot change who is who")).to_be_visible()


async def test_opening_a_notice_acknowledges_nothing_only_its_recipients_button_does(
    portal: RunningPortal, context: BrowserContext, kafka: str,
):
    page = await context.new_page()
    await sign_in(page, portal, "lead1.black-country", f"/notices/{NOTICE}")
    await expect(page.get_by_role("button", name="I have read this notice")).to_be_visible()
    assert await look_at(page, "11-notice") == []
    assert await acknowledged_at(portal) is None, "opening the link must not acknowledge"

    await page.get_by_role("button", name="I have read this notice").click()
    await expect(page.get_by_text("Thank you. You acknowledged this notice")).to_be_visible()
    assert await look_at(page, "12-notice-acknowledged") == []
    given = await events_on(kafka, NOTICES.name, f"esc-{MINE}", "notice.acknowledgement_given")
    assert [e["data"] for e in given] == [{"notice_id": NOTICE, "about": f"esc-{MINE}", "acting_person": LEADER}]


async def test_a_notice_is_shown_and_acknowledged_only_by_its_recipient(portal: RunningPortal,
                                                                         context: BrowserContext):
    page = await context.new_page()
    await sign_in(page, portal, "lead1.lincolnshire", f"/notices/{NOTICE}")
    await expect(page.get_by_role("heading", name="Notice not found")).to_be_visible()
    await page.goto(f"{portal.url}/notices")
    token = await page.locator("input[name=csrf_token]").first.input_value()
    sent = await context.request.post(f"{portal.url}/notices/{NOTICE}/acknowledge", form={"csrf_token": token},
                                      max_redirects=0)
    assert sent.status == 404


async def test_someone_the_portal_does_not_know_is_not_signed_in(portal: RunningPortal, context: BrowserContext,
                                                                 oidc: OidcServer):
    page = await context.new_page()
    await sign_in(page, portal, "a.stranger", "/my-actions")
    await expect(page.get_by_role("heading", name="You do not have access to this service")).to_be_visible()
    assert await look_at(page, "13-not-known-here") == []
    await page.goto(f"{portal.url}/my-actions")
    assert page.url.startswith(f"{oidc.issuer}/authorize")


async def test_signing_out_ends_the_session(portal: RunningPortal, context: BrowserContext, oidc: OidcServer):
    page = await context.new_page()
    await sign_in(page, portal, "lead1.black-country", "/my-actions")
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url(f"{portal.url}/signed-out**")  # back from the identity server's end of session
    await expect(page.get_by_role("heading", name="You have signed out")).to_be_visible()
    assert await look_at(page, "14-signed-out") == []
    assert not [c for c in await context.cookies() if c["name"] == "portal_session" and "person_id" in c["value"]]
    await page.goto(f"{portal.url}/my-actions")
    assert page.url.startswith(f"{oidc.issuer}/authorize")
