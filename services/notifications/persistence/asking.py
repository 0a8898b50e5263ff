"""Who was asked about an action, and what a leader was already told: what decides whether an answer
stops the asking and whether a deadline reminder is news."""

from __future__ import annotations

from datetime import date

import asyncpg


async def on_the_panels_agenda(conn: asyncpg.Connection, leader: str, system: str) -> list[tuple[str, date | None]]:
    """The leader's actions of ``system`` whose latest escalation notice to them put them on the Panel's
    agenda (or beyond), each with the date the Panel needs their answer by."""
    rows = await conn.fetch(
        """SELECT * FROM (SELECT DISTINCT ON (content->>'action_id') content->>'title' AS title,
                                 content->>'step' AS step, (content->>'respond_by')::date AS respond_by
                          FROM notice_items WHERE recipient = $1 AND content->>'kind' = 'escalation'
                              AND content->>'role' = 'leader' AND content->>'system' = $2
                          ORDER BY content->>'action_id', added_at DESC) latest
           WHERE step IN ('panel_agenda', 'people_board') ORDER BY title""", leader, system)
    return [(r["title"], r["respond_by"]) for r in rows]


async def reminded_of_deadline(conn: asyncpg.Connection, about: str, recipient: str, step: str) -> bool:
    """Whether the person was already sent an earlier reminder of this cycle's deadline for this system."""
    return bool(await conn.fetchval(
        """SELECT true FROM notice_items i JOIN notices n USING (notice_id) WHERE i.about = $1
               AND i.recipient = $2 AND i.step <> $3 AND i.step LIKE 'deadline_reminder:%' AND n.status = 'sent'
           LIMIT 1""", about, recipient, step))


async def asked_about(conn: asyncpg.Connection, action_id: str) -> list[str]:
    """Who the action's escalation notices asked or told as its leader (the leader, or whoever covers)."""
    rows = await conn.fetch(
        """SELECT DISTINCT recipient FROM notice_items WHERE content->>'kind' = 'escalation'
               AND content->>'action_id' = $1 AND content->>'role' = 'leader'""", action_id)
    return [r["recipient"] for r in rows]
