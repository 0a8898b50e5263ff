"""The rules for what a system may post about its actions. Pure: no I/O.

``decide`` takes the action as it stands (or None), one event from a system and the
reference data, and returns either the action's next state with what changed, or a
``Refusal`` with a stable code and a sentence for the sender.

Late arrival rule: a progress update dated (``as_of``) before the last applied update is
kept in the audit trail but does not change the action; the sender is told
``late_update``. Updates are applied in the order of their dates, never rewound.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared.contracts import Event
from shared.contracts import events as ev
from shared.measures import CountsError, figure
from shared.reference import ReferenceData


@dataclass(frozen=True)
class Refusal:
    code: str
    reason: str
    security: bool = False  # someone posting for an action or system that is not theirs


@dataclass(frozen=True)
class Change:
    snapshot: ev.ActionSnapshot
    changed: list[str] = field(default_factory=list)
    reason: str | None = None  # an amendment's reason, passed on: the Panel decides a change of plan


Outcome = Change | Refusal


class Refused(Exception):
    def __init__(self, code: str, reason: str, security: bool = False) -> None:
        super().__init__(reason)
        self.refusal = Refusal(code, reason, security)


def decide(current: ev.ActionSnapshot | None, event: Event, sender: str, reference: ReferenceData) -> Outcome:
    """Everything a system posts goes through here, whichever way it arrived."""
    try:
        _check_sender(event, sender, reference)
        if isinstance(event, ev.CommitmentMade):
            if event.data.system != sender:
                raise Refused("not_your_action", f"{sender!r} cannot commit on behalf of {event.data.system!r}",
                              security=True)
            if current is not None:
                raise Refused("duplicate_action", f"action {current.action_id!r} already exists; amend it instead")
            return _commit(event.data, reference)
        if current is None:
            raise Refused("unknown_action", f"there is no action {event.subject!r}; commit to it first")
        if current.system != sender:
            raise Refused("not_your_action",
                          f"action {current.action_id!r} belongs to {current.system!r}, not {sender!r}",
                          security=True)
        if current.lifecycle != "open":
            raise Refused("action_closed",
                          f"action {current.action_id!r} is {current.lifecycle}; it takes no more changes")
        return _APPLY[type(event)](current, event, reference)
    except Refused as refused:
        return refused.refusal


def _check_sender(event: Event, sender: str, reference: ReferenceData) -> None:
    if sender not in reference.systems:
        raise Refused("unknown_system", f"{sender!r} is not one of the region's systems")
    if event.source != sender:
        raise Refused("forged_source",
                      f"event claims to come from {event.source!r} but was posted on {sender!r}'s topic",
                      security=True)
    action_id = getattr(event.data, "action_id", None)
    if action_id != event.subject:
        raise Refused("subject_mismatch", f"envelope subject {event.subject!r} is not data.action_id {action_id!r}")


def _commit(c: ev.Commitment, reference: ReferenceData) -> Change:
    if c.system not in reference.systems:
        raise Refused("unknown_system", f"{c.system!r} is not one of the region's systems")
    if c.action_point not in reference.action_points:
        known = ", ".join(reference.action_points)
        raise Refused("unknown_action_point", f"{c.action_point!r} is not an action point; known: {known}")
    _check_dates(c.start_date, c.due_date)
    _check_milestones(c.milestones, c.start_date, c.due_date)
    _check_trajectory(c.trajectory, c.start_date, c.due_date)
    measure = _check_measure(c.measure, reference) if c.measure is not None else None
    snapshot = ev.ActionSnapshot(
        action_id=c.action_id, system=c.system, action_point=c.action_point, title=c.title,
        accountable_leader=c.accountable_leader, start_date=c.start_date, due_date=c.due_date,
        lifecycle="open", percent_complete=0, last_update_on=None, last_update_at=None,
        milestones=[ev.MilestoneState(milestone_id=m.milestone_id, title=m.title, due=m.due) for m in c.milestones],
        trajectory=sorted(c.trajectory, key=lambda p: p.by), measure=measure, measure_values=[],
        narrative=ev.Narrative(), version=1,
    )
    return Change(snapshot, ["created"])


def _check_dates(start: date, due: date) -> None:
    if due < start:
        raise Refused("incoherent_dates", f"due date {due} is before the start date {start}")


def _check_milestones(milestones: list[ev.Milestone], start: date, due: date) -> None:
    seen: set[str] = set()
    for m in milestones:
        if m.milestone_id in seen:
            raise Refused("duplicate_milestone", f"milestone {m.milestone_id!r} appears twice")
        seen.add(m.milestone_id)
        if not start <= m.due <= due:
            raise Refused("incoherent_dates",
                          f"milestone {m.milestone_id!r} is due {m.due}, outside the action's {start} to {due}")


def _check_trajectory(points: list[ev.TrajectoryPoint], start: date, due: date) -> None:
    last = -1.0
    for p in sorted(points, key=lambda p: p.by):
        if not 0 <= p.percent <= 100:
            raise Refused("invalid_trajectory", f"trajectory point for {p.by} is {p.percent}%; it must be 0 to 100")
        if p.percent < last:
            raise Refused("invalid_trajectory", f"planned trajectory goes backwards at {p.by}")
        if not start <= p.by <= due:
            raise Refused("incoherent_dates", f"trajectory point {p.by} is outside the action's {start} to {due}")
        last = p.percent
    if len({p.by for p in points}) != len(points):
        raise Refused("invalid_trajectory", "two trajectory points share a date")


def _check_measure(m: ev.Measure, reference: ReferenceData) -> ev.Measure:
    """The measure as kept: a named indicator's direction, and its non-adverse range when the measure has none."""
    if m.indicator is not None:
        found = reference.indicators.get(m.indicator)
        if found is None:
            raise Refused("unknown_indicator", f"measure {m.code}: {m.indicator!r} is not a WRES indicator; known: "
                                               f"{', '.join(reference.indicators)}")
        # The indicator says which way is better; its non-adverse range applies unless the measure gives one.
        m = m.model_copy(update={
            "direction": found.direction,
            **({"range_low": found.range_low, "range_high": found.range_high}
               if m.range_low is None and m.range_high is None else {})})
    if m.range_low is not None and m.range_high is not None and m.range_low > m.range_high:
        raise Refused("invalid_measure",
                      f"measure {m.code}: range low {m.range_low} is above range high {m.range_high}")
    return m


