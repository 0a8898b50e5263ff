"""The SQL of judging actions (``judging``), for one action or many at once: each read is one
statement over all the actions' ids, each write one ``unnest`` statement, whatever the number of
actions.

A read joins its table to ``unnest`` of the ids rather than testing ``= ANY($1)``: the planner then
looks each id up by the key, where with ``= ANY`` on a table it has no statistics of yet (a fresh
replay's) it may scan it, testing every row against every id. The actions' own rows, locked, are
found by their primary key either way.

Every function takes the caller's connection. The action ids of one call are distinct (a round of
``judging`` holds at most one event per action), so no statement here meets the same key twice.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from typing import Any

import asyncpg

from shared.contracts import events as ev
from shared.contracts.vocabulary import LadderStep, Status

from .. import ladder, rules
from ..baselines import Plan, PlanKind
from ..domain import Clock, Judged, StatusUpdate
from .state import SLIPPING, reasons_json

# ---- an update's snapshot, its words and its plan ------------------------------------------------


async def versions_for_update(conn: asyncpg.Connection, action_ids: list[str]) -> dict[str, int]:
    """Each stored snapshot's version, the actions' rows locked in id order."""
    rows = await conn.fetch("SELECT action_id, version FROM actions WHERE action_id = ANY($1::text[])"
                            " ORDER BY action_id FOR UPDATE", action_ids)
    return {r["action_id"]: r["version"] for r in rows}


async def save_snapshots(conn: asyncpg.Connection, snaps: Sequence[ev.ActionSnapshot]) -> None:
    await conn.execute(
        """INSERT INTO actions (action_id, system, action_point, title, accountable_leader, lifecycle,
                                version, snapshot)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                                $7::int[], $8::jsonb[])
           ON CONFLICT (action_id) DO UPDATE SET system = excluded.system, action_point = excluded.action_point,
               title = excluded.title, accountable_leader = excluded.accountable_leader,
               lifecycle = excluded.lifecycle, version = excluded.version, snapshot = excluded.snapshot""",
        [s.action_id for s in snaps], [s.system for s in snaps], [s.action_point for s in snaps],
        [s.title for s in snaps], [s.accountable_leader for s in snaps], [s.lifecycle for s in snaps],
        [s.version for s in snaps], [s.model_dump_json() for s in snaps])


async def keep_narratives(conn: asyncpg.Connection, snaps: Sequence[ev.ActionSnapshot], cycle_id: str | None,
                          today: date | None) -> None:
    """The updates' answers to the plan's three questions, kept when they say something new: a later
    update's words never replace what an earlier one said was stopping progress."""
    said = [s for s in snaps if s.narrative.working or s.narrative.stopping_progress or s.narrative.not_working]
    if not said:
        return
    await conn.execute(
        """INSERT INTO narratives (action_id, version, cycle_id, told_on, working, stopping_progress, not_working)
           SELECT u.action_id, u.version, $6::text, $7::date, u.working, u.stopping_progress, u.not_working
           FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY
                AS u(action_id, version, working, stopping_progress, not_working, n)
           WHERE NOT EXISTS (SELECT 1 FROM (SELECT * FROM narratives n WHERE n.action_id = u.action_id
                                            ORDER BY version DESC LIMIT 1) latest
                             WHERE (latest.working, latest.stopping_progress, latest.not_working)
                                   = (u.working, u.stopping_progress, u.not_working))
           ORDER BY u.n
           ON CONFLICT DO NOTHING""",
        [s.action_id for s in said], [s.version for s in said], [s.narrative.working for s in said],
        [s.narrative.stopping_progress for s in said], [s.narrative.not_working for s in said], cycle_id, today)


async def latest_plans(conn: asyncpg.Connection, action_ids: list[str]) -> dict[str, Plan]:
    """The last plan seen for each action that has one, whatever became of it."""
    rows = await conn.fetch("SELECT DISTINCT ON (action_id) action_id, plan FROM unnest($1::text[]) AS u(action_id)"
                            " JOIN plans USING (action_id) ORDER BY action_id, n DESC", action_ids)
    return {r["action_id"]: _plan(r["plan"]) for r in rows}


@lru_cache(maxsize=16_384)
def _plan(stored: str) -> Plan:
    """A plan from its stored JSON. Plans seldom change, so the same text comes back round after round
    (a tick's, then an update's, week after week): parsed once. A ``Plan`` is immutable, so sharing it
    is safe; the cache is bounded, so memory is too."""
    return Plan.from_json(json.loads(stored))


