"""Baselines: what an action promised first, what it promises now, and how far behind each it is.
Pure: no I/O (the domain room, beside ``rules``).

The first plan the service sees for an action (its due date, its milestones' dates, its
trajectory) is its baseline and is never overwritten. A later snapshot whose plan differs is the
system asking to re-baseline (an amendment, with its reason): it takes effect only when the Panel
approves it (``rebaseline_approved``); until then, and for good when the Panel refuses it, the
action is judged on the plan in force. A newer request replaces a pending one.

Slip is measured against both: the plan in force and the baseline, in days behind each (how long
ago the plan expected today's progress, or how long a date it set has passed unmet).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from shared.contracts import events as ev
from shared.contracts.vocabulary import REBASELINE_KINDS as REBASELINE_KINDS

from .rules import planned_percent

PlanKind = Literal["baseline", "request"]


@dataclass(frozen=True)
class Plan:
    """An action's plan: its due date, each milestone's title and date, its trajectory."""

    due_date: date
    milestones: tuple[tuple[str, str, date], ...] = ()  # (milestone id, title, due)
    trajectory: tuple[tuple[date, float], ...] = ()  # (by, percent)

    @classmethod
    def of(cls, snap: ev.ActionSnapshot) -> Plan:
        return cls(snap.due_date, tuple((m.milestone_id, m.title, m.due) for m in snap.milestones),
                   tuple(sorted((p.by, p.percent) for p in snap.trajectory)))

    def as_json(self) -> dict[str, Any]:
        return {"due_date": self.due_date.isoformat(),
                "milestones": [{"milestone_id": i, "title": t, "due": d.isoformat()} for i, t, d in self.milestones],
                "trajectory": [{"by": b.isoformat(), "percent": p} for b, p in self.trajectory]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        return cls(date.fromisoformat(data["due_date"]),
                   tuple((m["milestone_id"], m["title"], date.fromisoformat(m["due"])) for m in data["milestones"]),
                   tuple((date.fromisoformat(p["by"]), float(p["percent"])) for p in data["trajectory"]))


def what_is_new(latest: Plan | None, posted: Plan) -> PlanKind | None:
    """What a snapshot's plan is to the record: the baseline (the first), a re-baseline request (a
    plan unlike the latest one seen, in force or asked for), or nothing new."""
    if latest is None:
        return "baseline"
    return "request" if posted != latest else None


def in_force(snap: ev.ActionSnapshot, plan: Plan | None) -> ev.ActionSnapshot:
    """The snapshot as the rules judge it: the plan in force in place of the one the system posted.
    Milestones keep what the system reported of them (reached, missed); a milestone the plan in
    force does not have is not judged, one it has that the system dropped stays open."""
    if plan is None or _as_posted(snap, plan):
        return snap
    states = {m.milestone_id: m for m in snap.milestones}
    milestones = [states[i].model_copy(update={"title": t, "due": d}) if i in states
                  else ev.MilestoneState(milestone_id=i, title=t, due=d) for i, t, d in plan.milestones]
    return snap.model_copy(update={
        "due_date": plan.due_date, "milestones": milestones,
        "trajectory": [ev.TrajectoryPoint(by=b, percent=p) for b, p in plan.trajectory]})


def _as_posted(snap: ev.ActionSnapshot, plan: Plan) -> bool:
    """The plan in force is the one posted (the common case): the snapshot is judged as it is. (The
    rules read the trajectory sorted, so that the posted one may be in another order changes nothing.)"""
    return plan == Plan.of(snap) and len({m.milestone_id for m in snap.milestones}) == len(snap.milestones)


def days_behind(snap: ev.ActionSnapshot, plan: Plan, today: date | None) -> int:
    """How far behind ``plan`` the action is, in days: the longest of how long ago the plan's
    trajectory expected today's progress, how long its oldest unmet milestone is overdue, and how
    long its due date has passed. 0 when on plan (or closed, or before the first tick)."""
    if today is None or snap.lifecycle != "open":
        return 0
    judged = in_force(snap, plan)
    lags = [(today - m.due).days for m in judged.milestones if m.state != "reached" and m.due < today]
    if plan.due_date < today:
        lags.append((today - plan.due_date).days)
    if plan.trajectory:
        expected = next((d for d in _days(snap.start_date, today)
                         if (planned_percent(judged, d) or 0.0) >= snap.percent_complete), today)
        lags.append((today - expected).days)
    return max([0, *lags])


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def span_in_words(days: int) -> str:
    if days < 7:
        return f"{days} day{'s' if days != 1 else ''}"
    weeks = round(days / 7)
    return f"{weeks} week{'s' if weeks != 1 else ''}"


def slip_words(behind_plan: int, behind_baseline: int, rebaselined: bool) -> str:
    """'3 weeks behind plan, 11 weeks behind the original commitment', in the users' words."""
    plan = "on plan" if behind_plan == 0 else f"{span_in_words(behind_plan)} behind plan"
    if not rebaselined:
        return plan + " (the original commitment)"
    original = ("on the original commitment" if behind_baseline == 0
                else f"{span_in_words(behind_baseline)} behind the original commitment")
    return f"{plan}, {original}"


def record(snap: ev.ActionSnapshot, plans: list[dict[str, Any]], today: date | None) -> dict[str, Any] | None:
    """What was promised first, what is promised now and who approved the change, what is asked
    and not yet decided, and the slip against both, from the action's plans first to last (as
    ``persistence.plans.history`` gives them). None before the service has seen a plan."""
    if not plans:
        return None
    first = plans[0]
    now = next(p for p in reversed(plans) if p["state"] in ("in_force", "approved"))
    behind_plan = days_behind(snap, Plan.from_json(now["plan"]), today)
    behind_baseline = days_behind(snap, Plan.from_json(first["plan"]), today)
    rebaselined = now is not first
    return {
        "baseline": first["plan"], "in_force": now["plan"],
        "approved": ({k: now[k] for k in ("decision_id", "decided_on", "decided_by", "decided_role", "reason")}
                     if rebaselined else None),
        "pending": next((p for p in plans if p["state"] == "pending"), None),
        "approved_count": sum(p["state"] == "approved" for p in plans),
        "refused_count": sum(p["state"] == "refused" for p in plans),
        "behind_plan_days": behind_plan, "behind_baseline_days": behind_baseline,
        "slip": slip_words(behind_plan, behind_baseline, rebaselined),
        "plans": plans,
    }
