"""Read API (JSON). FastStream matches exact paths, so filters are query parameters:

- ``GET /status?system=&action_point=&status=``: every action's status with its reasons,
  rolled up per system and per action point;
- ``GET /status/action?id=``: one action: status, reasons, open escalation, full history;
- ``GET /agenda``: the Panel's agenda for its next meeting, worst first, live;
  ``GET /agenda?meeting_id=``: an agenda as it was published;
- ``GET /cycles``: every cycle and whether it is open;
- ``GET /cycle-summary?cycle_id=``: the Board's picture of a cycle: as stored at its close,
  or provisional (live) for the open cycle, which is the default.
"""

from __future__ import annotations

import json
from typing import Any

from faststream.asgi import AsgiResponse, Request, get

from shared.http import json_response, query_param
from shared.reference import ReferenceData
from shared.service import ServiceRuntime

from . import picture
from .cycles import next_meeting
from .settings import AccountabilitySettings


def _rollup(actions: list[dict[str, Any]], field: str, names: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    for gid in sorted({a[field] for a in actions}):
        members = [a for a in actions if a[field] == gid]
        out.append({"id": gid, "name": names.get(gid, gid), "actions": len(members),
                    "status": picture.status_counts([a["status"] for a in members])})
    return out


def routes(runtime: ServiceRuntime, settings: AccountabilitySettings,
           reference: ReferenceData) -> list[tuple[str, Any]]:
    @get
    async def status(request: Request) -> AsgiResponse:
        """Every action's status and reasons, with counts per system and per action point."""
        wanted = {k: query_param(request, k) for k in ("system", "action_point", "status")}
        if wanted["status"] is not None and wanted["status"] not in picture.STATUSES:
            return json_response({"error": f"status must be one of {picture.STATUSES}"}, 400)
        async with runtime.pool.acquire() as conn:
            rows = await conn.fetch(
                """SELECT action_id, system, action_point, title, accountable_leader, status, status_since,
                          reasons, version FROM actions
                   WHERE ($1::text IS NULL OR system = $1) AND ($2::text IS NULL OR action_point = $2)
                     AND ($3::text IS NULL OR status = $3)
                   ORDER BY system, action_point, action_id""",
                wanted["system"], wanted["action_point"], wanted["status"])
            today = await conn.fetchval("SELECT today FROM clock")
        actions = [{**dict(r), "reasons": json.loads(r["reasons"])} for r in rows]
        return json_response({
            "as_of": today, "count": len(actions), "actions": actions,
            "by_system": _rollup(actions, "system", {k: v.name for k, v in reference.systems.items()}),
            "by_action_point": _rollup(actions, "action_point",
                                       {k: v.name for k, v in reference.action_points.items()}),
        })

    @get
    async def action_status(request: Request) -> AsgiResponse:
        """One action: its status, reasons, open escalation and everything that happened to it."""
        action_id = query_param(request, "id")
        if not action_id:
            return json_response({"error": "give the action as ?id=..."}, 400)
        async with runtime.pool.acquire() as conn:
            row = await conn.fetchrow(
                """SELECT action_id, system, action_point, title, accountable_leader, lifecycle, status,
                          status_since, reasons, version FROM actions WHERE action_id = $1""", action_id)
            if row is None:
                return json_response({"error": f"no action {action_id!r}"}, 404)
            escalation = await conn.fetchrow(
                """SELECT escalation_id, step, opened_on, step_on, respond_by, paused_until, hurry_by
                   FROM escalations WHERE action_id = $1 AND resolved_on IS NULL""", action_id)
            found = {**dict(row), "reasons": json.loads(row["reasons"]),
                     "escalation": dict(escalation) if escalation else None,
                     "history": await picture.history(conn, action_id)}
        return json_response(found)

    @get
    async def agenda(request: Request) -> AsgiResponse:
        """The Panel's agenda: the next meeting's (live), or a published one by ``meeting_id``."""
        wanted = query_param(request, "meeting_id")
        async with runtime.pool.acquire() as conn:
            if wanted:
                stored = await conn.fetchrow("SELECT agenda, published_on FROM agendas WHERE meeting_id = $1",
                                             wanted)
                if stored is None:
                    return json_response({"error": f"no agenda was published for {wanted!r}"}, 404)
                return json_response({**json.loads(stored["agenda"]), "published_on": stored["published_on"]})
            today = await conn.fetchval("SELECT today FROM clock")
            if today is None:
                return json_response({"error": "no clock tick has arrived yet: the service does not know the date"},
                                     409)
            cycle = next_meeting(today, settings)
            published = await conn.fetchval("SELECT published_on FROM agendas WHERE meeting_id = $1",
                                             cycle.meeting_id)
            items = await picture.agenda_items(conn)
        return json_response({"meeting_id": cycle.meeting_id, "meets_on": cycle.meeting_on,
                              "chair": settings.panel_chair, "as_of": today, "published_on": published,
                              "items": items})

    @get
    async def cycles(request: Request) -> AsgiResponse:
        """Every cycle the service has opened, latest first."""
        async with runtime.pool.acquire() as conn:
            rows = await conn.fetch(
                """SELECT cycle_id, opens_on, submission_deadline, closes_on, meeting_on, agenda_on, opened_on,
                          closed_on FROM cycles ORDER BY opens_on DESC""")
        return json_response({"cycles": [{**dict(r), "open": r["closed_on"] is None} for r in rows]})

    @get
    async def cycle_summary(request: Request) -> AsgiResponse:
        """The Board's picture of a cycle (default: the open one, provisional)."""
        wanted = query_param(request, "cycle_id")
        async with runtime.pool.acquire() as conn:
            if wanted is None:
                wanted = await conn.fetchval("SELECT cycle_id FROM clock")
                if wanted is None:
                    return json_response({"error": "no cycle has opened yet"}, 404)
            row = await conn.fetchrow("SELECT summary FROM cycles WHERE cycle_id = $1", wanted)
            if row is None:
                return json_response({"error": f"no cycle {wanted!r}"}, 404)
            if row["summary"] is not None:
                return json_response(json.loads(row["summary"]))
            return json_response(await picture.cycle_summary(conn, wanted, reference, final=False))

    return [("/status", status), ("/status/action", action_status), ("/agenda", agenda), ("/cycles", cycles),
            ("/cycle-summary", cycle_summary)]