async def plans_in_force(conn: asyncpg.Connection, action_ids: list[str]) -> dict[str, Plan]:
    """The plan each action is judged on: its latest approved request, else its baseline."""
    rows = await conn.fetch(
        """SELECT DISTINCT ON (action_id) action_id, plan FROM unnest($1::text[]) AS u(action_id)
           JOIN plans USING (action_id) WHERE state IN ('in_force', 'approved') ORDER BY action_id, n DESC""",
        action_ids)
    return {r["action_id"]: _plan(r["plan"]) for r in rows}


async def add_plans(conn: asyncpg.Connection, new: Sequence[tuple[ev.ActionSnapshot, PlanKind, str | None]],
                    clock: Clock) -> None:
    """Baselines (in force at once) and re-baseline requests (pending; each replaces a request still pending)."""
    if not new:
        return
    requests = [s.action_id for s, kind, _ in new if kind == "request"]
    if requests:
        await conn.execute("UPDATE plans SET state = 'superseded' WHERE action_id = ANY($1::text[])"
                           " AND state = 'pending'", requests)
    await conn.execute(
        """INSERT INTO plans (action_id, n, kind, plan, reason, version, posted_on, state, cycle_id)
           SELECT u.action_id, coalesce((SELECT max(n) FROM plans p WHERE p.action_id = u.action_id), 0) + 1,
                  u.kind, u.plan, u.reason, u.version, $6::date,
                  CASE WHEN u.kind = 'baseline' THEN 'in_force' ELSE 'pending' END, $7::text
           FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::text[], $5::int[]) WITH ORDINALITY
                AS u(action_id, kind, plan, reason, version, n)
           ORDER BY u.n""",
        [s.action_id for s, _, _ in new], [kind for _, kind, _ in new],
        [json.dumps(Plan.of(s).as_json()) for s, _, _ in new], [reason for _, _, reason in new],
        [s.version for s, _, _ in new], clock.today, clock.cycle_id)


# ---- what the rules judge on --------------------------------------------------------------------


async def judged_for_update(conn: asyncpg.Connection, action_ids: list[str],
                            saved: dict[str, ev.ActionSnapshot]) -> dict[str, Judged]:
    """Each action as stored (its snapshot and last verdict), the rows locked in id order. The snapshots
    are not read back when the caller has just saved them all (``saved``: a round of updates)."""
    snapshot = "" if saved.keys() >= set(action_ids) else ", snapshot"
    rows = await conn.fetch(
        f"""SELECT action_id, status, status_seq, status_since, signature, judged_on{snapshot}
            FROM actions WHERE action_id = ANY($1::text[]) ORDER BY action_id FOR UPDATE""", action_ids)
    return {r["action_id"]: Judged(
        snapshot=saved.get(r["action_id"]) or ev.ActionSnapshot.model_validate_json(r["snapshot"]),
        status=Status(r["status"]) if r["status"] is not None else None, seq=r["status_seq"],
        since=r["status_since"], signature=json.loads(r["signature"]), judged_on=r["judged_on"]) for r in rows}


async def facts(conn: asyncpg.Connection, snaps: dict[str, ev.ActionSnapshot], today: date | None,
                tolerances: rules.Tolerances) -> dict[str, rules.Facts]:
    """Everything the rules judge each action on, besides its snapshot, in five reads for all of them."""
    # The cycle whose submission deadline passed last (else the current one): an action that
    # missed last cycle's deadline stays missing its update until one arrives.
    ids = list(snaps)
    row = await conn.fetchrow(
        """SELECT cycle_id, opens_on, submission_deadline FROM cycles WHERE opens_on <= $1
           ORDER BY submission_deadline < $1 DESC, opens_on DESC LIMIT 1""", today)
    cycle = rules.CycleFacts(row["cycle_id"], row["opens_on"], row["submission_deadline"]) if row else None
    decisions = _by_action(await conn.fetch(
        "SELECT action_id, decision_id, meeting_id, kind, due_date, recorded_on FROM unnest($1::text[]) AS u(action_id)"
        " JOIN decisions USING (action_id) WHERE replaced_by IS NULL ORDER BY action_id, decision_id", ids))
    consequences = _by_action(await conn.fetch(
        "SELECT action_id, consequence_id, follow_up_by, agreed_on FROM unnest($1::text[]) AS u(action_id)"
        " JOIN consequences USING (action_id) ORDER BY action_id, consequence_id", ids))
    responses = _by_action(await conn.fetch(
        "SELECT action_id, kind, received_on FROM unnest($1::text[]) AS u(action_id) JOIN responses USING (action_id)"
        " ORDER BY action_id, happened", ids))
    # The closed cycles, latest first, and which of them each action slipped in.
    closed = [r["cycle_id"] for r in await conn.fetch(
        "SELECT cycle_id FROM cycles WHERE closed_on IS NOT NULL ORDER BY opens_on DESC LIMIT 24")]
    slipped = {(r["action_id"], r["cycle_id"]) for r in await conn.fetch(
        "SELECT action_id, cycle_id FROM unnest($1::text[]) AS u(action_id) JOIN action_cycles USING (action_id)"
        " WHERE cycle_id = ANY($2::text[]) AND worst_status = ANY($3::text[])", ids, closed, SLIPPING)
               } if closed else set()
    return {a: rules.Facts(
        action=snap, today=today, cycle=cycle,
        decisions=tuple(rules.DecisionFacts(**d) for d in decisions.get(a, [])),
        responses=tuple(rules.ResponseFacts(**r) for r in responses.get(a, [])),
        consequences=tuple(rules.ConsequenceFacts(**c) for c in consequences.get(a, [])),
        previous_cycles=tuple((c, (a, c) in slipped) for c in closed),
        tolerances=tolerances) for a, snap in snaps.items()}


