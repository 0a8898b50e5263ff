"""The accountability service's queries."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import asyncpg

# ---- the Board's report


async def report_cycle_exists(conn: asyncpg.Connection, cycle_id: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM cycles WHERE cycle_id = $1", cycle_id))


async def report_cycle_ids(conn: asyncpg.Connection) -> list[str]:
    """Every cycle, latest first."""
    return [r["cycle_id"] for r in await conn.fetch("SELECT cycle_id FROM cycles ORDER BY opens_on DESC")]


async def report_stored_summaries(conn: asyncpg.Connection, cycle_id: str | None,
                                  limit: int) -> list[tuple[str, dict[str, Any] | None]]:
    """Up to ``limit`` cycles, latest first, from ``cycle_id`` back (default: the latest), each
    with the summary stored when it closed (None while it is open)."""
    rows = await conn.fetch(
        """SELECT cycle_id, summary FROM cycles
           WHERE $1::text IS NULL OR opens_on <= (SELECT opens_on FROM cycles WHERE cycle_id = $1)
           ORDER BY opens_on DESC LIMIT $2""", cycle_id, limit)
    return [(r["cycle_id"], json.loads(r["summary"]) if r["summary"] is not None else None) for r in rows]


async def report_action_statuses(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    """Every action's system, action point, title and status."""
    rows = await conn.fetch(
        "SELECT action_id, system, action_point, title, status FROM actions ORDER BY system, action_point, action_id")
    return [dict(r) for r in rows]


async def report_today(conn: asyncpg.Connection) -> date | None:
    """The service's clock."""
    today: date | None = await conn.fetchval("SELECT today FROM clock")
    return today
