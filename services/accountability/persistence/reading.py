"""What people read, from the tables: an action's history, the Panel's agenda (live), the
Board's picture of a cycle, every action's status and every cycle. A constant number of
queries each, however many actions there are; ``picture`` assembles what they return.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import asyncpg

from shared.contracts import events as ev
from shared.reference import ReferenceData

from .. import baselines, picture, verification
from . import acting, plans, practice


async def today(conn: asyncpg.Connection) -> date | None:
    found: date | None = await conn.fetchval("SELECT today FROM clock")
    return found


async def histories(conn: asyncpg.Connection, action_ids: list[str],
                    cycle_id: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Everything that happened to each action here, in the order it happened (one cycle's, if
    given): eight queries for any number of actions."""
    scope = "AND cycle_id = $2" if cycle_id else ""
    args = (action_ids, cycle_id) if cycle_id else (action_ids,)
    found: dict[str, list[tuple[int, dict[str, Any]]]] = {a: [] for a in action_ids}
    for r in await conn.fetch(f"SELECT * FROM status_changes WHERE action_id = ANY($1::text[]) {scope}", *args):
        found[r["action_id"]].append((r["happened"], {
            "on": picture.iso(r["on_date"]), "what": "status", "status": r["status"], "previous": r["previous"],
            "reasons": json.loads(r["reasons"])}))
    for r in await conn.fetch(
            f"""SELECT ee.*, e.action_id FROM escalation_events ee JOIN escalations e USING (escalation_id)
                WHERE e.action_id = ANY($1::text[]) {scope.replace('cycle_id', 'ee.cycle_id')}""", *args):
        found[r["action_id"]].append((r["happened"], {
            "on": picture.iso(r["on_date"]), "what": f"escalation {r['kind']}", "escalation_id": r["escalation_id"],
            "step": r["step"], "previous_step": r["previous_step"], "respond_by": picture.iso(r["respond_by"])}))
    for r in await conn.fetch(f"SELECT * FROM responses WHERE action_id = ANY($1::text[]) {scope}", *args):
        found[r["action_id"]].append((r["happened"], {
            "on": picture.iso(r["received_on"]), "what": r["kind"].replace("_", " "), "from": r["from_person"],
            "role": r["acting_role"], "text": r["text"], "recover_by": picture.iso(r["recover_by"]),
            **({"for": r["acting_for"]} if r["acting_for"] else {}),
            **({"steps": json.loads(r["steps"])} if r["steps"] else {})}))
    for r in await conn.fetch(
            f"""SELECT c.*, a.action_id AS covered FROM covers c JOIN actions a ON a.accountable_leader = c.leader
                       AND (c.action_id IS NULL OR c.action_id = a.action_id)
                WHERE a.action_id = ANY($1::text[]) {scope.replace('cycle_id', 'c.cycle_id')}""", *args):
        found[r["covered"]].append((r["happened"], {
            "on": picture.iso(r["arranged_on"]), "what": "cover arranged", "from": r["arranged_by"],
            "role": r["arranged_role"], "cover": r["cover"], "for": r["leader"],
            "starts_on": picture.iso(r["starts_on"]), "ends_on": picture.iso(r["ends_on"]),
            "scope": "this action" if r["action_id"] else "all their actions"}))
    for r in await conn.fetch(f"SELECT * FROM decisions WHERE action_id = ANY($1::text[]) {scope}", *args):
        found[r["action_id"]].append((r["happened"], {
            "on": picture.iso(r["recorded_on"]), "what": "panel decision", "decision_id": r["decision_id"],
            "meeting_id": r["meeting_id"], "kind": r["kind"], "note": r["note"],
            "due_date": picture.iso(r["due_date"]), "by": r["acting_person"], "role": r["acting_role"],
            "replaces": r["replaces"], "replaced_by": r["replaced_by"]}))
    for r in await conn.fetch(f"SELECT * FROM requests WHERE action_id = ANY($1::text[]) {scope}", *args):
        found[r["action_id"]].append((r["happened"], picture.request_entry(dict(r))))
    for r in await conn.fetch(f"SELECT * FROM concerns WHERE action_id = ANY($1::text[]) {scope}", *args):
        found[r["action_id"]].append((r["happened"], {
            "on": picture.iso(r["raised_on"]), "what": "staff network " + r["kind"], "from": r["from_person"],
            "role": r["acting_role"], "text": r["text"]}))
    for r in await conn.fetch(f"SELECT * FROM consequences WHERE action_id = ANY($1::text[]) {scope}", *args):
        found[r["action_id"]].append((r["happened"], {
            "on": picture.iso(r["agreed_on"]), "what": "board consequence", "consequence_id": r["consequence_id"],
            "consequence": r["consequence"], "owner": r["owner"], "follow_up_by": picture.iso(r["follow_up_by"]),
            "by": r["acting_person"], "role": r["acting_role"]}))
    return {a: [entry for _, entry in sorted(entries, key=lambda e: e[0])] for a, entries in found.items()}


