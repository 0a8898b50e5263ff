"""Two forms on an action's page: the Panel checking what a system reported (verify, dispute,
withdraw), and the accountable leader naming who acts for them (a delegate for the action, or
cover for all their actions for a period).

Each becomes the event accountability already accepts (``panel.decision_recorded`` of a
verification kind; ``cover.arranged``), bound to the signed-in person and the role they acted
in, recorded here and queued in the outbox in one transaction."""

from __future__ import annotations

import uuid
from typing import Any, cast

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from shared.contracts import events as ev
from shared.contracts.topics import RESPONSES, Groups
from shared.contracts.vocabulary import DecisionKind
from shared.outbox import add_to_outbox

from .. import persistence
from ..domain import FormProblems, Person, Role, answering_role, deciding_role, may_see_action
from ..domain.checking import (
    ALL_ACTIONS,
    STATUS,
    THIS_ACTION,
    VERIFICATION_CHOICES,
    read_cover,
    read_verification,
    still_checked,
)
from ..web import fields, form, log, page, portal_of, refused, render, today_of, with_problems

BETWEEN_MEETINGS = "between-meetings"  # a check made when no agenda is published (it needs none)


async def _action(request: Request, person: Person) -> dict[str, Any] | Response:
    async with portal_of(request).database.pool.acquire() as conn:
        found = await persistence.action(conn, request.path_params["action_id"])
    if found is None or not found["title"] or not may_see_action(person, persistence.facts(found)):
        return refused(request, person, "Action not found", "There is no action with that reference that you can "
                                                            "see.", 404)
    return found


def _milestones(action: dict[str, Any]) -> dict[str, str]:
    return {m["milestone_id"]: m["state"] for m in (action["snapshot"] or {}).get("milestones", [])}


def _targets(action: dict[str, Any]) -> list[tuple[str, str]]:
    said = f"Its status: {action['status'].replace('_', ' ')}" if action["status"] else "Its status"
    state = {"reached": "reported reached", "missed": "missed", "open": "not reached yet"}
    return [(STATUS, said)] + [(m["milestone_id"], f"Milestone '{m['title']}': {state.get(m['state'], m['state'])}")
                               for m in (action["snapshot"] or {}).get("milestones", [])]


def _verify_context(action: dict[str, Any]) -> dict[str, Any]:
    return {"title": "Check what the system reported", "action": action, "targets": _targets(action),
            "kinds": list(VERIFICATION_CHOICES.items())}


async def _panel_check(request: Request, person: Person) -> tuple[Role, dict[str, Any]] | Response:
    role = deciding_role(person)
    if role is None:
        log.warning("security_event", kind="verification_without_the_role", person_id=person.person_id)
        return refused(request, person, "Only the Panel checks what systems report",
                       "You are not a member of the Panel, so you cannot verify or dispute. Nothing was recorded.", 403)
    found = await _action(request, person)
    return found if isinstance(found, Response) else (role, found)


@page
async def verification_form(request: Request, person: Person) -> Response:
    checked = await _panel_check(request, person)
    if isinstance(checked, Response):
        return checked
    return render(request, "verify.html.j2", person, values={}, **_verify_context(checked[1]))


@form
async def record_verification(request: Request, person: Person, data: FormData) -> Response:
    checked = await _panel_check(request, person)
    if isinstance(checked, Response):
        return checked
    (role, action), values = checked, fields(data)
    today = await today_of(request)
    async with portal_of(request).database.pool.acquire() as conn:
        earlier = await persistence.verifications_of(conn, action["action_id"])
        agenda = await persistence.next_agenda(conn, today)
    try:
        found = read_verification(values, _milestones(action), still_checked(earlier))
    except FormProblems as wrong:
        return with_problems(request, "verify.html.j2", person, wrong.problems, values=values,
                             **_verify_context(action))
    event = ev.PanelDecisionRecorded.new(source=Groups.PORTAL, subject=action["action_id"], data=ev.PanelDecision(
        decision_id=f"d-{uuid.uuid4().hex[:12]}", meeting_id=agenda["meeting_id"] if agenda else BETWEEN_MEETINGS,
        action_id=action["action_id"], kind=cast(DecisionKind, found.kind), note=found.note,
        milestone_id=found.milestone_id, evidence_links=list(found.evidence_links),  # type: ignore[arg-type]
        acting_person=person.person_id, acting_role=role.value))
    async with portal_of(request).database.transaction() as conn:
        await persistence.record_answer(conn, event, action["action_id"], person, role)
        await add_to_outbox(conn, RESPONSES.name, event)
    log.info("panel_check_recorded", action_id=action["action_id"], kind=found.kind, person_id=person.person_id)
    return RedirectResponse(f"/actions/{action['action_id']}?sent=check", status_code=303)


# ---- cover ------------------------------------------------------------------------------------

async def _leaders(request: Request, person: Person) -> dict[str, Any] | Response:
    found = await _action(request, person)
    if isinstance(found, Response):
        return found
    if answering_role(person, persistence.facts(found)) != Role.LEADER:
        log.warning("security_event", kind="cover_for_another_leader", person_id=person.person_id,
                    action_id=found["action_id"])
        return refused(request, person, "Only the accountable leader names their cover",
                       "You are not this action's accountable leader, so you cannot name who acts for them. "
                       "Nothing was recorded.", 403)
    return found


async def _cover_context(request: Request, person: Person, action: dict[str, Any]) -> dict[str, Any]:
    async with portal_of(request).database.pool.acquire() as conn:
        people = [p for p in await persistence.everyone(conn) if p.active and p.person_id != person.person_id]
    return {"title": "Name who acts for you", "action": action, "people": people,
            "scopes": [(THIS_ACTION, "This action only (a delegate for it)"),
                       (ALL_ACTIONS, "All the actions you are accountable for (cover, for example for leave)")]}


@page
async def cover_form(request: Request, person: Person) -> Response:
    found = await _leaders(request, person)
    if isinstance(found, Response):
        return found
    return render(request, "cover.html.j2", person, values={}, **await _cover_context(request, person, found))


@form
async def arrange_cover(request: Request, person: Person, data: FormData) -> Response:
    found = await _leaders(request, person)
    if isinstance(found, Response):
        return found
    values, today, context = fields(data), await today_of(request), await _cover_context(request, person, found)
    try:
        named = read_cover(values, person.person_id, found["action_id"],
                           {p.person_id: p.name for p in context["people"]}, today)
    except FormProblems as wrong:
        return with_problems(request, "cover.html.j2", person, wrong.problems, values=values, **context)
    event = ev.CoverArranged.new(source=Groups.PORTAL, subject=found["action_id"], data=ev.Cover(
        cover_id=f"c-{uuid.uuid4().hex[:12]}", leader=person.person_id, cover=named.cover, action_id=named.action_id,
        starts_on=named.starts_on, ends_on=named.ends_on, acting_person=person.person_id,
        acting_role=Role.LEADER.value))
    async with portal_of(request).database.transaction() as conn:
        await persistence.record_answer(conn, event, found["action_id"], person, Role.LEADER)
        await add_to_outbox(conn, RESPONSES.name, event)
    log.info("cover_arranged", action_id=found["action_id"], cover=named.cover, person_id=person.person_id)
    return RedirectResponse(f"/actions/{found['action_id']}?sent=cover", status_code=303)
