"""The Panel's pages: the agenda of its next meeting (worst first, with the reasons, the
leader's answers, the staff network's concerns and what was decided), and a decision form per
item. A decision is recorded only on an item of the published agenda, by a Panel member or its
chair, and one that contradicts or repeats an earlier decision on the item must say it replaces
it."""

from __future__ import annotations

import uuid
from typing import Any, cast, get_args

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from shared.contracts import events as ev
from shared.contracts.topics import RESPONSES, Groups
from shared.contracts.vocabulary import VERIFICATION_KINDS, DecisionKind, Status, decision_words
from shared.outbox import add_to_outbox

from .. import persistence
from ..domain import EarlierDecision, FormProblems, Person, Role, deciding_role, read_decision
from ..web import fields, form, log, page, portal_of, refused, render, today_of, with_problems

# A verification is not bound to an agenda item: it has its own form on the action's page (api/checking.py).
KINDS: tuple[str, ...] = tuple(k for k in get_args(DecisionKind) if k not in VERIFICATION_KINDS)
SEES_THE_AGENDA = (Role.PANEL_CHAIR, Role.PANEL_MEMBER, Role.BOARD_MEMBER, Role.BOARD_SECRETARY)


def _worst_first(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def severity(item: dict[str, Any]) -> int:
        return Status(item["status"]).severity if item["status"] in set(Status) else 0

    return sorted(items, key=lambda i: (-severity(i), i["system"], i["action_id"]))


async def _agenda(request: Request) -> tuple[dict[str, Any] | None, dict[str, dict[str, Any]],
                                               dict[str, list[dict[str, Any]]]]:
    """The next meeting's agenda, the read model's view of its actions and what was sent about
    each: three queries, however long the agenda."""
    today = await today_of(request)
    async with portal_of(request).database.pool.acquire() as conn:
        agenda = await persistence.next_agenda(conn, today)
        if agenda is None:
            return None, {}, {}
        ids = [i["action_id"] for i in agenda["items"]]
        return agenda, await persistence.actions_named(conn, ids), await persistence.answers_about_each(conn, ids)


@page
async def agenda_page(request: Request, person: Person) -> Response:
    if not person.holds(*SEES_THE_AGENDA):
        return refused(request, person, "The Panel's agenda is for the Panel",
                       "Only the Panel and the People Board see the agenda.", 403)
    agenda, actions, sent = await _agenda(request)
    items = _worst_first(agenda["items"]) if agenda else []
    return render(request, "agenda.html.j2", person, title="The Panel's agenda", agenda=agenda, items=items,
                  actions=actions, sent=sent, decides=deciding_role(person) is not None,
                  systems=portal_of(request).reference.systems, recorded=request.query_params.get("recorded"))


async def _decidable(request: Request, person: Person) -> tuple[Role, dict[str, Any], dict[str, Any],
                                                                 list[EarlierDecision]] | Response:
    role = deciding_role(person)
    if role is None:
        log.warning("security_event", kind="panel_decision_without_the_role", person_id=person.person_id)
        return refused(request, person, "Only the Panel records its decisions",
                       "You are not a member of the Panel, so you cannot record its decisions. Nothing was recorded.",
                       403)
    action_id = request.path_params["action_id"]
    agenda, _, _ = await _agenda(request)
    item = next((i for i in agenda["items"] if i["action_id"] == action_id), None) if agenda else None
    if agenda is None or item is None:
        return refused(request, person, "Not on the agenda",
                       "This action is not on the agenda of the Panel's next meeting, so no decision can be "
                       "recorded on it. Nothing was recorded.", 409)
    async with portal_of(request).database.pool.acquire() as conn:
        recorded = await persistence.decisions_on(conn, agenda["meeting_id"], action_id)
    replaced = {d.get("replaces") for d in recorded}  # a replaced decision is no longer in force
    earlier = [EarlierDecision(d["decision_id"], d["kind"], decision_words(d["kind"]))
               for d in recorded if d["decision_id"] not in replaced]
    return role, agenda, item, earlier


def _context(agenda: dict[str, Any], item: dict[str, Any], earlier: list[EarlierDecision]) -> dict[str, Any]:
    return {"title": "Record the Panel's decision", "agenda": agenda, "item": item, "earlier": earlier,
            "kinds": [(k, decision_words(k)) for k in KINDS]}


@page
async def decision_form(request: Request, person: Person) -> Response:
    checked = await _decidable(request, person)
    if isinstance(checked, Response):
        return checked
    _, agenda, item, earlier = checked
    return render(request, "decision.html.j2", person, values={}, today=await today_of(request),
                  **_context(agenda, item, earlier))


@form
async def record_decision(request: Request, person: Person, data: FormData) -> Response:
    checked = await _decidable(request, person)
    if isinstance(checked, Response):
        return checked
    role, agenda, item, earlier = checked
    values, today = fields(data), await today_of(request)
    try:
        decided = read_decision(values, KINDS, today, earlier)
    except FormProblems as wrong:
        return with_problems(request, "decision.html.j2", person, wrong.problems, values=values, today=today,
                             **_context(agenda, item, earlier))
    event = ev.PanelDecisionRecorded.new(source=Groups.PORTAL, subject=item["action_id"], data=ev.PanelDecision(
        decision_id=f"d-{uuid.uuid4().hex[:12]}", meeting_id=agenda["meeting_id"], action_id=item["action_id"],
        kind=cast(DecisionKind, decided.kind), note=decided.note, due_date=decided.due_date,
        acting_person=person.person_id, acting_role=role.value, replaces=decided.replaces))
    async with portal_of(request).database.transaction() as conn:
        await persistence.record_answer(conn, event, item["action_id"], person, role)
        await add_to_outbox(conn, RESPONSES.name, event)
    log.info("panel_decision_recorded", action_id=item["action_id"], kind=decided.kind, person_id=person.person_id)
    return RedirectResponse(f"/panel?recorded={item['action_id']}", status_code=303)
