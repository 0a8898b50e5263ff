"""Every plan an action has had, and the Panel's decisions on re-baseline requests (all the SQL
of ``baselines``)."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from shared.contracts import events as ev

from ..baselines import Plan
from ..domain import Clock


async def baseline(conn: asyncpg.Connection, action_id: str) -> Plan | None:
    found = await conn.fetchval("SELECT plan FROM plans WHERE action_id = $1 AND n = 1", action_id)
    return Plan.from_json(json.loads(found)) if found is not None else None




async def pending(conn: asyncpg.Connection, action_id: str) -> int | None:
    """The request awaiting the Panel's decision, if any (its number)."""
    found: int | None = await conn.fetchval(
        "SELECT n FROM plans WHERE action_id = $1 AND state = 'pending'", action_id)
    return found


async def decide(conn: asyncpg.Connection, d: ev.PanelDecision, role: str, clock: Clock) -> bool:
    """The Panel's decision on the pending request; False when there is none."""
    state = "approved" if d.kind == "rebaseline_approved" else "refused"
    done = await conn.fetchval(
        """UPDATE plans SET state = $2, decision_id = $3, decided_on = $4, decided_by = $5, decided_role = $6
           WHERE action_id = $1 AND state = 'pending' RETURNING true""",
        d.action_id, state, d.decision_id, clock.today, d.acting_person, role)
    return bool(done)


async def history(conn: asyncpg.Connection, action_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each action's plans, first to last, as the API and the report show them."""
    found: dict[str, list[dict[str, Any]]] = {a: [] for a in action_ids}
    for r in await conn.fetch("SELECT * FROM plans WHERE action_id = ANY($1::text[]) ORDER BY action_id, n",
                              action_ids):
        found[r["action_id"]].append({
            "n": r["n"], "kind": r["kind"], "state": r["state"], "plan": json.loads(r["plan"]),
            "reason": r["reason"], "posted_on": _iso(r["posted_on"]), "decision_id": r["decision_id"],
            "decided_on": _iso(r["decided_on"]), "decided_by": r["decided_by"], "decided_role": r["decided_role"]})
    return found


def _iso(d: Any) -> str | None:
    return d.isoformat() if d is not None else None
