"""``GET /board-report?cycle_id=``: the service serves the report as an HTML page, read from
its own database (what ``fetch`` would get from its read API), to the Board's credential (the
portal's, acting for a Board member, or a Board tool's)."""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
from faststream import Context
from faststream.asgi import AsgiResponse, Request

from shared.access import ApiRole, guarded
from shared.db import Database
from shared.disclosure import DEFAULT_THRESHOLD
from shared.http import json_response, query_param
from shared.reference import ReferenceData

from ..evidence import published_measure
from ..persistence import reading
from ..settings import AccountabilitySettings
from .data import TREND_CYCLES, ReportError, build_report_data
from .render import render_html


async def load(conn: asyncpg.Connection, reference: ReferenceData, *,
               cycle_id: str | None = None,
               small_numbers: int = DEFAULT_THRESHOLD) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The summaries of the given (default: latest) cycle and the ones before it, latest first
    (a closed cycle's as stored when it closed, the open one's as it stands), and every action's status."""
    known = [c["cycle_id"] for c in await reading.all_cycles(conn)]
    if cycle_id is not None and cycle_id not in known:
        raise ReportError(f"no cycle {cycle_id!r}; the cycles are {', '.join(known) or 'none yet'}")
    stored = await reading.stored_summaries(conn, cycle_id, TREND_CYCLES)
    summaries = [summary if summary is not None
                 else await reading.cycle_summary(conn, cid, reference, final=False) for cid, summary in stored]
    today = await reading.today(conn)
    # the same rows as the read API's /status, which the command-line report reads
    measures = [published_measure(r, reference, small_numbers) for r in await reading.measures(conn, None)]
    return summaries, {"as_of": today.isoformat() if today else None,
                       "actions": await reading.statuses(conn, None, None, None), "measures": measures}


async def board_report(request: Request, database: Annotated[Database, Context()],
                       reference: Annotated[ReferenceData, Context()],
                       settings: Annotated[AccountabilitySettings, Context()]) -> AsgiResponse:
    """The People Board's report for a cycle (default: the latest), as one self-contained HTML page."""
    wanted = query_param(request, "cycle_id")
    try:
        async with database.pool.acquire() as conn:
            summaries, status = await load(conn, reference, cycle_id=wanted,
                                           small_numbers=settings.small_number_threshold)
        data = build_report_data(summaries, status, cycle_id=wanted, reference=reference)
    except ReportError as e:
        return json_response({"error": str(e)}, 404)
    return AsgiResponse(render_html(data).encode(), 200, headers={"content-type": "text/html; charset=utf-8"})


def routes() -> list[tuple[str, Any]]:
    """New route objects for each app: FastStream binds a route to the app it is added to."""
    return [("/board-report", guarded(board_report, ApiRole.BOARD))]
