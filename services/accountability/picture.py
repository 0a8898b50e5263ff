"""What people read: an action's history, the Panel's agenda and the Board's picture of a cycle.

Read-only queries over the state ``engine`` keeps; the engine stores their results when it
publishes an agenda or closes a cycle, and the read API serves them live.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from typing import Any

import asyncpg

from shared.contracts import events as ev
from shared.reference import ReferenceData

from .rules import SEVERITY, SLIPPING, day

RUNG = {ev.LadderStep.LEADER_ASKED: 1, ev.LadderStep.PANEL_AGENDA: 2, ev.LadderStep.PEOPLE_BOARD: 3}
STATUSES = [s.value for s in ev.Status]


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _response_text(r: asyncpg.Record) -> str:
    if r["kind"] == "recovery_plan":
        by = f" (back on track by {day(r['recover_by'])})" if r["recover_by"] else ""
        return f"Recovery plan{by}: {r['text']}"
    return f"Explanation: {r['text']}"


async def history(conn: asyncpg.Connection, action_id: str, cycle_id: str | None = None) -> list[dict[str, Any]]:
    """Everything that happened to an action here, in the order it happened (one cycle's, if given)."""
    scope = "AND cycle_id = $2" if cycle_id else ""
    args = (action_id, cycle_id) if cycle_id else (action_id,)
    entries: list[tuple[int, dict[str, Any]]] = []
    for r in await conn.fetch(f"SELECT * FROM status_changes WHERE action_id = $1 {scope}", *args):
        entries.append((r["happened"], {
            "on": _iso(r["on_date"]), "what": "status", "status": r["status"], "previous": r["previous"],
            "reasons": json.loads(r["reasons"])}))
    for r in await conn.fetch(
            f"""SELECT ee.* FROM escalation_events ee JOIN escalations e USING (escalation_id)
                WHERE e.action_id = $1 {scope.replace('cycle_id', 'ee.cycle_id')}""", *args):
        entries.append((r["happened"], {
            "on": _iso(r["on_date"]), "what": f"escalation {r['kind']}", "escalation_id": r["escalation_id"],
            "step": r["step"], "previous_step": r["previous_step"], "respond_by": _iso(r["respond_by"])}))
    for r in await conn.fetch(f"SELECT * FROM responses WHERE action_id = $1 {scope}", *args):
        entries.append((r["happened"], {
            "on": _iso(r["received_on"]), "what": r["kind"].replace("_", " "), "from": r["from_person"],
            "text": r["text"], "recover_by": _iso(r["recover_by"])}))
    for r in await conn.fetch(f"SELECT * FROM decisions WHERE action_id = $1 {scope}", *args):
        entries.append((r["happened"], {
            "on": _iso(r["recorded_on"]), "what": "panel decision", "decision_id": r["decision_id"],
            "meeting_id": r["meeting_id"], "kind": r["kind"], "note": r["note"], "due_date": _iso(r["due_date"])}))
    return [entry for _, entry in sorted(entries, key=lambda e: e[0])]


async def agenda_items(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    """The actions on the Panel's agenda (escalated to the Panel or the Board), worst first.

    Worst means, in this order: higher on the ladder; worse status; more reasons off track;
    more cycles slipping in a row; escalated longest ago. Ties go by action id.
    """
    rows = await conn.fetch(
        """SELECT e.escalation_id, e.step, e.opened_on, e.step_on, e.respond_by, a.action_id, a.system,
                  a.action_point, a.title, a.status, a.reasons, a.signature, a.accountable_leader
           FROM escalations e JOIN actions a USING (action_id)
           WHERE e.resolved_on IS NULL AND e.step IN ('panel_agenda', 'people_board')""")
    ranked = []
    for r in rows:
        reasons = json.loads(r["reasons"])
        latest = await conn.fetchrow(
            "SELECT * FROM responses WHERE action_id = $1 AND coalesce(received_on, $2) >= $2"
            " ORDER BY happened DESC LIMIT 1", r["action_id"], r["opened_on"])
        slip_run = max((int(key) for rule, _, key in json.loads(r["signature"]) if rule == "repeated_slip"),
                       default=1)
        order = (-RUNG[ev.LadderStep(r["step"])], -SEVERITY[ev.Status(r["status"])],
                 -sum(x["status"] == ev.Status.OFF_TRACK for x in reasons), -slip_run, r["opened_on"], r["action_id"])
        ranked.append((order, {
            "action_id": r["action_id"], "system": r["system"], "action_point": r["action_point"],
            "title": r["title"], "status": r["status"], "reasons": reasons, "step": r["step"],
            "escalation_id": r["escalation_id"], "escalated_on": _iso(r["opened_on"]),
            "on_this_step_since": _iso(r["step_on"]), "respond_by": _iso(r["respond_by"]),
            "accountable_leader": r["accountable_leader"],
            "leader_response": _response_text(latest) if latest else None,
            "history": await history(conn, r["action_id"]),
        }))
    ranked.sort(key=lambda pair: pair[0])
    return [item | {"rank": rank} for rank, (_, item) in enumerate(ranked, 1)]


def agenda_item(item: dict[str, Any]) -> ev.AgendaItem:
    return ev.AgendaItem(action_id=item["action_id"], system=item["system"], title=item["title"],
                         status=item["status"], reasons=[ev.Reason(**r) for r in item["reasons"]],
                         leader_response=item["leader_response"])


def status_counts(statuses: list[str]) -> dict[str, int]:
    """How many of each status, every status named (zero included)."""
    found = Counter(statuses)
    return {s: found.get(s, 0) for s in STATUSES}


async def cycle_summary(conn: asyncpg.Connection, cycle_id: str, reference: ReferenceData, *,
                        final: bool) -> dict[str, Any]:
    """The Board's picture of a cycle: per system and per action point, what is on track, what
    slipped, what was done about it, and what worked and deserves to be shared."""
    cycle = await conn.fetchrow("SELECT * FROM cycles WHERE cycle_id = $1", cycle_id)
    rows = await conn.fetch(
        """SELECT ac.action_id, ac.worst_status, coalesce(ac.final_status, a.status) AS status, a.system,
                  a.action_point, a.title, a.reasons, a.snapshot->'narrative'->>'working' AS working
           FROM action_cycles ac JOIN actions a USING (action_id)
           WHERE ac.cycle_id = $1 ORDER BY ac.action_id""", cycle_id)
    completed = {r["action_id"] for r in await conn.fetch(
        "SELECT DISTINCT action_id FROM status_changes WHERE cycle_id = $1 AND status = 'completed'", cycle_id)}
    resolved = {r["action_id"] for r in await conn.fetch(
        """SELECT DISTINCT e.action_id FROM escalation_events ee JOIN escalations e USING (escalation_id)
           WHERE ee.cycle_id = $1 AND ee.kind = 'resolved'""", cycle_id)}

    actions: dict[str, dict[str, Any]] = {}
    for r in rows:
        slipped = r["worst_status"] in SLIPPING
        done = [h for h in await history(conn, r["action_id"], cycle_id) if h["what"] != "status"]
        why = []
        if r["action_id"] in completed:
            why.append("completed this cycle")
        if r["action_id"] in resolved and r["status"] in (ev.Status.ON_TRACK, ev.Status.COMPLETED):
            why.append("recovered: back on track after slipping")
        if not slipped and r["status"] == ev.Status.ON_TRACK and r["working"]:
            why.append("on track all cycle")
        actions[r["action_id"]] = {
            "action_id": r["action_id"], "system": r["system"], "action_point": r["action_point"],
            "title": r["title"], "status": r["status"], "worst_status": r["worst_status"], "slipped": slipped,
            "reasons": json.loads(r["reasons"]) if r["status"] in SLIPPING else [],
            "done_about_it": done, "worked": why, "what_is_working": r["working"] or "",
        }

    def group(field: str, names: dict[str, str]) -> list[dict[str, Any]]:
        ids = sorted(set(names) | {a[field] for a in actions.values()})
        out = []
        for gid in ids:
            members = [a for a in actions.values() if a[field] == gid]
            out.append({
                "id": gid, "name": names.get(gid, gid), "actions": len(members),
                "status": status_counts([a["status"] for a in members]),
                "slipped": [a["action_id"] for a in members if a["slipped"]],
                "actions_taken": sum(len(a["done_about_it"]) for a in members),
                "worked": [a["action_id"] for a in members if a["worked"]],
            })
        return out

    return {
        "cycle_id": cycle_id, "opens_on": _iso(cycle["opens_on"]),
        "submission_deadline": _iso(cycle["submission_deadline"]), "closes_on": _iso(cycle["closes_on"]),
        "final": final, "as_of": _iso(await conn.fetchval("SELECT today FROM clock")),
        "totals": {"actions": len(actions), **status_counts([a["status"] for a in actions.values()]),
                   "slipped": sum(a["slipped"] for a in actions.values()),
                   "worked": sum(bool(a["worked"]) for a in actions.values())},
        "by_system": group("system", {k: v.name for k, v in reference.systems.items()}),
        "by_action_point": group("action_point", {k: v.name for k, v in reference.action_points.items()}),
        "slipped": [a for a in actions.values() if a["slipped"]],
        "worked": [{k: a[k] for k in ("action_id", "system", "action_point", "title", "worked", "what_is_working")}
                   for a in actions.values() if a["worked"]],
    }
