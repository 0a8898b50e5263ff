"""Reported and verified: who says an action's status, or a milestone reached, is so. Pure: no I/O.

What a system posts is *reported by the system*. The Panel can check it (a Panel decision
``verified``, with the evidence it looked at and who checked), find it does not hold
(``disputed``), or take a verification back (``verification_withdrawn``), for the action's status
or for one milestone reached (``PanelDecision.milestone_id``). A verification of the status
covers the status it verified: once the status changes, it stands as reported again. These
decisions are not bound to an agenda item: the Panel may check any action.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.contracts import events as ev
from shared.contracts.vocabulary import VERIFICATION_KINDS as VERIFICATION_KINDS
from shared.contracts.vocabulary import date_in_words

STATUS = "status"  # the target of a verification that names no milestone
REPORTED = "reported"


@dataclass(frozen=True)
class Standing:
    """Who says a target is so, now: reported by the system, verified or disputed by the Panel."""

    says: str  # reported | verified | disputed
    by: str | None = None
    role: str | None = None
    on: str | None = None
    evidence_links: tuple[str, ...] = ()
    note: str = ""
    status: str | None = None  # the status a verification of the status covered

    def as_json(self) -> dict[str, Any]:
        return {"says": self.says, "by": self.by, "role": self.role, "on": self.on,
                "evidence_links": list(self.evidence_links), "note": self.note}


def target(d: ev.PanelDecision) -> str:
    return d.milestone_id or STATUS


def standings(decisions: list[dict[str, Any]]) -> dict[str, Standing]:
    """Each target's standing after the Panel's verification decisions, earliest first (a row:
    kind, milestone_id, acting_person, acting_role, recorded_on (ISO), evidence_links, note,
    verified_status). A withdrawal takes the target back to reported."""
    found: dict[str, Standing] = {}
    for d in decisions:
        what = d.get("milestone_id") or STATUS
        if d["kind"] == "verification_withdrawn":
            found.pop(what, None)
            continue
        found[what] = Standing(d["kind"], d.get("acting_person"), d.get("acting_role"), d.get("recorded_on"),
                               tuple(d.get("evidence_links") or ()), d.get("note") or "", d.get("verified_status"))
    return found


def refusal(d: ev.PanelDecision, milestones: dict[str, str], standing: dict[str, Standing]) -> str | None:
    """Why a verification decision cannot stand, in words; None when it can. ``milestones``: each
    milestone's state as the system reported it."""
    if d.milestone_id is not None and d.milestone_id not in milestones:
        return f"{d.action_id} has no milestone {d.milestone_id}"
    if d.kind == "verified" and d.milestone_id is not None and milestones[d.milestone_id] != "reached":
        return f"milestone {d.milestone_id} of {d.action_id} is not reported reached, so there is nothing to verify"
    if d.kind == "verified" and not d.evidence_links:
        return "a verification names the evidence the Panel checked (evidence_links)"
    if d.kind == "verification_withdrawn" and target(d) not in standing:
        return (f"nothing about {target(d)} of {d.action_id} has been verified or disputed, so there is "
                "nothing to withdraw")
    return None


def who_says(snap: ev.ActionSnapshot, status: str | None, decisions: list[dict[str, Any]]) -> dict[str, Any]:
    """The action's status and each milestone reached, with who says so."""
    found = standings(decisions)
    kept = found.get(STATUS)
    if kept is not None and kept.status != status:
        kept = None  # it verified another status: this one stands as reported
    milestones = [{"milestone_id": m.milestone_id, "title": m.title, "reached_on": m.on.isoformat() if m.on else None,
                   **(found[m.milestone_id].as_json() if m.milestone_id in found else {"says": REPORTED})}
                  for m in snap.milestones if m.state == "reached" or m.milestone_id in found]
    return {"status": {"status": status, **(kept.as_json() if kept else {"says": REPORTED})}, "milestones": milestones}


def in_words(entry: dict[str, Any]) -> str:
    """'reported by the system...', 'verified by p-chair (panel chair) on 2 April 2026', 'disputed by ...'."""
    if entry.get("says", REPORTED) == REPORTED:
        return "reported by the system, not checked by the Panel"
    role = (entry.get("role") or "").replace("_", " ")
    return f"{entry['says']} by {entry.get('by')}" + (f" ({role})" if role else "") + (
        f" on {date_in_words(entry['on'])}" if entry.get("on") else "")
