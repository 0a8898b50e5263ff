"""Staff network leads' pages: their systems' actions, and a concern, a challenge or support
for a recovery plan, in their words, for the Panel's agenda."""

from __future__ import annotations

from typing import Any, Literal, cast

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from shared.contracts import events as ev
from shared.contracts.topics import RESPONSES, Groups
from shared.outbox import add_to_outbox

from .. import persistence
from ..domain import CONCERN_KINDS, FormProblems, Person, Role, concern_role, read_concern
from ..web import fields, form, log, page, portal_of, refused, render, with_problems

TITLE = "Raise a concern for the Panel"
ConcernKind = Literal["concern", "challenge", "support"]


@page
async def network_page(request: Request, person: Person) -> Response:
    if not person.holds(Role.STAFF_NETWORK_LEAD):
        return refused(request, person, "For staff network leads",
                       "This page is for the leads of a system's staff networks.", 403)
    async with portal_of(request).database.pool.acquire() as conn:
        found = await persistence.actions_of_systems(conn, list(person.systems))
    return render(request, "network.html.j2", person, title="Your systems' actions", actions=found,
                  systems=portal_of(request).reference.systems, raised=request.query_params.get("raised"))


async def _concernable(request: Request, person: Person) -> tuple[dict[str, Any], Role] | Response:
    async with portal_of(request).database.pool.acquire() as conn:
        found = await persistence.action(conn, request.path_params["action_id"])
    if found is None or not found["title"]:
        return refused(request, person, "Action not found", "There is no action with that reference.", 404)
    role = concern_role(person, persistence.facts(found))
    if role is None:
        log.warning("security_event", kind="concern_without_the_role", person_id=person.person_id,
                    action_id=found["action_id"])
        return refused(request, person, "You cannot raise a concern about this action",
                       "Only a staff network lead of the action's system can. Nothing was recorded.", 403)
    return found, role


@page
async def concern_form(request: Request, person: Person) -> Response:
    checked = await _concernable(request, person)
    if isinstance(checked, Response):
        return checked
    action, _ = checked
    return render(request, "concern.html.j2", person, title=TITLE, action=action, values={}, kinds=CONCERN_KINDS)


@form
async def raise_concern(request: Request, person: Person, data: FormData) -> Response:
    checked = await _concernable(request, person)
    if isinstance(checked, Response):
        return checked
    action, role = checked
    values = fields(data)
    try:
        kind, words = read_concern(values)
    except FormProblems as wrong:
        return with_problems(request, "concern.html.j2", person, wrong.problems, title=TITLE, action=action,
                             values=values, kinds=CONCERN_KINDS)
    event = ev.ConcernRaised.new(source=Groups.PORTAL, subject=action["action_id"], data=ev.StaffNetworkConcern(
        action_id=action["action_id"], system=action["system"], kind=cast(ConcernKind, kind), text=words,
        acting_person=person.person_id, acting_role=role.value))
    async with portal_of(request).database.transaction() as conn:
        await persistence.record_answer(conn, event, action["action_id"], person, role)
        await add_to_outbox(conn, RESPONSES.name, event)
    log.info("concern_raised", action_id=action["action_id"], person_id=person.person_id)
    return RedirectResponse(f"/network?raised={action['action_id']}", status_code=303)
