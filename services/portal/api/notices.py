"""Notices, each on its own page. The link in an e-mail opens the page; only pressing its
button (a POST with the form token) acknowledges, so a mail scanner that opens every link
acknowledges nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from shared.contracts import events as ev
from shared.contracts.topics import NOTICES, Groups
from shared.outbox import add_to_outbox

from .. import persistence
from ..domain import Person, may_acknowledge, notice_link_refusal
from ..web import form, log, page, portal_of, refused, render


@page
async def my_notices(request: Request, person: Person) -> Response:
    async with portal_of(request).database.pool.acquire() as conn:
        found = await persistence.notices_to(conn, person.person_id)
    return render(request, "notices.html.j2", person, title="Your notices", notices=found)


def _not_yours(request: Request, person: Person) -> Response:
    return refused(request, person, "Notice not found", "There is no notice with that reference sent to you.", 404)


def _outlived(request: Request, found: dict[str, Any]) -> str | None:
    """Why this notice's link no longer acknowledges, if it does not (moved on, or expired)."""
    return notice_link_refusal(found["sent_at"].date(), found["today"], found["moved_on"],
                               portal_of(request).settings.notice_link_days)


@page
async def notice_page(request: Request, person: Person) -> Response:
    async with portal_of(request).database.pool.acquire() as conn:
        found = await persistence.notice(conn, request.path_params["notice_id"])
    if found is None or not may_acknowledge(person, found["recipient"]):
        return _not_yours(request, person)
    if found["acknowledged_at"] is None and (why := _outlived(request, found)):
        return refused(request, person, "This notice's link no longer acknowledges", why, 403)
    return render(request, "notice.html.j2", person, title="A notice to you", notice=found,
                  acknowledged=request.query_params.get("acknowledged") == "yes")


@form
async def acknowledge(request: Request, person: Person, data: FormData) -> Response:
    """Record that the recipient has seen the notice, once, and tell notifications."""
    notice_id = request.path_params["notice_id"]
    async with portal_of(request).database.transaction() as conn:
        found = await persistence.notice(conn, notice_id)
        if found is None or not may_acknowledge(person, found["recipient"]):
            if found is not None:
                log.warning("security_event", kind="acknowledge_someone_elses_notice", person_id=person.person_id)
            return _not_yours(request, person)
        if found["acknowledged_at"] is None and (why := _outlived(request, found)):
            log.warning("security_event", kind="stale_notice_link", person_id=person.person_id)
            return refused(request, person, "This notice's link no longer acknowledges", why, 403)
        if await persistence.acknowledge(conn, notice_id, person.person_id, datetime.now(UTC)):
            await add_to_outbox(conn, NOTICES.name, ev.NoticeAcknowledgementGiven.new(
                source=Groups.PORTAL, subject=found["about"], data=ev.NoticeAcknowledgement(
                    notice_id=notice_id, about=found["about"], acting_person=person.person_id)))
            log.info("notice_acknowledged", notice_id=notice_id, person_id=person.person_id)
    return RedirectResponse(f"/notices/{notice_id}?acknowledged=yes", status_code=303)
