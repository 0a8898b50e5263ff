"""Read API (JSON). FastStream matches exact paths, so filters are query parameters:

- ``GET /status?system=&action_point=&status=``: every action's status with its reasons,
  rolled up per system and per action point;
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

from . import picture
from .cycles import next_meeting
from .persistence import reading, state
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


def routes() -> list[tuple[str, Any]]:
    """New route objects for each app: FastStream binds a route to the app it is added to."""
    return [("/status", guarded(status, *READERS, ids=("system",))),
            ("/status/action", guarded(action_status, *READERS, ids=("id",))),
            ("/agenda", guarded(agenda, ApiRole.PANEL, ApiRole.BOARD)),
            ("/cycles", guarded(cycles, *READERS)),
            ("/cycle-summary", guarded(cycle_summary, ApiRole.BOARD))]