def _next(current: ev.ActionSnapshot, changed: list[str], **update: object) -> Change:
    return Change(current.model_copy(update={**update, "version": current.version + 1}), changed)


def _amend(current: ev.ActionSnapshot, event: ev.CommitmentAmended, reference: ReferenceData) -> Change:
    a = event.data
    update: dict[str, object] = {}
    due = a.due_date or current.due_date
    _check_dates(current.start_date, due)
    if a.due_date is not None and a.due_date != current.due_date:
        update["due_date"] = a.due_date
    if a.accountable_leader is not None and a.accountable_leader != current.accountable_leader:
        update["accountable_leader"] = a.accountable_leader
    if a.milestones is not None:
        _check_milestones(a.milestones, current.start_date, due)
        before = {m.milestone_id: m for m in current.milestones}
        update["milestones"] = [
            before[m.milestone_id].model_copy(update={"title": m.title, "due": m.due})
            if m.milestone_id in before else ev.MilestoneState(milestone_id=m.milestone_id, title=m.title, due=m.due)
            for m in a.milestones
        ]
    if a.trajectory is not None:
        _check_trajectory(a.trajectory, current.start_date, due)
        update["trajectory"] = sorted(a.trajectory, key=lambda p: p.by)
    if not update:
        raise Refused("nothing_to_amend", "the amendment changes nothing")
    change = _next(current, sorted(update), **update)
    return Change(change.snapshot, change.changed, a.reason)


def _progress(current: ev.ActionSnapshot, event: ev.ProgressReported, reference: ReferenceData) -> Change:
    p = event.data
    if not 0 <= p.percent_complete <= 100:
        raise Refused("percent_out_of_range", f"percent complete is {p.percent_complete}; it must be 0 to 100")
    if p.as_of < current.start_date:
        raise Refused("incoherent_dates",
                      f"update is dated {p.as_of}, before the action starts on {current.start_date}")
    if current.last_update_on is not None and p.as_of < current.last_update_on:
        raise Refused("late_update", f"update dated {p.as_of} arrived after one dated {current.last_update_on}; "
                                     "it is kept in the history but does not change the action")
    if p.percent_complete < current.percent_complete and not p.reason_for_decrease:
        raise Refused("progress_went_backwards",
                      f"percent complete fell from {current.percent_complete} to {p.percent_complete}; "
                      "say why in reason_for_decrease")
    both = set(p.milestones_reached) & set(p.milestones_missed)
    if both:
        raise Refused("incoherent_milestones", f"milestones {sorted(both)} are reported both reached and missed")
    milestones = current.milestones
    for mid in p.milestones_reached:
        milestones = _mark(milestones, mid, "reached", p.as_of)
    for mid in p.milestones_missed:
        milestones = _mark(milestones, mid, "missed", p.as_of)
    changed = ["percent_complete", "narrative", "last_update"]
    update: dict[str, object] = {
        "percent_complete": p.percent_complete, "narrative": p.narrative,
        "last_update_on": p.as_of, "last_update_at": event.occurred_at, "milestones": milestones,
    }
    if p.milestones_reached or p.milestones_missed:
        changed.append("milestones")
    if p.measure_value is not None:
        update["measure_values"] = _add_measure(current, p.measure_value, reference)
        changed.append("measure_values")
    return _next(current, changed, **update)


