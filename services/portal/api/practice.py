"""Good practice: an action's leader (or delegate, SRO) or a staff network lead of its system
nominates its work; the Panel endorses or declines it and puts it forward for MIDAS; everyone
signed in can search the library. The library and the nominations are the accountability
service's (read over its API: the portal reads no other service's database); what people do
here goes out on governance.responses, and that service checks each right again."""

from __future__ import annotations

import uuid
from typing import Any, Literal, cast

import httpx
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from shared.access import ACTING_ROLE_HEADER, bearer
from shared.contracts import events as ev
from shared.contracts.topics import RESPONSES, Groups
from shared.outbox import add_to_outbox

from .. import persistence
from ..domain import FormProblems, Person, Role, answering_role, concern_role, deciding_role
from ..domain.practice import AWARD_STEPS, REVIEWS, read_nomination, read_review
from ..web import fields, form, log, page, portal_of, refused, render, with_problems

TITLE = "Nominate good practice"


async def _library(request: Request, person: Person, **params: str) -> list[dict[str, Any]] | None:
    """The library as accountability gives it, read with the portal's credential in the person's
    role (the Panel's, when they hold one: nominations not yet endorsed are the Panel's to see)."""
    settings = portal_of(request).settings
    url = settings.accountability_url.rstrip("/") + "/good-practice"
    token = settings.accountability_token.get_secret_value() if settings.accountability_token else ""
    acting = deciding_role(person) or min(person.roles, default=Role.LEADER)
    try:
        async with httpx.AsyncClient(timeout=20) as client:
            found = await client.get(url, params={k: v for k, v in params.items() if v},
                                     headers=bearer(token) | {ACTING_ROLE_HEADER: acting.value})
    except httpx.HTTPError as exc:
        log.error("good_practice_unreachable", error=repr(exc))
        return None
    return list(found.json()["practice"]) if found.status_code == 200 else None


@page
async def library(request: Request, person: Person) -> Response:
    """The good practice library: what the Panel endorsed, searchable."""
    q = (request.query_params.get("q") or "").strip()[:200]
    found = await _library(request, person, q=q)
    if found is None:
        return refused(request, person, "The library is not available", "Try again shortly.", 503)
    return render(request, "good_practice.html.j2", person, title="Good practice library", practice=found, q=q,
                  systems=portal_of(request).reference.systems, nominated=request.query_params.get("nominated"))


async def _nominator(request: Request, person: Person) -> tuple[dict[str, Any], Role] | Response:
    async with portal_of(request).database.pool.acquire() as conn:
        found = await persistence.action(conn, request.path_params["action_id"])
    if found is None or not found["title"]:
        return refused(request, person, "Action not found", "There is no action with that reference.", 404)
    facts = persistence.facts(found)
    role = answering_role(person, facts) or concern_role(person, facts)
    if role is None:
        log.warning("security_event", kind="nomination_without_the_role", person_id=person.person_id,
                    action_id=found["action_id"])
        return refused(request, person, "You cannot nominate this action's work",
                       "Its accountable leader, a delegate, its system's senior responsible owner or a staff network "
                       "lead of its system can. Nothing was recorded.", 403)
    return found, role


@page
async def nomination_form(request: Request, person: Person) -> Response:
    checked = await _nominator(request, person)
    if isinstance(checked, Response):
        return checked
    return render(request, "nominate.html.j2", person, title=TITLE, action=checked[0], values={})


