"""The end of the main command's story, in a real browser, while its stack still runs: the accountable
leader opens the Panel's decision e-mail (received by the cycle's aiosmtpd server), follows its link,
signs in at the identity server and sees the decision on the action's page; the Panel's chair sees the
staff network's concern on the agenda; a People Board member reads the cycle's report in the portal
(a leader may not). Each page is screenshotted and checked by axe-core."""

from __future__ import annotations

import email
import re
import shutil
from email import policy
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page

from tests.portal_rig import AXE, chromium, look_at
from tools.scripted_cycle import Story

LINK = re.compile(r"(http://127\.0\.0\.1:\d+/actions/\S+)")


def browser_available() -> bool:
    return shutil.which("chromium") is not None and AXE.exists()


async def signed_in_at(browser: Browser, url: str, username: str) -> Page:
    """Open ``url`` in a fresh browser: the portal sends the person to the identity server's sign-in
    page, they sign in there and come back to ``url``."""
    context = await browser.new_context(bypass_csp=True, locale="en-GB")  # axe-core is an inline script
    page = await context.new_page()
    await page.goto(url)
    await page.get_by_label("Username").fill(username)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(url)
    return page


async def the_people_look(story: Story, out: Path) -> dict[str, Any]:
    """What the leader and the chair see in the browser, and axe-core's serious or critical findings."""
    ignores = story.cast.ignores if story.cast else ""
    system = next(i["system"] for i in story.agenda if i["action_id"] == ignores)
    leader_address = f"lead1.{system}@example.org"
    [mail] = [n for n in story.notices if n["to"] == [leader_address] and "panel_decision" in (n["kind"] or "")]
    message = email.message_from_bytes((out / "notices" / mail["file"]).read_bytes(), policy=policy.default)
    body = message.get_body(("plain",))
    assert body is not None
    found = LINK.search(body.get_content())
    assert found is not None
    link = found.group(1)
    async with chromium() as browser:
        leader = await signed_in_at(browser, link, leader_address.split("@")[0])
        seen = {"mail": mail, "link": link, "action_page": await leader.inner_text("main"),
                "action_axe": await look_at(leader, "40-cycle-the-decision-from-the-leaders-email")}
        chair = await signed_in_at(browser, f"{story.portal}/panel", "panel.chair")
        seen |= {"agenda_page": await chair.inner_text("main"),
                 "agenda_axe": await look_at(chair, "41-cycle-the-agenda-with-the-staff-networks-concern")}
        board = await signed_in_at(browser, f"{story.portal}/board/report?cycle_id=2026-Q1", "board.member")
        seen |= {"report_page": await board.inner_text("body"),
                 "report_axe": await look_at(board, "42-cycle-the-boards-report-in-the-portal")}
        not_board = await leader.goto(f"{story.portal}/board/report")
        seen["report_to_a_leader"] = not_board.status if not_board else None
    return seen
