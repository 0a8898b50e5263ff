"""Read API (JSON). FastStream matches exact paths, so filters are query parameters:

- ``GET /status?system=&action_point=&status=``: every action's status with its reasons,
  rolled up per system and per action point;
- ``GET /good-practice?q=&system=&status=``: the good practice library (endorsed practice),
  searchable; ``status=nominated`` for what awaits the Panel;
- ``GET /measures?system=``: every action's measure and its readings per period, figures from
  fewer than ``small_number_threshold`` people suppressed (``evidence.py``);
- ``GET /status/action?id=``: one action: status, reasons, open escalation, full history;
- ``GET /agenda``: the Panel's agenda for its next meeting, worst first, live;
  ``GET /agenda?meeting_id=``: an agenda as it was published;
- ``GET /cycles``: every cycle and whether it is open;
- ``GET /cycle-summary?cycle_id=``: the Board's picture of a cycle: as stored at its close,
  or provisional (live) for the open cycle, which is the default.

Who may read what (``shared/access.py``): statuses and cycles the Panel, the Board and each system
for its own actions; the agenda the Panel and the Board; the cycle's picture the Board.
"""

from __future__ import annotations

from typing import Annotated, Any

from faststream import Context
from faststream.asgi import AsgiResponse, Request

from shared.access import ApiRole, Principal, forbidden, guarded
from shared.db import Database
from shared.http import json_response, query_param
from shared.reference import ReferenceData

from . import evidence, picture
from .cycles import next_meeting
from .persistence import practice, reading, state
from .settings import AccountabilitySettings

READERS = (ApiRole.SYSTEM, ApiRole.PANEL, ApiRole.BOARD)


async def status(request: Request, database: Annotated[Database, Context()],
                 reference: Annotated[ReferenceData, Context()],
                 principal: Annotated[Principal, Context()]) -> AsgiResponse:
    """Every action's status and reasons, with counts per system and per action point (a system:
    its own actions only)."""
    wanted = {k: query_param(request, k) for k in ("system", "action_point", "status")}
    if wanted["status"] is not None and wanted["status"] not in picture.STATUSES:
        return json_response({"error": f"status must be one of {picture.STATUSES}"}, 400)
    wanted["system"] = wanted["system"] or principal.system
    if not principal.may_read_system(wanted["system"]):
        return forbidden("/status", principal, "a system reads only its own actions")
    async with database.pool.acquire() as conn:
        actions = await reading.statuses(conn, wanted["system"], wanted["action_point"], wanted["status"])
        today = await reading.today(conn)
    return json_response({
        "as_of": today, "count": len(actions), "actions": actions,
        "by_system": picture.rollup(actions, "system", {k: v.name for k, v in reference.systems.items()}),
        "by_action_point": picture.rollup(actions, "action_point",
                                          {k: v.name for k, v in reference.action_points.items()}),
    })


async def action_status(request: Request, database: Annotated[Database, Context()],
                        principal: Annotated[Principal, Context()]) -> AsgiResponse:
    """One action: its status, reasons, open escalation and everything that happened to it."""
    action_id = query_param(request, "id")
    if not action_id:
        return json_response({"error": "give the action as ?id=..."}, 400)
    async with database.pool.acquire() as conn:
        found = await reading.action_status(conn, action_id)
    if found is None:
        return json_response({"error": f"no action {action_id!r}"}, 404)
    if not principal.may_read_system(found.get("system")):
        return forbidden("/status/action", principal, "a system reads only its own actions")
    return json_response(found)


