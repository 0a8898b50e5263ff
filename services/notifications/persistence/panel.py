"""What the Panel's decisions need: the actions escalated, the agenda as it arrived in parts, who
raised a concern, and who a notice went to."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import asyncpg

# ---- what the Panel's decisions need -------------------------------------------------------------


async def remember_action(conn: asyncpg.Connection, action_id: str, system: str, title: str,
                          leader: str | None) -> None:
    """An action as its latest escalation names it: enough to address a Panel decision about it."""
    await conn.execute(
        """INSERT INTO actions (action_id, system, title, accountable_leader) VALUES ($1, $2, $3, $4)
           ON CONFLICT (action_id) DO UPDATE SET system = EXCLUDED.system, title = EXCLUDED.title,
               accountable_leader = COALESCE(EXCLUDED.accountable_leader, actions.accountable_leader)""",
        action_id, system, title, leader)


async def known_action(conn: asyncpg.Connection, action_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM actions WHERE action_id = $1", action_id)


async def on_published_agenda(conn: asyncpg.Connection, meeting_id: str, action_id: str) -> bool:
    """Whether the action is an item of the meeting's agenda, as this service was told it (in its
    parts; or, told before the agenda came in parts, in the chair's notice)."""
    return bool(await conn.fetchval(
        """SELECT true FROM agenda_parts WHERE meeting_id = $1 AND items @> jsonb_build_array(jsonb_build_object(
               'action_id', $2::text))
           UNION ALL SELECT true FROM notice_items WHERE about = $1 AND step = 'agenda'
               AND content->'items' @> jsonb_build_array(jsonb_build_object('action_id', $2::text)) LIMIT 1""",
        meeting_id, action_id))


async def add_agenda_part(conn: asyncpg.Connection, meeting_id: str, part: int, parts: int,
                          items: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """Keep one part of a meeting's agenda; the whole agenda's items in order once every part is in
    (None until then, and for a part told twice)."""
    added = await conn.execute(
        """INSERT INTO agenda_parts (meeting_id, part, parts, items) VALUES ($1, $2, $3, $4::jsonb)
           ON CONFLICT DO NOTHING""", meeting_id, part, parts, json.dumps(items))
    rows = await conn.fetch("SELECT items FROM agenda_parts WHERE meeting_id = $1 AND parts = $2 ORDER BY part",
                            meeting_id, parts)
    if added.endswith(" 0") or len(rows) < parts:
        return None
    return [item for r in rows for item in json.loads(r["items"])]


async def remember_concern(conn: asyncpg.Connection, action_id: str, person_id: str, at: datetime) -> None:
    """A staff network lead raised a concern about the action: they hear the Panel's decisions on it."""
    await conn.execute(
        "INSERT INTO concerns_raised (action_id, person_id, raised_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        action_id, person_id, at)


async def concerns_raised_by(conn: asyncpg.Connection, action_id: str) -> list[str]:
    rows = await conn.fetch("SELECT person_id FROM concerns_raised WHERE action_id = $1 ORDER BY raised_at, person_id",
                            action_id)
    return [r["person_id"] for r in rows]


async def recipient_of(conn: asyncpg.Connection, notice_id: str) -> str | None:
    """Who a notice was sent to; None: no such notice."""
    return await conn.fetchval("SELECT recipient FROM notices WHERE notice_id = $1", notice_id)  # type: ignore[no-any-return]
