"""People acting on actions, in the caller's transaction: who is who (from the directory), what a
right is checked against, every act once accepted, and every act refused (security events)."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any

import asyncpg

from shared.contracts import events as ev
from shared.contracts.vocabulary import LadderStep

from .. import cover, rights, verification
from ..domain import Clock

# ---- who is who -------------------------------------------------------------------------------


async def save_person(conn: asyncpg.Connection, person: rights.Person, updated_at: datetime) -> None:
    """Newest wins, so a late redelivery of an older directory entry does not undo a newer one."""
    await conn.execute(
        """INSERT INTO people (person_id, roles, systems, delegate_for, updated_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (person_id) DO UPDATE SET roles = EXCLUDED.roles, systems = EXCLUDED.systems,
               delegate_for = EXCLUDED.delegate_for, updated_at = EXCLUDED.updated_at
           WHERE people.updated_at <= EXCLUDED.updated_at""",
        person.person_id, sorted(person.roles), sorted(person.systems), sorted(person.delegate_for), updated_at)


async def person(conn: asyncpg.Connection, person_id: str | None) -> rights.Person | None:
    if person_id is None:
        return None
    row = await conn.fetchrow("SELECT * FROM people WHERE person_id = $1", person_id)
    if row is None:
        return None
    return rights.Person(row["person_id"], frozenset(row["roles"]), frozenset(row["systems"]),
                         frozenset(row["delegate_for"]))


# ---- what a right is checked against ------------------------------------------------------------

async def action_for_rights(conn: asyncpg.Connection, action_id: str, today: date | None) -> rights.Action | None:
    """The action (its row locked), the rung of its open escalation and who covers for its leader
    today; None: not known here."""
    row = await conn.fetchrow(
        """SELECT a.action_id, a.system, a.accountable_leader, e.step FROM actions a
           LEFT JOIN escalations e ON e.action_id = a.action_id AND e.resolved_on IS NULL
           WHERE a.action_id = $1 FOR UPDATE OF a""", action_id)
    if row is None:
        return None
    covered_by = cover.covering(await covers_for(conn, row["accountable_leader"]), row["accountable_leader"],
                                action_id, today)
    return rights.Action(row["action_id"], row["system"], row["accountable_leader"],
                         LadderStep(row["step"]) if row["step"] else None, frozenset(covered_by))


async def covers_for(conn: asyncpg.Connection, leader: str) -> list[cover.CoverPeriod]:
    rows = await conn.fetch("SELECT cover, leader, action_id, starts_on, ends_on FROM covers WHERE leader = $1",
                            leader)
    return [cover.CoverPeriod(**dict(r)) for r in rows]


async def add_cover(conn: asyncpg.Connection, event_id: uuid.UUID, c: ev.Cover, clock: Clock) -> bool:
    """False when it was already recorded."""
    added = await conn.fetchval(
        """INSERT INTO covers (cover_id, event_id, leader, cover, action_id, starts_on, ends_on, arranged_by,
                               arranged_role, arranged_on, cycle_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING RETURNING true""",
        c.cover_id, event_id, c.leader, c.cover, c.action_id, c.starts_on, c.ends_on, c.acting_person, c.acting_role,
        clock.today, clock.cycle_id)
    return bool(added)


async def panel_context(conn: asyncpg.Connection, decision: ev.PanelDecision) -> rights.PanelContext:
    """Whether the decision's item is on its meeting's published agenda, and the decisions in force on it."""
    on_agenda = await conn.fetchval(
        """SELECT true FROM agendas WHERE meeting_id = $1
               AND agenda->'items' @> jsonb_build_array(jsonb_build_object('action_id', $2::text))""",
        decision.meeting_id, decision.action_id)
    rows = await conn.fetch(
        """SELECT decision_id, kind FROM decisions WHERE meeting_id = $1 AND action_id = $2 AND replaced_by IS NULL
           ORDER BY happened""", decision.meeting_id, decision.action_id)
    pending = await conn.fetchval("SELECT true FROM plans WHERE action_id = $1 AND state = 'pending'",
                                  decision.action_id)
    snapshot = await conn.fetchval("SELECT snapshot FROM actions WHERE action_id = $1", decision.action_id)
    reported = ev.ActionSnapshot.model_validate_json(snapshot).milestones if snapshot is not None else []
    milestones = {m.milestone_id: str(m.state) for m in reported}
    checked = (await verifications(conn, [decision.action_id]))[decision.action_id]
    return rights.PanelContext(bool(on_agenda), [(r["decision_id"], r["kind"]) for r in rows], bool(pending),
                               milestones, verification.standings(checked))


async def verifications(conn: asyncpg.Connection, action_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each action's verification decisions, earliest first (one query)."""
    found: dict[str, list[dict[str, Any]]] = {a: [] for a in action_ids}
    for r in await conn.fetch(
            """SELECT action_id, kind, milestone_id, acting_person, acting_role, recorded_on, evidence_links, note,
                      verified_status FROM decisions WHERE action_id = ANY($1::text[]) AND kind = ANY($2::text[])
               ORDER BY happened""", action_ids, list(verification.VERIFICATION_KINDS)):
        found[r["action_id"]].append({**dict(r), "recorded_on": r["recorded_on"].isoformat() if r["recorded_on"]
                                      else None, "evidence_links": json.loads(r["evidence_links"])})
    return found


# ---- acts, once accepted --------------------------------------------------------------------------

async def add_response(conn: asyncpg.Connection, event_id: uuid.UUID, kind: str, action_id: str, person_id: str,
                       role: str, text: str, recover_by: date | None, steps: list[ev.RecoveryStep] | None,
                       clock: Clock) -> None:
    """An explanation or a recovery plan (with its dated steps, when it has them); from someone
    covering, it says for whom (the action's leader)."""
    await conn.execute(
        """INSERT INTO responses (event_id, action_id, kind, from_person, acting_role, text, recover_by, steps,
                                  received_on, cycle_id, acting_for)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                   CASE WHEN $5 = 'cover' THEN (SELECT accountable_leader FROM actions WHERE action_id = $2) END)""",
        event_id, action_id, kind, person_id, role, text, recover_by,
        json.dumps([s.model_dump(mode="json") for s in steps]) if steps is not None else None,
        clock.today, clock.cycle_id)


async def add_request(conn: asyncpg.Connection, event_id: uuid.UUID, data: ev.ExtensionRequest | ev.FlagContest,
                      role: str, clock: Clock) -> None:
    """A request for more time, or a contest of the flag."""
    extension = isinstance(data, ev.ExtensionRequest)
    await conn.execute(
        """INSERT INTO requests (event_id, action_id, kind, from_person, acting_role, reason, new_due_date,
                                 contested_status, received_on, cycle_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
        event_id, data.action_id, "extension_request" if extension else "flag_contest", data.acting_person, role,
        data.reason, data.new_due_date if isinstance(data, ev.ExtensionRequest) else None,
        data.contested_status if isinstance(data, ev.FlagContest) else None, clock.today, clock.cycle_id)


async def add_concern(conn: asyncpg.Connection, event_id: uuid.UUID, c: ev.StaffNetworkConcern, role: str,
                      clock: Clock) -> None:
    await conn.execute(
        """INSERT INTO concerns (event_id, action_id, kind, text, from_person, acting_role, raised_on, cycle_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        event_id, c.action_id, c.kind, c.text, c.acting_person, role, clock.today, clock.cycle_id)


async def add_decision(conn: asyncpg.Connection, event_id: uuid.UUID, d: ev.PanelDecision, role: str | None,
                       clock: Clock) -> bool:
    """False when the decision was already recorded; the decision it replaces stops counting."""
    added = await conn.fetchval(
        """INSERT INTO decisions (decision_id, event_id, meeting_id, action_id, kind, note, due_date,
                                  recorded_on, cycle_id, acting_person, acting_role, replaces, milestone_id,
                                  evidence_links, verified_status)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                   (SELECT status FROM actions WHERE action_id = $4))
           ON CONFLICT (decision_id) DO NOTHING RETURNING decision_id""",
        d.decision_id, event_id, d.meeting_id, d.action_id, d.kind, d.note, d.due_date, clock.today, clock.cycle_id,
        d.acting_person, role, d.replaces, d.milestone_id, json.dumps([str(u) for u in d.evidence_links]))
    if added is not None and d.replaces is not None:
        await conn.execute("UPDATE decisions SET replaced_by = $2 WHERE decision_id = $1", d.replaces, d.decision_id)
    return added is not None


async def add_consequence(conn: asyncpg.Connection, event_id: uuid.UUID, c: ev.BoardConsequence, role: str,
                          clock: Clock) -> bool:
    """False when the consequence was already recorded."""
    added = await conn.fetchval(
        """INSERT INTO consequences (consequence_id, event_id, action_id, consequence, owner, follow_up_by,
                                     acting_person, acting_role, agreed_on, cycle_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT (consequence_id) DO NOTHING RETURNING true""",
        c.consequence_id, event_id, c.action_id, c.consequence, c.owner, c.follow_up_by, c.acting_person, role,
        clock.today, clock.cycle_id)
    return bool(added)


# ---- acts refused -------------------------------------------------------------------------------

async def add_security_event(conn: asyncpg.Connection, event_id: uuid.UUID, event_type: str, act: rights.Act,
                             refusal: rights.Refusal, clock: Clock) -> None:
    await conn.execute(
        """INSERT INTO security_events (event_id, type, action_id, acting_person, acting_role, code, reason,
                                        on_date, cycle_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING""",
        event_id, event_type, act.action_id, act.acting_person, act.acting_role, refusal.code, refusal.reason,
        clock.today, clock.cycle_id)