async def agenda(request: Request, database: Annotated[Database, Context()],
                 settings: Annotated[AccountabilitySettings, Context()]) -> AsgiResponse:
    """The Panel's agenda: the next meeting's (live), or a published one by ``meeting_id``."""
    wanted = query_param(request, "meeting_id")
    async with database.pool.acquire() as conn:
        if wanted:
            stored = await reading.published_agenda(conn, wanted)
            if stored is None:
                return json_response({"error": f"no agenda was published for {wanted!r}"}, 404)
            return json_response(stored)
        today = await reading.today(conn)
        if today is None:
            return json_response({"error": "no clock tick has arrived yet: the service does not know the date"},
                                 409)
        cycle = next_meeting(today, settings)
        published = await reading.agenda_published_on(conn, cycle.meeting_id)
        items = await reading.agenda_items(conn)
    return json_response({"meeting_id": cycle.meeting_id, "meets_on": cycle.meeting_on,
                          "chair": settings.panel_chair, "as_of": today, "published_on": published,
                          "items": items})


async def cycles(request: Request, database: Annotated[Database, Context()]) -> AsgiResponse:
    """Every cycle the service has opened, latest first."""
    async with database.pool.acquire() as conn:
        found = await reading.all_cycles(conn)
    return json_response({"cycles": found})


async def cycle_summary(request: Request, database: Annotated[Database, Context()],
                        reference: Annotated[ReferenceData, Context()]) -> AsgiResponse:
    """The Board's picture of a cycle (default: the open one, provisional)."""
    wanted = query_param(request, "cycle_id")
    async with database.pool.acquire() as conn:
        if wanted is None:
            wanted = (await state.read_clock(conn)).cycle_id
            if wanted is None:
                return json_response({"error": "no cycle has opened yet"}, 404)
        summary = await reading.summary_of(conn, wanted, reference)
    if summary is None:
        return json_response({"error": f"no cycle {wanted!r}"}, 404)
    return json_response(summary)


async def measures(request: Request, database: Annotated[Database, Context()],
                   reference: Annotated[ReferenceData, Context()],
                   settings: Annotated[AccountabilitySettings, Context()],
                   principal: Annotated[Principal, Context()]) -> AsgiResponse:
    """Every action's measure with its readings per period, small numbers suppressed (a system: its
    own measures only)."""
    system = query_param(request, "system") or principal.system
    if not principal.may_read_system(system):
        return forbidden("/measures", principal, "a system reads only its own measures")
    async with database.pool.acquire() as conn:
        rows = await reading.measures(conn, system)
    return json_response({"measures": [evidence.published_measure(r, reference, settings.small_number_threshold)
                                       for r in rows]})


PRACTICE_STATUSES = ("endorsed", "nominated", "declined", "all")


async def good_practice(request: Request, database: Annotated[Database, Context()],
                        principal: Annotated[Principal, Context()]) -> AsgiResponse:
    """The good practice library: endorsed practice (``status=`` for nominations awaiting the Panel,
    declined or all: the Panel's and the Board's only), searchable by any word about it (``q=``),
    per system (``system=``)."""
    wanted = query_param(request, "status") or "endorsed"
    if wanted not in PRACTICE_STATUSES:
        return json_response({"error": f"status must be one of {', '.join(PRACTICE_STATUSES)}"}, 400)
    if wanted != "endorsed" and not principal.roles & {ApiRole.PANEL, ApiRole.BOARD}:
        return forbidden("/good-practice", principal, "only the Panel and the Board see nominations not endorsed")
    async with database.pool.acquire() as conn:
        found = await practice.practice(conn, status=None if wanted == "all" else wanted,
                                        search=query_param(request, "q"), system=query_param(request, "system"))
    return json_response({"count": len(found), "practice": found})


def routes() -> list[tuple[str, Any]]:
    """New route objects for each app: FastStream binds a route to the app it is added to."""
    return [("/status", guarded(status, *READERS, ids=("system",))),
            ("/status/action", guarded(action_status, *READERS, ids=("id",))),
            ("/agenda", guarded(agenda, ApiRole.PANEL, ApiRole.BOARD)),
            ("/cycles", guarded(cycles, *READERS)),
            ("/cycle-summary", guarded(cycle_summary, ApiRole.BOARD)),
            ("/measures", guarded(measures, *READERS, ids=("system",))),
            ("/good-practice", guarded(good_practice, *READERS, ApiRole.PERSON, ids=("system",)))]