def _by_action(rows: list[asyncpg.Record]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        row = dict(r)
        found.setdefault(row.pop("action_id"), []).append(row)
    return found


async def worst_statuses(conn: asyncpg.Connection, action_ids: list[str], cycle_id: str) -> dict[str, str]:
    rows = await conn.fetch("SELECT action_id, worst_status FROM unnest($1::text[]) AS u(action_id)"
                            " JOIN action_cycles USING (action_id) WHERE cycle_id = $2", action_ids, cycle_id)
    return {r["action_id"]: r["worst_status"] for r in rows}


async def open_escalations(conn: asyncpg.Connection, action_ids: list[str]) -> dict[str, ladder.Escalation]:
    """Each action's open escalation, locked in action id order."""
    rows = await conn.fetch("SELECT e.* FROM unnest($1::text[]) AS u(action_id) JOIN escalations e USING (action_id)"
                            " WHERE resolved_on IS NULL ORDER BY action_id FOR UPDATE OF e", action_ids)
    return {r["action_id"]: ladder.Escalation(
        escalation_id=r["escalation_id"], action_id=r["action_id"], episode=r["episode"], step=LadderStep(r["step"]),
        step_on=r["step_on"], respond_by=r["respond_by"], paused_until=r["paused_until"], hurry_by=r["hurry_by"],
        best_percent=r["best_percent"], seq=r["seq"]) for r in rows}


# ---- the verdicts -------------------------------------------------------------------------------


async def save_verdicts(conn: asyncpg.Connection, verdicts: Sequence[tuple[str, StatusUpdate]],
                        today: date | None) -> None:
    """Each action's verdict, and the clock's date it was judged on."""
    if not verdicts:
        return
    await conn.execute(
        """UPDATE actions a SET status = u.status, reasons = u.reasons, signature = u.signature,
               status_seq = u.seq, status_since = u.since, judged_on = $7::date
           FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::jsonb[], $5::int[], $6::date[])
                AS u(action_id, status, reasons, signature, seq, since)
           WHERE a.action_id = u.action_id""",
        [a for a, _ in verdicts], [str(u.status) for _, u in verdicts], [reasons_json(u.reasons) for _, u in verdicts],
        [json.dumps(u.signature) for _, u in verdicts], [u.seq for _, u in verdicts], [u.since for _, u in verdicts],
        today)


async def add_status_changes(conn: asyncpg.Connection, changes: Sequence[tuple[ev.StatusChange, int, uuid.UUID]],
                             clock: Clock) -> None:
    """The status changes announced, in the given order (their ``happened`` follows it)."""
    if not changes:
        return
    await conn.execute(
        """INSERT INTO status_changes (action_id, seq, status, previous, reasons, on_date, cycle_id, event_id)
           SELECT u.action_id, u.seq, u.status, u.previous, u.reasons, $6::date, $7::text, u.event_id
           FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::jsonb[], $8::uuid[]) WITH ORDINALITY
                AS u(action_id, seq, status, previous, reasons, event_id, n)
           ORDER BY u.n""",
        [c.action_id for c, _, _ in changes], [seq for _, seq, _ in changes], [str(c.status) for c, _, _ in changes],
        [str(c.previous) if c.previous is not None else None for c, _, _ in changes],
        [reasons_json(c.reasons) for c, _, _ in changes], clock.today, clock.cycle_id,
        [event_id for _, _, event_id in changes])


async def set_worst_statuses(conn: asyncpg.Connection, worst: Sequence[tuple[str, Status]], cycle_id: str) -> None:
    """Each action's worst status of the cycle so far."""
    if not worst:
        return
    await conn.execute(
        """INSERT INTO action_cycles (action_id, cycle_id, worst_status)
           SELECT u.action_id, $2::text, u.status FROM unnest($1::text[], $3::text[]) AS u(action_id, status)
           ON CONFLICT (action_id, cycle_id) DO UPDATE SET worst_status = excluded.worst_status""",
        [a for a, _ in worst], cycle_id, [str(s) for _, s in worst])
