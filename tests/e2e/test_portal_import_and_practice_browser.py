"""The bulk import's upload page and the good practice pages in a real browser, on the real
broker and databases: a system's SRO uploads a sheet, reads every row's outcome, confirms, and
the good rows arrive on the system's inbound topic (a re-upload posts nothing twice); a leader
nominates their action's work, the Panel endorses it, and it is in the library, each step
through the real accountability service. Every page is checked by axe-core and screenshotted
into out/ (and test-logs/portal/)."""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
import uvicorn
from aiokafka import ConsumerRecord
from playwright.async_api import BrowserContext, Page, expect
from pydantic import SecretStr

from services.accountability.app import build as build_accountability
from services.accountability.handlers import INPUTS
from services.actions import bulk_import
from services.platform.topics import ensure_topics
from services.portal.api import upload
from shared.contracts.topics import Groups, dead_letter, system_inbound
from shared.reference import ReferenceData
from tests.infra import api_keys, create_database, drop_database
from tests.integration.test_accountability_service import commit_group, end_offsets, settings_for
from tests.integration.test_actions_service import running_actions
from tests.kafka_tools import collect, eventually
from tests.portal_rig import (
    AXE,
    LEADER,
    MINE,
    THEIRS,
    TODAY,
    RunningPortal,
    add_people,
    agenda_with,
    clock_at,
    look_at,
    notice_to,
    publish,
    read_model_has,
    running_portal,
    sign_in,
    slipped_action,
)
from tools.oidc import OidcServer
from tools.portal_cast import portal_people
from tools.ports import free_port

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("chromium") is None or not AXE.exists(),
                       reason="Debian's chromium and axe-core are installed by deploy/setup.sh"),
]
OUT = Path(__file__).resolve().parents[2] / "out"
SYSTEM = "black-country"


async def seen(page: Page, name: str) -> None:
    """No serious or critical axe-core finding, and a screenshot in out/ for people to look at."""
    assert await look_at(page, name) == []
    OUT.mkdir(exist_ok=True)
    await page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


@asynccontextmanager
async def running_accountability(kafka: str, database_url: str) -> AsyncIterator[str]:
    """The accountability service over HTTP on loopback (the portal reads its library there),
    consuming from now on."""
    group = f"accountability-e2e-{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(commit_group, kafka, group, await end_offsets(kafka, list(INPUTS)))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(build_accountability(settings_for(kafka, database_url, group)),
                                           host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started or task.done(), timeout=60)
    if task.done():
        task.result()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


@pytest.fixture(scope="module")
async def portal(kafka: str, topics: list[str], postgres_admin: str, oidc: OidcServer,
                 reference: ReferenceData) -> AsyncIterator[RunningPortal]:
    """conftest's portal, with the real accountability service behind its good practice pages and
    the real actions service taking what the upload page posts."""
    accountability_db, portal_db = await create_database(postgres_admin), await create_database(postgres_admin)
    actions_db = await create_database(postgres_admin)
    await ensure_topics(kafka, [dead_letter(Groups.PORTAL)])
    token = api_keys().tokens["portal"]
    async with (running_actions(kafka, actions_db),
                running_accountability(kafka, accountability_db) as accountability_url,
                running_portal(kafka, portal_db, oidc, accountability_url=accountability_url,
                               accountability_token=SecretStr(token)) as running):
        await add_people(portal_db, portal_people(list(reference.systems)))
        await publish(kafka, [clock_at(TODAY),
                              *slipped_action(MINE, SYSTEM, LEADER, "Fair interviews for band 8a+", TODAY),
                              *slipped_action(THEIRS, "lincolnshire", "p-lead-lincolnshire-1", "Diverse panels", TODAY),
                              notice_to(LEADER, MINE),
                              agenda_with(MINE, SYSTEM, "Fair interviews for band 8a+", TODAY)])
        await eventually(lambda: read_model_has(portal_db, MINE), timeout=60)
        yield running
    await drop_database(postgres_admin, portal_db)
    await drop_database(postgres_admin, accountability_db)
    await drop_database(postgres_admin, actions_db)


# ---- the bulk import's upload page ------------------------------------------------------------

