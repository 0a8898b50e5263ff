"""What people read: the Panel's agenda and the Board's picture of a cycle, assembled from
what the database holds (``persistence`` loads it; nothing here does I/O).

The engine stores these when it publishes an agenda or closes a cycle; the read API serves
them live.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from statistics import median
from typing import Any

from shared.contracts import events as ev
from shared.contracts.vocabulary import LadderStep, Status, date_in_words
from shared.reference import ReferenceData

STATUSES = [s.value for s in Status]


def iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def slipping(status: str | None) -> bool:
    return status is not None and Status(status).slipping


def status_counts(statuses: list[str]) -> dict[str, int]:
    """How many of each status, every status named (zero included)."""
    found = Counter(statuses)
    return {s: found.get(s, 0) for s in STATUSES}


def rollup(actions: list[dict[str, Any]], field: str, names: dict[str, str]) -> list[dict[str, Any]]:
    """Status counts per system (or per action point) of the given actions."""
    out = []
    for gid in sorted({a[field] for a in actions}):
        members = [a for a in actions if a[field] == gid]
        out.append({"id": gid, "name": names.get(gid, gid), "actions": len(members),
                    "status": status_counts([a["status"] for a in members])})
    return out


# ---- the Panel's agenda -----------------------------------------------------------------------

def response_text(kind: str, text: str, recover_by: date | None) -> str:
    """A leader's answer as the agenda shows it."""
    if kind == "recovery_plan":
        by = f" (back on track by {date_in_words(recover_by)})" if recover_by else ""
        return f"Recovery plan{by}: {text}"
    return f"Explanation: {text}"


def concern_text(kind: str, text: str) -> str:
    """A staff network's words as the agenda shows them."""
    return f"{CONCERN_WORDS.get(kind, kind.capitalize())}: {text}"


CONCERN_WORDS = {"concern": "Concern", "challenge": "Challenge", "support": "Support for the recovery plan"}


def request_entry(r: dict[str, Any]) -> dict[str, Any]:
    """A request for more time or a contest of the flag, as an action's history shows it."""
    entry = {"on": iso(r["received_on"]), "what": "more time asked" if r["kind"] == "extension_request"
             else "flag contested", "from": r["from_person"], "role": r["acting_role"], "text": r["reason"]}
    if r["new_due_date"] is not None:
        entry["new_due_date"] = iso(r["new_due_date"])
    if r["contested_status"] is not None:
        entry["contested_status"] = r["contested_status"]
    return entry


def _agenda_order(r: dict[str, Any]) -> tuple[Any, ...]:
    """Worst first: higher on the ladder; worse status; more reasons off track; more cycles
    slipping in a row; escalated longest ago. Ties go by action id."""
    slip_run = max((int(key) for rule, _, key in r["signature"] if rule == "repeated_slip"), default=1)
    rung = LadderStep(r["step"]).rung if r["step"] else 0  # a re-baseline request alone comes after the ladder
    return (-rung, -Status(r["status"] or Status.ON_TRACK).severity,
            -sum(x["status"] == Status.OFF_TRACK for x in r["reasons"]), -slip_run, r["opened_on"] or date.max,
            r["action_id"])


def not_escalated() -> dict[str, Any]:
    """What an agenda item on no rung of the ladder has in place of its escalation."""
    return {"escalation_id": None, "step": None, "opened_on": None, "step_on": None, "respond_by": None,
            "concerns": "[]", "response_kind": None}


def rebaseline_words(plan: dict[str, Any], reason: str | None, asked_on: date | None) -> str:
    """A re-baseline request on the agenda, in words."""
    dates = "; ".join([f"done by {date_in_words(plan['due_date'])}",
                       *(f"'{m['title']}' by {date_in_words(m['due'])}" for m in plan.get("milestones", []))])
    return (f"Asks to re-baseline{' on ' + date_in_words(asked_on) if asked_on else ''} to: {dates}"
            + (f". Why: {reason}" if reason else "") + ".")


