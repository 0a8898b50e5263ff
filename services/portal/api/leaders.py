"""Leaders' pages: the actions they answer for, one action, and the four answers: an
explanation, a recovery plan with dated steps, a request for more time, a contested flag.

Each answer becomes an event bound to the signed-in person and the role they acted in,
recorded here and queued in the outbox in one transaction, then relayed to
governance.responses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from shared.contracts import Event
from shared.contracts import events as ev
from shared.contracts.topics import RESPONSES, Groups
from shared.contracts.vocabulary import Status
from shared.outbox import add_to_outbox

from .. import persistence
from ..domain import (
    FormProblems,
    Person,
    Role,
    answering_role,
    deciding_role,
    may_see_action,
    read_contest,
    read_explanation,
    read_extension,
    read_recovery_plan,
)
from ..domain.checking import checks_in_words, cover_in_force, still_checked
from ..web import fields, form, log, page, portal_of, refused, render, today_of, with_problems

Builder = Callable[[dict[str, str], dict[str, Any], Person, Role, date], Event]


def _explanation(data: dict[str, str], action: dict[str, Any], who: Person, role: Role, today: date) -> Event:
    return ev.ExplanationGiven.new(source=Groups.PORTAL, subject=action["action_id"], data=ev.Explanation(
        action_id=action["action_id"], text=read_explanation(data), acting_person=who.person_id,
        acting_role=role.value))


def _recovery_plan(data: dict[str, str], action: dict[str, Any], who: Person, role: Role, today: date) -> Event:
    plan = read_recovery_plan(data, today)
    return ev.RecoveryPlanSent.new(source=Groups.PORTAL, subject=action["action_id"], data=ev.RecoveryPlan(
        action_id=action["action_id"], summary=plan.summary, recover_by=plan.recover_by,
        steps=[ev.RecoveryStep(what=s.what, by=s.by) for s in plan.steps], acting_person=who.person_id,
        acting_role=role.value))


def _extension(data: dict[str, str], action: dict[str, Any], who: Person, role: Role, today: date) -> Event:
    new_date, reason = read_extension(data, action["due_date"], today)
    return ev.ExtensionRequested.new(source=Groups.PORTAL, subject=action["action_id"], data=ev.ExtensionRequest(
        action_id=action["action_id"], current_due_date=action["due_date"], new_due_date=new_date, reason=reason,
        acting_person=who.person_id, acting_role=role.value))


def _contest(data: dict[str, str], action: dict[str, Any], who: Person, role: Role, today: date) -> Event:
    status = action["status"] if action["status"] in set(Status) else None
    return ev.FlagContested.new(source=Groups.PORTAL, subject=action["action_id"], data=ev.FlagContest(
        action_id=action["action_id"], contested_status=status, reason=read_contest(data),
        acting_person=who.person_id, acting_role=role.value))


@dataclass(frozen=True)
class Answer:
    title: str
    template: str
    sent: str  # what the action's page says once it is sent
    build: Builder


ANSWERS = {
    "explanation": Answer("Explain why the action slipped", "answer_explanation.html.j2",
                          "Your explanation was sent to the Panel.", _explanation),
    "recovery-plan": Answer("Send a recovery plan", "answer_recovery_plan.html.j2",
                            "Your recovery plan was sent to the Panel.", _recovery_plan),
    "extension": Answer("Ask for more time", "answer_extension.html.j2",
                        "Your request for more time was sent to the Panel.", _extension),
    "contest": Answer("Contest the flag", "answer_contest.html.j2",
                      "Your challenge to the flag was sent to the Panel.", _contest),
}

# What the action's page says once a form on it was sent.
SENT = {kind: answer.sent for kind, answer in ANSWERS.items()} | {
    "check": "The Panel's check was recorded: the Board's report shows it once accountability has applied it.",
    "cover": "The person you named will act for you from the first day to the last; it ends by itself."}


@page
async def my_actions(request: Request, person: Person) -> Response:
    """The actions this person answers for: worst first, with why and every deadline."""
    async with portal_of(request).database.pool.acquire() as conn:
        found = await persistence.actions_answered_by(conn, person)
    return render(request, "my_actions.html.j2", person, title="Your actions", actions=found,
                  today=await today_of(request), systems=portal_of(request).reference.systems)


@page
async def action_page(request: Request, person: Person) -> Response:
    """One action: its status and why, its ladder step and deadlines, and what was sent about it."""
    action_id, today = request.path_params["action_id"], await today_of(request)
    async with portal_of(request).database.pool.acquire() as conn:
        found = await persistence.action(conn, action_id)
        if found is None or not found["title"] or not may_see_action(person, persistence.facts(found)):
            return refused(request, person, "Action not found",
                           "There is no action with that reference that you can see.", 404)
        answers = await persistence.answers_about(conn, action_id)
        covers = await persistence.covers_named_by(conn, found["accountable_leader"] or "")
        checks = still_checked(await persistence.verifications_of(conn, action_id))
    role = answering_role(person, persistence.facts(found))
    sent = SENT.get(request.query_params.get("sent") or "")
    return render(request, "action.html.j2", person, title=found["title"], action=found, answers=answers,
                  may_answer=role is not None, role=role, sent=sent, today=today,
                  systems=portal_of(request).reference.systems, covers=cover_in_force(covers, action_id, today),
                  may_check=deciding_role(person) is not None, checked=checks_in_words(checks, {
                      m["milestone_id"]: m["title"] for m in (found["snapshot"] or {}).get("milestones", [])}),
                  may_name_cover=role == Role.LEADER)


async def _answerable(request: Request, person: Person) -> tuple[dict[str, Any], Role, Answer] | Response:
    """The action, the role this person answers it in and the kind of answer; or the refusal."""
    kind = ANSWERS.get(request.path_params["kind"])
    async with portal_of(request).database.pool.acquire() as conn:
        found = await persistence.action(conn, request.path_params["action_id"])
    if kind is None or found is None or not found["title"]:
        return refused(request, person, "Page not found", "There is no such action or answer.", 404)
    role = answering_role(person, persistence.facts(found))
    if role is None:
        log.warning("security_event", kind="answer_for_another_leaders_action", person_id=person.person_id,
                    action_id=found["action_id"])
        return refused(request, person, "You cannot answer for this action",
                       "Only the action's accountable leader, their named delegate or the system's senior "
                       "responsible owner can answer for it. Nothing was recorded.", 403)
    return found, role, kind


@page
async def answer_form(request: Request, person: Person) -> Response:
    checked = await _answerable(request, person)
    if isinstance(checked, Response):
        return checked
    action, role, kind = checked
    return render(request, kind.template, person, title=kind.title, action=action, role=role, values={},
                  today=await today_of(request))


@form
async def send_answer(request: Request, person: Person, data: FormData) -> Response:
    """Check the answer, then record it and queue its event in one transaction."""
    checked = await _answerable(request, person)
    if isinstance(checked, Response):
        return checked
    action, role, kind = checked
    values, today = fields(data), await today_of(request)
    try:
        event = kind.build(values, action, person, role, today)
    except FormProblems as wrong:
        return with_problems(request, kind.template, person, wrong.problems, title=kind.title, action=action,
                             role=role, values=values, today=today)
    async with portal_of(request).database.transaction() as conn:
        await persistence.record_answer(conn, event, action["action_id"], person, role)
        await add_to_outbox(conn, RESPONSES.name, event)
    log.info("answer_sent", type=event.type, action_id=action["action_id"], person_id=person.person_id,
             role=role.value)
    return RedirectResponse(f"/actions/{action['action_id']}?sent={request.path_params['kind']}", status_code=303)
