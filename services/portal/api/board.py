"""The People Board's pages: the actions referred to it, and a consequence form per action
(the consequence in words, who owns it, when the Board follows it up)."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from shared.contracts import events as ev
from shared.contracts.topics import RESPONSES, Groups
from shared.outbox import add_to_outbox

from .. import persistence
from ..domain import FormProblems, Person, Role, consequence_role, read_consequence
from ..web import fields, form, log, page, portal_of, refused, render, today_of, with_problems

TITLE = "Record a consequence the Board agreed"


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