def _mark(milestones: list[ev.MilestoneState], milestone_id: str, state: str, on: date) -> list[ev.MilestoneState]:
    found = next((m for m in milestones if m.milestone_id == milestone_id), None)
    if found is None:
        raise Refused("unknown_milestone", f"the action has no milestone {milestone_id!r}")
    if found.state != "open":
        raise Refused("milestone_already_settled",
                      f"milestone {milestone_id!r} was already {found.state} on {found.on}")
    return [m.model_copy(update={"state": state, "on": on}) if m is found else m for m in milestones]


# A sender's own figure may be rounded; anything further from what its counts give is a mistake.
VALUE_TOLERANCE = 0.01


def _add_measure(current: ev.ActionSnapshot, value: ev.MeasureValue,
                 reference: ReferenceData) -> list[ev.MeasureValue]:
    """The readings with ``value`` added: its figure and interval computed from its counts, and a
    reading for a period already read replacing that one (a correction)."""
    m = current.measure
    if m is None:
        raise Refused("no_measure", f"action {current.action_id!r} is not tied to a measure")
    if value.counts is not None:
        indicator = reference.indicators.get(m.indicator or "")
        if indicator is None:
            raise Refused("counts_without_indicator",
                          f"measure {m.code} names no WRES indicator, so its counts cannot be read")
        try:
            found = figure(indicator, value.counts)
        except CountsError as exc:
            raise Refused("invalid_counts", str(exc)) from None
        if abs(found.value - value.value) > VALUE_TOLERANCE * max(1.0, abs(found.value)):
            raise Refused("value_disagrees_with_counts",
                          f"{m.code}: the value sent is {value.value:g} but its counts give {found.value:.2f}")
        value = value.model_copy(update={"value": found.value, "low": found.low, "high": found.high})
    else:
        value = value.model_copy(update={"low": None, "high": None})  # only the service sets an interval
    kept = [v for v in current.measure_values if value.period is None or v.period != value.period]
    return sorted([*kept, value], key=lambda v: v.as_of)


def _milestone_reached(current: ev.ActionSnapshot, event: ev.MilestoneReached, reference: ReferenceData) -> Change:
    m = event.data
    return _next(current, ["milestones"], milestones=_mark(current.milestones, m.milestone_id, "reached", m.on))


def _milestone_missed(current: ev.ActionSnapshot, event: ev.MilestoneMissed, reference: ReferenceData) -> Change:
    m = event.data
    return _next(current, ["milestones"], milestones=_mark(current.milestones, m.milestone_id, "missed", m.on))


def _measure(current: ev.ActionSnapshot, event: ev.MeasureRecorded, reference: ReferenceData) -> Change:
    m = event.data
    value = ev.MeasureValue(value=m.value, as_of=m.as_of, period=m.period, counts=m.counts)
    return _next(current, ["measure_values"], measure_values=_add_measure(current, value, reference))


def _complete(current: ev.ActionSnapshot, event: ev.ActionCompleted, reference: ReferenceData) -> Change:
    return _next(current, ["lifecycle"], lifecycle="completed", percent_complete=100.0)


def _withdraw(current: ev.ActionSnapshot, event: ev.ActionWithdrawn, reference: ReferenceData) -> Change:
    return _next(current, ["lifecycle"], lifecycle="withdrawn")


_APPLY: dict[type[Event], Callable[[ev.ActionSnapshot, Any, ReferenceData], Outcome]] = {
    ev.CommitmentAmended: _amend,
    ev.ProgressReported: _progress,
    ev.MilestoneReached: _milestone_reached,
    ev.MilestoneMissed: _milestone_missed,
    ev.MeasureRecorded: _measure,
    ev.ActionCompleted: _complete,
    ev.ActionWithdrawn: _withdraw,
}
