"""Read API: ``GET /actions?system=&action_point=&status=`` and ``GET /action?id=``, for the Panel,
the Board, and each system for its own actions only (``shared/access.py``)."""

from __future__ import annotations

from typing import Annotated, Any

from faststream import Context
from faststream.asgi import AsgiResponse, Request

from shared.access import ApiRole, Principal, forbidden, guarded
from shared.db import Database
from shared.http import json_response, query_param

from . import persistence

LIFECYCLES = {"open", "completed", "withdrawn"}


READERS = (ApiRole.SYSTEM, ApiRole.PANEL, ApiRole.BOARD)


async def actions(request: Request, database: Annotated[Database, Context()],
                  principal: Annotated[Principal, Context()]) -> AsgiResponse:
    """Actions, filtered by system, action point and status (open, completed, withdrawn); a system
    sees its own, whether it names itself or not."""
    status = query_param(request, "status")
    if status is not None and status not in LIFECYCLES:
        return json_response({"error": f"status must be one of {sorted(LIFECYCLES)}"}, 400)
    system = query_param(request, "system") or principal.system
    if not principal.may_read_system(system):
        return forbidden("/actions", principal, "a system reads only its own actions")
    async with database.pool.acquire() as conn:
        found = await persistence.list_actions(conn, system, query_param(request, "action_point"), status)
    return json_response({"actions": found, "count": len(found)})


async def action(request: Request, database: Annotated[Database, Context()],
                 principal: Annotated[Principal, Context()]) -> AsgiResponse:
    """One action with its full history, accepted and refused."""
    action_id = query_param(request, "id")
    if not action_id:
        return json_response({"error": "give the action as ?id=..."}, 400)
    async with database.pool.acquire() as conn:
        found = await persistence.get_action(conn, action_id)
        if found is None:
            return json_response({"error": f"no action {action_id!r}"}, 404)
        if not principal.may_read_system(found.get("system")):
            return forbidden("/action", principal, "a system reads only its own actions")
        events = await persistence.history(conn, action_id)
    return json_response({"action": found, "history": events})


def routes() -> list[tuple[str, Any]]:
    """New route objects for each app: FastStream binds a route to the app it is added to."""
    return [("/actions", guarded(actions, *READERS, ids=("system",))),
            ("/action", guarded(action, *READERS, ids=("id",)))]
