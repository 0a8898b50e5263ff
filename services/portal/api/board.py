"""The People Board's pages: the actions referred to it, a consequence form per action (the
consequence in words, who owns it, when the Board follows it up), and the cycle's report."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from shared.access import ACTING_ROLE_HEADER, bearer
from shared.contracts import events as ev
from shared.contracts.topics import RESPONSES, Groups
from shared.outbox import add_to_outbox

from .. import persistence
from ..domain import FormProblems, Person, Role, consequence_role, read_consequence
from ..web import fields, form, log, page, portal_of, refused, render, today_of, with_problems

TITLE = "Record a consequence the Board agreed"
# The report is one self-contained page: inline styles and drawings, no script, nothing fetched.
REPORT_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'none'; "
                 "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def _not_the_board(request: Request, person: Person) -> Response:
    log.warning("security_event", kind="board_consequence_without_the_role", person_id=person.person_id)
    return refused(request, person, "Only the People Board agrees consequences",
                   "You are not a member of the People Board. Nothing was recorded.", 403)


@page
async def board_page(request: Request, person: Person) -> Response:
    if consequence_role(person) is None:
        return _not_the_board(request, person)
    async with portal_of(request).database.pool.acquire() as conn:
        found = await persistence.referred_to_the_board(conn)
        sent = await persistence.answers_about_each(conn, [a["action_id"] for a in found])
    return render(request, "board.html.j2", person, title="Referred to the People Board", actions=found, sent=sent,
                  systems=portal_of(request).reference.systems, recorded=request.query_params.get("recorded"))


async def _referred(request: Request, person: Person) -> tuple[dict[str, Any], Role] | Response:
    role = consequence_role(person)
    if role is None:
        return _not_the_board(request, person)
    async with portal_of(request).database.pool.acquire() as conn:
        referred = {a["action_id"]: a for a in await persistence.referred_to_the_board(conn)}
    found = referred.get(request.path_params["action_id"])
    if found is None:
        return refused(request, person, "Not referred to the Board",
                       "This action has not been referred to the People Board. Nothing was recorded.", 409)
    return found, role


@page
async def consequence_form(request: Request, person: Person) -> Response:
    checked = await _referred(request, person)
    if isinstance(checked, Response):
        return checked
    return render(request, "consequence.html.j2", person, title=TITLE, action=checked[0], values={},
                  today=await today_of(request))


@form
async def record_consequence(request: Request, person: Person, data: FormData) -> Response:
    checked = await _referred(request, person)
    if isinstance(checked, Response):
        return checked
    action, role = checked
    values, today = fields(data), await today_of(request)
    async with portal_of(request).database.transaction() as conn:
        try:
            consequence, owner, follow_up = read_consequence(values, today, await persistence.person_ids(conn))
        except FormProblems as wrong:
            return with_problems(request, "consequence.html.j2", person, wrong.problems, title=TITLE, action=action,
                                 values=values, today=today)
        event = ev.ConsequenceAgreed.new(source=Groups.PORTAL, subject=action["action_id"], data=ev.BoardConsequence(
            consequence_id=f"c-{uuid.uuid4().hex[:12]}", action_id=action["action_id"], consequence=consequence,
            owner=owner, follow_up_by=follow_up, acting_person=person.person_id, acting_role=role.value))
        await persistence.record_answer(conn, event, action["action_id"], person, role)
        await add_to_outbox(conn, RESPONSES.name, event)
    log.info("consequence_agreed", action_id=action["action_id"], person_id=person.person_id)
    return RedirectResponse(f"/board?recorded={action['action_id']}", status_code=303)


@page
async def report(request: Request, person: Person) -> Response:
    """The cycle's report for the People Board (?cycle_id=, default the latest), as the accountability
    service's read API gives it: the portal reads no other service's database."""
    role = consequence_role(person)
    if role is None:
        log.warning("security_event", kind="board_report_without_the_role", person_id=person.person_id)
        return refused(request, person, "The report is for the People Board",
                       "Only the People Board's members and its secretary see the cycle's report here.", 403)
    params = {k: v for k, v in {"cycle_id": request.query_params.get("cycle_id")}.items() if v}
    settings = portal_of(request).settings
    url = settings.accountability_url.rstrip("/") + "/board-report"
    token = settings.accountability_token.get_secret_value() if settings.accountability_token else ""
    try:
        async with httpx.AsyncClient(timeout=20) as client:  # the portal's credential, acting in the person's role
            found = await client.get(url, params=params, headers=bearer(token) | {ACTING_ROLE_HEADER: role.value})
    except httpx.HTTPError as exc:
        log.error("board_report_unreachable", error=repr(exc))
        return refused(request, person, "The report is not available",
                       "The service that keeps the cycle's picture could not be reached. Try again shortly.", 503)
    if found.status_code in (401, 403):
        log.error("board_report_refused_to_the_portal", status=found.status_code)
        return refused(request, person, "The report is not available",
                       "The portal is not allowed to read it: its credential needs attention.", 503)
    if found.status_code == 404:
        return refused(request, person, "No report for that cycle", "There is no cycle with that name yet.", 404)
    if found.status_code != 200:
        return refused(request, person, "The report is not available", "Try again shortly.", 503)
    log.info("board_report_read", person_id=person.person_id, cycle_id=params.get("cycle_id"))
    return HTMLResponse(found.text, headers={"content-security-policy": REPORT_POLICY, "cache-control": "no-store"})
