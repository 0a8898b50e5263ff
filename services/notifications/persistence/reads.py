"""The read side: what ops see of notices and their delivery log."""

from __future__ import annotations

from typing import Any

import asyncpg


async def find_notices(conn: asyncpg.Connection, *, about: str | None = None, recipient: str | None = None,
                       status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """
        SELECT notice_id, kind, about, recipient, channel, group_key, status, attempts, last_error, issued_at,
               sent_at, needs_ack, acknowledged_at, unack_reported_at, reminds
        FROM notices
        WHERE ($1::text IS NULL OR about = $1) AND ($2::text IS NULL OR recipient = $2)
          AND ($3::text IS NULL OR status = $3)
        ORDER BY created_at, notice_id LIMIT $4
        """,
        about, recipient, status, limit,
    )
    return [dict(r) for r in rows]


async def delivery_log(conn: asyncpg.Connection, notice_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT attempt, channel, recipient, outcome, detail, at FROM delivery_log WHERE notice_id = $1 ORDER BY id",
        notice_id,
    )
    return [dict(r) for r in rows]