async def history(conn: asyncpg.Connection, action_id: str) -> list[dict[str, Any]]:
    return (await histories(conn, [action_id]))[action_id]


async def agenda_items(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    """The Panel's agenda, live: each action escalated to the Panel or the Board with the leader's
    latest answer and the staff networks' concerns since its episode opened, and its history; and each
    action whose re-baseline request awaits the Panel's decision (ten queries in all), worst first."""
    rows = await conn.fetch(
        """SELECT e.escalation_id, e.step, e.opened_on, e.step_on, e.respond_by, a.action_id, a.system,
                  a.action_point, a.title, a.status, a.reasons, a.signature, a.accountable_leader, c.concerns,
                  r.kind AS response_kind, r.text AS response_text, r.recover_by AS response_recover_by
           FROM escalations e JOIN actions a USING (action_id)
           LEFT JOIN LATERAL (SELECT kind, text, recover_by FROM responses
                              WHERE action_id = a.action_id AND coalesce(received_on, e.opened_on) >= e.opened_on
                              ORDER BY happened DESC LIMIT 1) r ON true
           LEFT JOIN LATERAL (SELECT coalesce(jsonb_agg(jsonb_build_object('kind', kind, 'text', text)
                                                        ORDER BY happened), '[]') AS concerns FROM concerns
                              WHERE action_id = a.action_id AND coalesce(raised_on, e.opened_on) >= e.opened_on) c
                             ON true
           WHERE e.resolved_on IS NULL AND e.step IN ('panel_agenda', 'people_board')""")
    # and every action whose re-baseline request awaits the Panel, escalated or not
    asked = await conn.fetch(
        """SELECT p.action_id, p.plan, p.reason, p.posted_on, a.system, a.action_point, a.title, a.status, a.reasons,
                  a.signature, a.accountable_leader FROM plans p JOIN actions a USING (action_id)
           WHERE p.state = 'pending'""")
    requests = {r["action_id"]: picture.rebaseline_words(json.loads(r["plan"]), r["reason"], r["posted_on"])
                for r in asked}
    rows = [*rows, *(r for r in asked if r["action_id"] not in {e["action_id"] for e in rows})]
    items = [{**picture.not_escalated(), **dict(r), "reasons": json.loads(r["reasons"]),
              "signature": json.loads(r["signature"]), "rebaseline_request": requests.get(r["action_id"]),
              "concerns": json.loads(r.get("concerns") or "[]"),
              "latest_response": {"kind": r["response_kind"], "text": r["response_text"],
                                  "recover_by": r["response_recover_by"]} if r.get("response_kind") else None}
             for r in map(dict, rows)]
    return picture.agenda_items(items, await histories(conn, [r["action_id"] for r in rows]) if rows else {})


async def hindrances(conn: asyncpg.Connection, cycle_id: str) -> dict[str, list[dict[str, Any]]]:
    """What each action's updates in the cycle said was stopping progress or not working, in order."""
    found: dict[str, list[dict[str, Any]]] = {}
    for r in await conn.fetch(
            """SELECT action_id, told_on, stopping_progress, not_working FROM narratives
               WHERE cycle_id = $1 AND (stopping_progress <> '' OR not_working <> '') ORDER BY happened""", cycle_id):
        found.setdefault(r["action_id"], []).append({
            "on": picture.iso(r["told_on"]), "stopping_progress": r["stopping_progress"],
            "not_working": r["not_working"]})
    return found


async def cycle_summary(conn: asyncpg.Connection, cycle_id: str, reference: ReferenceData, *,
                        final: bool) -> dict[str, Any]:
    """The Board's picture of a cycle, from what the tables hold now (seventeen queries, however many actions)."""
    cycle = await conn.fetchrow("SELECT * FROM cycles WHERE cycle_id = $1", cycle_id)
    rows = await conn.fetch(
        """SELECT ac.action_id, ac.worst_status, coalesce(ac.final_status, a.status) AS status, a.system,
                  a.action_point, a.title, a.reasons, a.snapshot, a.snapshot->'narrative'->>'working' AS working
           FROM action_cycles ac JOIN actions a USING (action_id)
           WHERE ac.cycle_id = $1 ORDER BY ac.action_id""", cycle_id)
    when = await today(conn)
    kept = await plan_records(conn, {r["action_id"]: r["snapshot"] for r in rows}, when) if rows else {}
    checked = await acting.verifications(conn, [r["action_id"] for r in rows]) if rows else {}
    completed = await conn.fetch(
        "SELECT DISTINCT action_id FROM status_changes WHERE cycle_id = $1 AND status = 'completed'", cycle_id)
    resolved = await conn.fetch(
        """SELECT DISTINCT e.action_id FROM escalation_events ee JOIN escalations e USING (escalation_id)
           WHERE ee.cycle_id = $1 AND ee.kind = 'resolved'""", cycle_id)
    record = picture.CycleRecord(
        cycle_id=cycle_id, opens_on=cycle["opens_on"], submission_deadline=cycle["submission_deadline"],
        closes_on=cycle["closes_on"], as_of=when,
        actions=[{**dict(r), "reasons": json.loads(r["reasons"]), "plan": kept.get(r["action_id"]),
                  "who_says": verification.who_says(ev.ActionSnapshot.model_validate_json(r["snapshot"]), r["status"],
                                                    checked.get(r["action_id"], []))} for r in rows],
        completed={r["action_id"] for r in completed}, resolved={r["action_id"] for r in resolved},
        histories=await histories(conn, [r["action_id"] for r in rows], cycle_id) if rows else {},
        hindrances=await hindrances(conn, cycle_id))
    endorsed = await practice.practice(conn, until=min(record.as_of or cycle["closes_on"], cycle["closes_on"]))
    return {**picture.cycle_summary(record, reference, final=final),
            "good_practice": [g for g in endorsed if g["reviewed_on"] >= cycle["opens_on"].isoformat()]}


async def summary_of(conn: asyncpg.Connection, cycle_id: str, reference: ReferenceData) -> dict[str, Any] | None:
    """A cycle's picture: as stored when it closed, else live (provisional); None: no such cycle."""
    row = await conn.fetchrow("SELECT summary FROM cycles WHERE cycle_id = $1", cycle_id)
    if row is None:
        return None
    if row["summary"] is not None:
        stored: dict[str, Any] = json.loads(row["summary"])
        return stored
    return await cycle_summary(conn, cycle_id, reference, final=False)


async def stored_summaries(conn: asyncpg.Connection, cycle_id: str | None,
                           limit: int) -> list[tuple[str, dict[str, Any] | None]]:
    """Up to ``limit`` cycles, latest first, from ``cycle_id`` back (default: the latest), each
    with the summary stored when it closed (None while it is open)."""
    rows = await conn.fetch(
        """SELECT cycle_id, summary FROM cycles
           WHERE $1::text IS NULL OR opens_on <= (SELECT opens_on FROM cycles WHERE cycle_id = $1)
           ORDER BY opens_on DESC LIMIT $2""", cycle_id, limit)
    return [(r["cycle_id"], json.loads(r["summary"]) if r["summary"] is not None else None) for r in rows]


async def statuses(conn: asyncpg.Connection, system: str | None, action_point: str | None,
                   status: str | None) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT action_id, system, action_point, title, accountable_leader, status, status_since,
                  reasons, version FROM actions
           WHERE ($1::text IS NULL OR system = $1) AND ($2::text IS NULL OR action_point = $2)
             AND ($3::text IS NULL OR status = $3)
           ORDER BY system, action_point, action_id""", system, action_point, status)
    return [{**dict(r), "reasons": json.loads(r["reasons"])} for r in rows]


async def action_status(conn: asyncpg.Connection, action_id: str) -> dict[str, Any] | None:
    """One action: its status, reasons, open escalation and history; None: no such action."""
    row = await conn.fetchrow(
        """SELECT action_id, system, action_point, title, accountable_leader, lifecycle, status,
                  status_since, reasons, version, snapshot FROM actions WHERE action_id = $1""", action_id)
    if row is None:
        return None
    found = dict(row)
    snap = ev.ActionSnapshot.model_validate_json(found.pop("snapshot"))
    kept = await plan_records(conn, {action_id: snap.model_dump_json()}, await today(conn))
    checked = (await acting.verifications(conn, [action_id]))[action_id]
    escalation = await conn.fetchrow(
        """SELECT escalation_id, step, opened_on, step_on, respond_by, paused_until, hurry_by
           FROM escalations WHERE action_id = $1 AND resolved_on IS NULL""", action_id)
    return {**found, "reasons": json.loads(row["reasons"]), "escalation": dict(escalation) if escalation else None,
            "plan": kept[action_id], "who_says": verification.who_says(snap, row["status"], checked),
            "history": await history(conn, action_id)}


async def plan_records(conn: asyncpg.Connection, snapshots: dict[str, str],
                       when: date | None) -> dict[str, dict[str, Any] | None]:
    """Each action's baseline, plan in force, pending request and slip against both (one query),
    from its stored snapshot (JSON) and the clock's date."""
    found = await plans.history(conn, list(snapshots))
    return {a: baselines.record(ev.ActionSnapshot.model_validate_json(s), found[a], when)
            for a, s in snapshots.items()}


async def published_agenda(conn: asyncpg.Connection, meeting_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT agenda, published_on FROM agendas WHERE meeting_id = $1", meeting_id)
    return {**json.loads(row["agenda"]), "published_on": row["published_on"]} if row is not None else None


async def agenda_published_on(conn: asyncpg.Connection, meeting_id: str) -> date | None:
    published: date | None = await conn.fetchval("SELECT published_on FROM agendas WHERE meeting_id = $1",
                                                  meeting_id)
    return published


async def all_cycles(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    """Every cycle the service has opened, latest first."""
    rows = await conn.fetch(
        """SELECT cycle_id, opens_on, submission_deadline, closes_on, meeting_on, agenda_on, opened_on, closed_on
           FROM cycles ORDER BY opens_on DESC""")
    return [{**dict(r), "open": r["closed_on"] is None} for r in rows]


async def measures(conn: asyncpg.Connection, system: str | None) -> list[dict[str, Any]]:
    """Every action tied to a measure, with its readings as stored (counts and all: for the
    service's own use; what leaves it goes through ``evidence.published_measure``)."""
    rows = await conn.fetch(
        """SELECT action_id, system, action_point, title, status, snapshot->'measure' AS measure,
                  snapshot->'measure_values' AS readings FROM actions
           WHERE jsonb_typeof(snapshot->'measure') = 'object' AND ($1::text IS NULL OR system = $1)
           ORDER BY system, action_id""", system)
    return [{**dict(r), "measure": json.loads(r["measure"]), "readings": json.loads(r["readings"] or "[]")}
            for r in rows]