RUN = uuid.uuid4().hex[:6]  # the sheet's external ids are this run's, so a re-run of the suite starts afresh
HEADER = "external_id,kind,action_id,action_point,title,accountable_leader,start_date,due_date,as_of,percent_complete"
SHEET = "\n".join([
    HEADER,
    (f"BC-{RUN}-1,commitment,bc-import-{RUN},AP1,Risk assessments before every formal process,{LEADER},"
    "2026-01-05,2026-12-31,,"),
    f"BC-{RUN}-2,progress,bc-import-{RUN},,,,,,1 March,30",
    f"BC-{RUN}-3,progress,bc-import-{RUN},,,,,,2026-02-16,25",
    f"BC-{RUN}-4,progress,{THEIRS},,,,,,2026-02-16,25",  # Lincolnshire's action, as the read model knows it
    f"BC-{RUN}-5,progress,bc-nowhere-{RUN},,,,,,2026-02-16,25",  # an action nobody committed to
]).encode()


async def percent_in_read_model(database_url: str, action_id: str, percent: float) -> bool:
    conn = await asyncpg.connect(database_url)
    try:
        found = await conn.fetchval("SELECT (snapshot->>'percent_complete')::float FROM actions WHERE action_id = $1",
                                    action_id)
    finally:
        await conn.close()
    return found == percent


def posted(records: list[ConsumerRecord]) -> set[str]:
    return {json.loads(r.value)["event_id"] for r in records}


