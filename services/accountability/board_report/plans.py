"""An action's record as the report says it: what was promised first, what is promised now and
who approved the change, what is asked and not yet decided, the slip against both; and who says
its status and its milestones reached are so (reported by the system, verified or disputed)."""

from __future__ import annotations

from typing import Any

from shared.contracts.vocabulary import date_in_words

from .. import verification
from ..baselines import span_in_words


def promised(plan: dict[str, Any]) -> str:
    """A plan in a sentence: its due date and each milestone's date."""
    text = f"done by {date_in_words(plan['due_date'])}"
    milestones = [f"'{m['title']}' by {date_in_words(m['due'])}" for m in plan.get("milestones", [])]
    return text + ("; milestones " + ", ".join(milestones) if milestones else "")


def _who(record: dict[str, Any]) -> str:
    role = (record.get("decided_role") or "").replace("_", " ")
    return f"{record.get('decided_by') or 'the Panel'}" + (f" ({role})" if role else "")


def plan_lines(record: dict[str, Any] | None) -> list[str]:
    """The plan record (``baselines.record``) as the report's lines; none before any plan was seen."""
    if not record:
        return []
    lines = [f"Slip: {record['slip']}.", f"Promised first: {promised(record['baseline'])}."]
    approved = record.get("approved")
    if approved:
        lines.append(f"Promised now: {promised(record['in_force'])}; re-baseline approved by the Panel on "
                     f"{date_in_words(approved['decided_on'])}, recorded by {_who(approved)}"
                     + (f", asked because: {approved['reason']}" if approved.get("reason") else "") + ".")
    else:
        lines.append("Promised now: the same (never re-baselined).")
    for p in record.get("plans", []):
        if p["state"] == "refused":
            lines.append(f"Re-baseline refused by the Panel on {date_in_words(p['decided_on'])}, recorded by "
                         f"{_who(p)}: it asked for {promised(p['plan'])}.")
    pending = record.get("pending")
    if pending:
        lines.append(f"Awaiting the Panel: a re-baseline asked on {date_in_words(pending['posted_on'])} for "
                     f"{promised(pending['plan'])}" + (f", because: {pending['reason']}" if pending.get("reason")
                                                      else "") + ".")
    return lines


def _checked(entry: dict[str, Any]) -> str:
    words = verification.in_words(entry)
    if entry.get("evidence_links"):
        words += "; evidence: " + ", ".join(entry["evidence_links"])
    return words + (f" ({entry['note']})" if entry.get("note") else "")


def who_says_lines(record: dict[str, Any] | None) -> list[str]:
    """Who says the status and each milestone reached are so (``verification.who_says``)."""
    if not record:
        return []
    status = record["status"]
    lines = [f"Status ({(status.get('status') or 'not judged').replace('_', ' ')}): {_checked(status)}."]
    lines += [f"Milestone '{m['title']}'" + (f" reached on {date_in_words(m['reached_on'])}" if m.get("reached_on")
                                             else "") + f": {_checked(m)}." for m in record.get("milestones", [])]
    return lines


def recovery_words(recovered: int, days: int | None) -> str:
    """'3 weeks (2 actions)': the median time from a first flag in the cycle to recovery, and how many recovered."""
    if days is None:
        return "none recovered"
    return f"{span_in_words(days)} ({recovered} action{'s' if recovered != 1 else ''})"


def stopping_lines(told: list[dict[str, Any]]) -> list[str]:
    """What an action's updates said was stopping progress (and what was not working), each dated."""
    lines = []
    for t in told:
        not_working = t["not_working"] and "not working: " + t["not_working"]
        said = "; ".join(filter(None, (t["stopping_progress"], not_working)))
        lines.append(f"{date_in_words(t['on'])}: {said}" if t["on"] else said)
    return lines
