"""Good practice, in the caller's transaction: nominations, the Panel's reviews, awards entries,
and the library (endorsed practice, searchable)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg

from shared.contracts import events as ev

from ..domain import Clock
from ..practice_rules import Nomination


async def nomination(conn: asyncpg.Connection, nomination_id: str) -> Nomination | None:
    """The nomination, its row locked (one review or award step at a time)."""
    row = await conn.fetchrow("SELECT nomination_id, action_id, status, award_status FROM good_practice "
                              "WHERE nomination_id = $1 FOR UPDATE", nomination_id)
    return None if row is None else Nomination(**dict(row))


async def add_nomination(conn: asyncpg.Connection, event_id: uuid.UUID, n: ev.GoodPracticeNomination, role: str,
                         clock: Clock) -> None:
    await conn.execute(
        """INSERT INTO good_practice (nomination_id, event_id, action_id, what_was_done, what_changed, evidence,
                                      evidence_links, nominated_by, nominated_role, nominated_on, cycle_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING""",
        n.nomination_id, event_id, n.action_id, n.what_was_done, n.what_changed, n.evidence,
        json.dumps([str(u) for u in n.evidence_links]), n.acting_person, role, clock.today, clock.cycle_id)


async def review(conn: asyncpg.Connection, r: ev.GoodPracticeReview, clock: Clock) -> None:
    await conn.execute(
        """UPDATE good_practice SET status = $2, reviewed_by = $3, review_note = $4, reviewed_on = $5
           WHERE nomination_id = $1""", r.nomination_id, r.decision, r.acting_person, r.note, clock.today)


async def award_step(conn: asyncpg.Connection, a: ev.AwardEntry, role: str, clock: Clock) -> None:
    step = {"status": a.status, "note": a.note, "by": a.acting_person, "role": role,
            "on": clock.today.isoformat() if clock.today else None}
    await conn.execute(
        """UPDATE good_practice SET award_scheme = $2, award_status = $3, award_history = award_history || $4::jsonb
           WHERE nomination_id = $1""", a.nomination_id, a.scheme, a.status, json.dumps([step]))


def _entry(r: asyncpg.Record) -> dict[str, Any]:
    out = dict(r)
    out["evidence_links"] = json.loads(out["evidence_links"])
    out["award_history"] = json.loads(out["award_history"])
    for k in ("nominated_on", "reviewed_on"):
        out[k] = out[k].isoformat() if out[k] else None
    out.pop("event_id", None)
    out.pop("happened", None)
    return out


async def practice(conn: asyncpg.Connection, *, status: str | None = "endorsed", search: str | None = None,
                   system: str | None = None, until: Any = None) -> list[dict[str, Any]]:
    """Nominations (by default the library: endorsed practice), newest endorsement first; ``search``
    matches any of the words about it, the action's title or its system; ``until``: reviewed by then."""
    rows = await conn.fetch(
        """SELECT g.*, a.title, a.system, a.action_point FROM good_practice g JOIN actions a USING (action_id)
           WHERE ($1::text IS NULL OR g.status = $1) AND ($3::text IS NULL OR a.system = $3)
             AND ($4::date IS NULL OR g.reviewed_on <= $4)
             AND ($2::text IS NULL OR concat_ws(' ', g.what_was_done, g.what_changed, g.evidence, a.title, a.system,
                                                g.review_note) ILIKE '%' || $2 || '%')
           ORDER BY g.reviewed_on DESC NULLS LAST, g.happened DESC""", status, search, system, until)
    return [_entry(r) for r in rows]