async def test_a_systems_sro_imports_a_sheet_seeing_every_rows_outcome_first_and_a_reupload_posts_nothing_twice(
    portal: RunningPortal, context: BrowserContext, kafka: str,
):
    page = await context.new_page()
    await sign_in(page, portal, "sro.black-country", "/import")
    await expect(page.get_by_role("heading", name="Import a sheet of commitments and updates")).to_be_visible()
    await seen(page, "import-01-form")

    await page.get_by_label("The sheet (.csv or .xlsx)").set_input_files(
        files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"}])
    await page.get_by_role("button", name="Check the sheet").click()
    await expect(page.get_by_text("notes.txt is not a CSV file or an Excel workbook").first).to_be_visible()
    await expect(page.get_by_text("posted to")).to_have_count(0)  # nothing was
    await seen(page, "import-02-not-a-sheet")
    await page.get_by_label("The sheet (.csv or .xlsx)").set_input_files(
        files=[{"name": "updates.csv", "mimeType": "text/csv", "buffer": b"id,what\n1,2\n"}])
    await page.get_by_role("button", name="Check the sheet").click()
    await expect(page.get_by_text("updates.csv has no column external_id, kind, action_id").first).to_be_visible()
    await page.get_by_label("The sheet (.csv or .xlsx)").set_input_files(
        files=[{"name": "big.csv", "mimeType": "text/csv", "buffer": b"x" * (upload.MAX_BYTES + 1)}])
    await page.get_by_role("button", name="Check the sheet").click()
    await expect(page.get_by_text("big.csv is larger than 2 MB").first).to_be_visible()

    await page.get_by_label("The sheet (.csv or .xlsx)").set_input_files(
        files=[{"name": "quarter.csv", "mimeType": "text/csv", "buffer": SHEET}])
    await page.get_by_role("button", name="Check the sheet").click()
    await expect(page.get_by_role("heading", name="What the import would do")).to_be_visible()
    rows = page.get_by_role("row")
    await expect(rows.filter(has_text=f"BC-{RUN}-2")).to_contain_text("Cannot be posted")
    await expect(rows.filter(has_text=f"BC-{RUN}-2")).to_contain_text("'1 March' is not a date (YYYY-MM-DD)")
    await expect(rows.filter(has_text=f"BC-{RUN}-2")).to_contain_text("as_of")
    await expect(rows.filter(has_text=f"BC-{RUN}-1")).to_contain_text("Will be posted")
    await expect(rows.filter(has_text=f"BC-{RUN}-3")).to_contain_text("Will be posted")
    for other in (4, 5):
        await expect(rows.filter(has_text=f"BC-{RUN}-{other}")).to_contain_text("Cannot be posted")
    await expect(rows.filter(has_text=f"BC-{RUN}-5")).to_contain_text("unknown_action")
    await seen(page, "import-03-dry-run")
    inbound = system_inbound(SYSTEM)
    expected = {str(bulk_import.event_id(SYSTEM, f"BC-{RUN}-{n}")) for n in (1, 3)}
    assert not expected & posted(await collect(kafka, inbound, until=lambda rs: False, timeout=3))

    await page.get_by_role("button", name="Post the 2 good row(s)").click()
    await expect(page.get_by_text(f"2 row(s) posted to {SYSTEM}'s actions")).to_be_visible()
    await seen(page, "import-04-posted")
    on_the_wire = await collect(kafka, inbound, until=lambda rs: expected <= posted(rs), timeout=60)
    mine = [json.loads(r.value) for r in on_the_wire if json.loads(r.value)["event_id"] in expected]
    assert sorted(e["type"] for e in mine) == ["commitment.made", "progress.reported"]
    assert {e["source"] for e in mine} == {SYSTEM}
    # the actions service applied them, and the portal's read model heard of the action
    await eventually(lambda: percent_in_read_model(portal.database_url, f"bc-import-{RUN}", 25), timeout=60)

    await page.goto(portal.url + "/import")  # the same sheet again: nothing is posted twice
    await page.get_by_label("The sheet (.csv or .xlsx)").set_input_files(
        files=[{"name": "quarter.csv", "mimeType": "text/csv", "buffer": SHEET}])
    await page.get_by_role("button", name="Check the sheet").click()
    await expect(rows.filter(has_text=f"BC-{RUN}-1")).to_contain_text("Already posted")
    await expect(rows.filter(has_text=f"BC-{RUN}-3")).to_contain_text("Already posted")
    await expect(page.get_by_text("There is nothing to post.")).to_be_visible()
    again = await collect(kafka, inbound, until=lambda rs: False, timeout=3)
    assert sum(json.loads(r.value)["event_id"] in expected for r in again) == 2


async def test_a_leader_alone_may_not_import_and_a_forged_confirm_posts_nothing(
    portal: RunningPortal, context: BrowserContext,
):
    page = await context.new_page()
    await sign_in(page, portal, "lead1.black-country", "/import")
    await expect(page.get_by_role("heading", name="You cannot import a sheet")).to_be_visible()
    answer = await context.request.post(f"{portal.url}/import/up-0000000000000000/confirm",
                                        form={"csrf_token": "forged"}, max_redirects=0)
    assert answer.status == 403 and "This form has expired" in await answer.text()


# ---- good practice: nominate, the Panel's review, the library -----------------------------------

async def test_a_leader_nominates_the_panel_endorses_and_the_library_shows_it(
    portal: RunningPortal, browser_contexts, reference: ReferenceData,
):
    leader = await (await browser_contexts()).new_page()
    await sign_in(leader, portal, "lead1.black-country", f"/actions/{MINE}/good-practice")
    await expect(leader.get_by_role("heading", name="Nominate good practice")).to_be_visible()
    await seen(leader, "practice-01-nominate")
    await leader.get_by_label("What was done?").fill(f"Every band 8a+ panel had a trained independent member ({RUN})")
    await leader.get_by_label("What changed because of it?").fill("Appointments of BME staff to 8a+ doubled")
    await leader.get_by_role("button", name="Send to the Panel").click()
    await expect(leader.get_by_role("heading", name="Good practice library")).to_be_visible()

    panel = await (await browser_contexts()).new_page()
    await sign_in(panel, portal, "panel.member", "/panel/good-practice")

    async def waiting() -> bool:
        await panel.reload()
        return await panel.get_by_text(f"trained independent member ({RUN})").count() > 0

    await eventually(waiting, timeout=60)
    await expect(panel.get_by_text("by Leader 1 black-country (leader)")).to_be_visible()
    await seen(panel, "practice-02-panel-review")
    card = panel.locator(".nhsuk-card").filter(has_text=f"trained independent member ({RUN})")
    await card.get_by_label("Endorse: add it to the good practice library").check()
    await card.get_by_role("button", name="Record the decision").click()
    await expect(panel.get_by_text("Recorded for gp-")).to_be_visible()

    async def in_the_library() -> bool:
        await leader.goto(portal.url + f"/good-practice?q={RUN}")
        return await leader.get_by_text(f"trained independent member ({RUN})").count() > 0

    await eventually(in_the_library, timeout=60)
    await seen(leader, "practice-03-library")