@form
async def nominate(request: Request, person: Person, data: FormData) -> Response:
    checked = await _nominator(request, person)
    if isinstance(checked, Response):
        return checked
    action, role = checked
    values = fields(data)
    try:
        said = read_nomination(values)
    except FormProblems as wrong:
        return with_problems(request, "nominate.html.j2", person, wrong.problems, title=TITLE, action=action,
                             values=values)
    event = ev.GoodPracticeNominated.new(source=Groups.PORTAL, subject=action["action_id"],
                                         data=ev.GoodPracticeNomination(
        nomination_id=f"gp-{uuid.uuid4().hex[:12]}", action_id=action["action_id"], what_was_done=said.what_was_done,
        what_changed=said.what_changed, evidence=said.evidence, acting_person=person.person_id,
        acting_role=role.value))
    async with portal_of(request).database.transaction() as conn:
        await persistence.record_answer(conn, event, action["action_id"], person, role)
        await add_to_outbox(conn, RESPONSES.name, event)
    log.info("good_practice_nominated", action_id=action["action_id"], person_id=person.person_id)
    return RedirectResponse(f"/good-practice?nominated={action['action_id']}", status_code=303)


@page
async def panel_practice(request: Request, person: Person) -> Response:
    """The Panel's good practice: nominations to review, and endorsed practice to put forward for MIDAS."""
    if deciding_role(person) is None:
        return refused(request, person, "For the Panel", "Only the Panel's chair and members review good practice.",
                       403)
    waiting, endorsed = await _library(request, person, status="nominated"), await _library(request, person)
    if waiting is None or endorsed is None:
        return refused(request, person, "Good practice is not available", "Try again shortly.", 503)
    one = request.path_params.get("nomination_id")  # /panel/good-practice/{nomination_id}: that one alone
    if one is not None:
        waiting = [g for g in waiting if g["nomination_id"] == one]
        endorsed = [g for g in endorsed if g["nomination_id"] == one]
        if not waiting and not endorsed:
            return refused(request, person, "Nomination not found", "There is no nomination with that reference "
                                                                    "waiting for the Panel or endorsed.", 404)
    async with portal_of(request).database.pool.acquire() as conn:  # who nominated, by name, not person id
        names = {p.person_id: p.name for p in await persistence.everyone(conn)}
    return render(request, "panel_practice.html.j2", person, title="Good practice to review", waiting=waiting,
                  names=names,
                  endorsed=endorsed, reviews=REVIEWS, award_steps=AWARD_STEPS,
                  recorded=request.query_params.get("recorded"))


@form
async def review(request: Request, person: Person, data: FormData) -> Response:
    role = deciding_role(person)
    if role is None:
        log.warning("security_event", kind="practice_review_without_the_role", person_id=person.person_id)
        return refused(request, person, "For the Panel", "Only the Panel's chair and members review good practice. "
                                                         "Nothing was recorded.", 403)
    values = fields(data)
    nomination_id, action_id = request.path_params["nomination_id"], (values.get("action_id") or "").strip()
    try:
        step, note = read_review(values)
    except FormProblems as wrong:
        return refused(request, person, "Nothing was recorded", "; ".join(p.message for p in wrong.problems), 400)
    if not action_id:
        return refused(request, person, "Nothing was recorded", "The form did not say which action it is about.", 400)
    event: ev.GoodPracticeReviewed | ev.AwardEntryUpdated
    if step in REVIEWS:
        event = ev.GoodPracticeReviewed.new(source=Groups.PORTAL, subject=action_id, data=ev.GoodPracticeReview(
            nomination_id=nomination_id, action_id=action_id, decision=cast(Literal["endorsed", "declined"], step),
            note=note, acting_person=person.person_id, acting_role=role.value))
    else:
        event = ev.AwardEntryUpdated.new(source=Groups.PORTAL, subject=action_id, data=ev.AwardEntry(
            nomination_id=nomination_id, action_id=action_id, status=cast(Any, step), note=note,
            acting_person=person.person_id, acting_role=role.value))
    async with portal_of(request).database.transaction() as conn:
        await persistence.record_answer(conn, event, action_id, person, role)
        await add_to_outbox(conn, RESPONSES.name, event)
    log.info("good_practice_reviewed", action_id=action_id, nomination_id=nomination_id, step=step,
             person_id=person.person_id)
    return RedirectResponse(f"/panel/good-practice?recorded={nomination_id}", status_code=303)