def agenda_items(rows: list[dict[str, Any]], histories: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The actions escalated to the Panel or the Board (``rows``: each with its open escalation,
    its verdict and the leader's latest answer this episode), worst first, ranked."""
    ranked = []
    for r in sorted(rows, key=_agenda_order):
        latest = r["latest_response"]
        ranked.append({
            "action_id": r["action_id"], "system": r["system"], "action_point": r["action_point"],
            "title": r["title"], "status": r["status"], "reasons": r["reasons"], "step": r["step"],
            "escalation_id": r["escalation_id"], "escalated_on": iso(r["opened_on"]),
            "on_this_step_since": iso(r["step_on"]), "respond_by": iso(r["respond_by"]),
            "accountable_leader": r["accountable_leader"],
            "leader_response": response_text(**latest) if latest else None,
            "concerns": [concern_text(c["kind"], c["text"]) for c in r.get("concerns", [])],
            "rebaseline_request": r.get("rebaseline_request"),
            "history": histories.get(r["action_id"], []),
        })
    return [item | {"rank": rank} for rank, item in enumerate(ranked, 1)]


def agenda_item(item: dict[str, Any]) -> ev.AgendaItem:
    reasons = [ev.AgendaReason(rule=r["rule"], status=r["status"], message=r["message"]) for r in item["reasons"]]
    return ev.AgendaItem(action_id=item["action_id"], system=item["system"], title=item["title"],
                         status=item["status"], reasons=reasons,
                         leader_response=item["leader_response"], concerns=item.get("concerns", []),
                         rebaseline_request=item.get("rebaseline_request"))


# ---- the Board's picture of a cycle -------------------------------------------------------------

@dataclass(frozen=True)
class CycleRecord:
    """What the database holds about one cycle: its dates, each action that was in it (its
    worst and its final or current status, its reasons, what is working), which actions
    completed and which escalations resolved in it, and each action's history in it."""

    cycle_id: str
    opens_on: date
    submission_deadline: date
    closes_on: date
    as_of: date | None
    actions: list[dict[str, Any]]
    completed: set[str] = field(default_factory=set)
    resolved: set[str] = field(default_factory=set)
    histories: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # what each action's updates said was stopping progress (or not working), as they said it
    hindrances: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _what_worked(r: dict[str, Any], record: CycleRecord) -> list[str]:
    why = []
    if r["action_id"] in record.completed:
        why.append("completed this cycle")
    if r["action_id"] in record.resolved and r["status"] in (Status.ON_TRACK, Status.COMPLETED):
        why.append("recovered: back on track after slipping")
    if not slipping(r["worst_status"]) and r["status"] == Status.ON_TRACK and r["working"]:
        why.append("on track all cycle")
    return why


def _decided_in(actions: list[dict[str, Any]], record: CycleRecord, state: str) -> int:
    """How many re-baseline requests the Panel approved (or refused) on a day of the cycle."""
    first, last = record.opens_on.isoformat(), record.closes_on.isoformat()
    return sum(p["state"] == state and first <= (p.get("decided_on") or "") <= last
               for a in actions for p in (a["plan"] or {}).get("plans", []))


def days_to_recover(history: list[dict[str, Any]]) -> int | None:
    """Days from an action's first flag in the cycle (at risk or off track) to the first day after
    it that it stood on track or completed again; None: never flagged, or not recovered yet."""
    statuses = [h for h in history if h["what"] == "status" and h.get("on")]
    first = next((i for i, h in enumerate(statuses) if slipping(h["status"])), None)
    if first is None:
        return None
    back = next((h["on"] for h in statuses[first + 1:] if not slipping(h["status"])), None)
    flagged = statuses[first]["on"]
    return (date.fromisoformat(back) - date.fromisoformat(flagged)).days if back else None


def recovery_totals(days: list[int | None]) -> dict[str, Any]:
    """The cycle's recoveries: how many flagged actions recovered and the median days it took."""
    taken = sorted(d for d in days if d is not None)
    return {"recovered": len(taken), "median_days_to_recover": round(median(taken)) if taken else None}


def _group(actions: list[dict[str, Any]], field: str, names: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    for gid in sorted(set(names) | {a[field] for a in actions}):
        members = [a for a in actions if a[field] == gid]
        out.append({
            "id": gid, "name": names.get(gid, gid), "actions": len(members),
            "status": status_counts([a["status"] for a in members]),
            "slipped": [a["action_id"] for a in members if a["slipped"]],
            "actions_taken": sum(len(a["done_about_it"]) for a in members),
            "worked": [a["action_id"] for a in members if a["worked"]],
        })
    return out


def cycle_summary(record: CycleRecord, reference: ReferenceData, *, final: bool) -> dict[str, Any]:
    """The Board's picture of a cycle: per system and per action point, what is on track, what
    slipped, what was done about it, and what worked and deserves to be shared."""
    actions = [{
        "action_id": r["action_id"], "system": r["system"], "action_point": r["action_point"],
        "title": r["title"], "status": r["status"], "worst_status": r["worst_status"],
        "slipped": slipping(r["worst_status"]),
        "reasons": r["reasons"] if slipping(r["status"]) else [],
        "done_about_it": [h for h in record.histories.get(r["action_id"], []) if h["what"] != "status"],
        # each flag as it was raised (kept as it was: later settings never rewrite it)
        "flags": [{k: h[k] for k in ("on", "status", "reasons")} for h in record.histories.get(r["action_id"], [])
                  if h["what"] == "status" and slipping(h["status"])],
        "days_to_recover": days_to_recover(record.histories.get(r["action_id"], [])),
        "worked": _what_worked(r, record), "what_is_working": r["working"] or "",
        "stopping_progress": record.hindrances.get(r["action_id"], []) if slipping(r["worst_status"]) else [],
        "plan": r.get("plan"),  # baseline, plan in force, who approved it, slip against both
        "who_says": r.get("who_says"),  # the status and each milestone reached: reported, verified or disputed
    } for r in record.actions]
    return {
        "cycle_id": record.cycle_id, "opens_on": iso(record.opens_on),
        "submission_deadline": iso(record.submission_deadline), "closes_on": iso(record.closes_on),
        "final": final, "as_of": iso(record.as_of),
        "totals": {"actions": len(actions), **status_counts([a["status"] for a in actions]),
                   **{f"status_{says}": sum((a["who_says"] or {}).get("status", {}).get("says") == says
                                            for a in actions) for says in ("verified", "disputed")},
                   **{f"rebaselines_{state}": _decided_in(actions, record, state) for state in ("approved", "refused")},
                   "slipped": sum(a["slipped"] for a in actions),
                   **recovery_totals([a["days_to_recover"] for a in actions]),
                   "worked": sum(bool(a["worked"]) for a in actions)},
        "by_system": _group(actions, "system", {k: v.name for k, v in reference.systems.items()}),
        "by_action_point": _group(actions, "action_point", {k: v.name for k, v in reference.action_points.items()}),
        "slipped": [a for a in actions if a["slipped"]],
        "worked": [{k: a[k] for k in ("action_id", "system", "action_point", "title", "worked", "what_is_working")}
                   for a in actions if a["worked"]],
    }
