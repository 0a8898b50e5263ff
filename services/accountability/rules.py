"""The rules that judge an action.

Each rule is a plain function of ``Facts`` with no I/O: it returns a ``Finding`` (a
status and a reason a person can read) or ``None`` when it has nothing to say. ``judge``
runs them all; the action's status is the worst finding, on track when there is none.

Time is ``Facts.today``: the date of the last clock tick, never the wall clock. Before the
first tick it is ``None`` and the rules that need a date stay silent.

Every finding explains itself for good: it carries its rule's version (``RULE_VERSIONS``;
raise a rule's number whenever what it decides changes), the settings it used and the inputs
it judged (figures, dates). They travel in its ``Reason`` and are kept with each status change.

A finding's ``key`` is the part that identifies it (which milestones, which cycle, which
reading). Two verdicts with the same statuses, rules and keys are the same verdict even
if a message's figures moved (a plan's percentage grows every day), so status changes are
announced when something a person should hear about changed, not every day.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from itertools import pairwise

from shared.contracts.events import ActionSnapshot, Judged, Measure, MeasureValue
from shared.contracts.vocabulary import BOARD, Status, date_in_words, decision_words
from shared.disclosure import publish, suppressed_in_words

# The facts and findings live in ``facts``; imported here by name, as the rules' callers know them.
from .facts import RULE_VERSIONS as RULE_VERSIONS
from .facts import ConsequenceFacts as ConsequenceFacts
from .facts import CycleFacts as CycleFacts
from .facts import DecisionFacts as DecisionFacts
from .facts import Facts as Facts
from .facts import Finding as Finding
from .facts import ResponseFacts as ResponseFacts
from .facts import Tolerances as Tolerances
from .facts import Verdict as Verdict

# ---- words (dates and statuses in words come from the one vocabulary) ----------------

def _num(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _pct(x: float) -> str:
    return f"{_num(x)}%"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d is not None else None


def _ordinal(n: int) -> str:
    words = {2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth"}
    return words.get(n, f"{n}th")


# ---- the rules ----------------------------------------------------------------------

def milestone_passed(f: Facts) -> Finding | None:
    """A milestone reported missed, or whose date passed without being reached: off track."""
    if not f.open:
        return None
    missed: list[tuple[str, str]] = []
    for m in f.action.milestones:
        if m.state == "missed":
            missed.append((m.milestone_id,
                           f"Milestone '{m.title}' (due {date_in_words(m.due)}) was reported missed"))
        elif m.state == "open" and f.today is not None and m.due < f.today:
            missed.append((m.milestone_id,
                           f"Milestone '{m.title}' was due on {date_in_words(m.due)} and has not been reached"))
    if not missed:
        return None
    judged: dict[str, Judged] = {"today": _iso(f.today)}
    for m in f.action.milestones:
        if m.milestone_id in {mid for mid, _ in missed}:
            judged |= {f"{m.milestone_id} due": _iso(m.due), f"{m.milestone_id} state": m.state}
    return Finding("milestone_passed", Status.OFF_TRACK, "; ".join(text for _, text in missed) + ".",
                   ",".join(sorted(mid for mid, _ in missed)), inputs=judged)


def due_date_passed(f: Facts) -> Finding | None:
    """The action's own due date passed while it is still open: off track."""
    if not f.open or f.today is None or f.action.due_date >= f.today:
        return None
    return Finding("due_date_passed", Status.OFF_TRACK,
                   f"The action was due to be complete by {date_in_words(f.action.due_date)} and is "
                   f"{_pct(f.action.percent_complete)} complete.", "due",
                   inputs={"today": _iso(f.today), "due_date": _iso(f.action.due_date),
                           "percent_complete": f.action.percent_complete})


def no_update_in_cycle(f: Facts) -> Finding | None:
    """The cycle's submission deadline passed with no progress update since the cycle opened: off track.

    It holds into the next cycle until an update arrives (``Facts.cycle`` is the cycle whose
    deadline passed last). An action that starts after the deadline owes nothing that cycle.
    """
    c = f.cycle
    if not f.open or c is None or f.today is None or f.today <= c.submission_deadline:
        return None
    if f.action.start_date > c.submission_deadline:
        return None
    last = f.action.last_update_on
    if last is not None and last >= c.opens_on:
        return None
    since = f"the last was on {date_in_words(last)}" if last else "none has been posted since the action was committed"
    return Finding("no_update_in_cycle", Status.OFF_TRACK,
                   f"No progress update in cycle {c.cycle_id}: updates were due by "
                   f"{date_in_words(c.submission_deadline)} and {since}.", c.cycle_id,
                   inputs={"today": _iso(f.today), "cycle": c.cycle_id, "cycle_opens_on": _iso(c.opens_on),
                           "submission_deadline": _iso(c.submission_deadline), "last_update_on": _iso(last)})


def planned_percent(action: ActionSnapshot, on: date) -> float | None:
    """Where the planned trajectory says the action should be on a date, or None without a plan.

    The plan runs from 0% at the start date through the trajectory's points (straight lines
    between them) to 100% at the due date.
    """
    if not action.trajectory:
        return None
    points = sorted([(action.start_date, 0.0), *((p.by, p.percent) for p in action.trajectory)])
    if points[-1][0] < action.due_date and points[-1][1] < 100:
        points.append((action.due_date, 100.0))
    if on <= points[0][0]:
        return points[0][1]
    for (d0, p0), (d1, p1) in pairwise(points):
        if on <= d1:
            span = (d1 - d0).days
            return p1 if span == 0 else p0 + (p1 - p0) * (on - d0).days / span
    return points[-1][1]


def behind_trajectory(f: Facts) -> Finding | None:
    """Progress behind the planned trajectory by more than a tolerance: at risk, or off track further behind."""
    if not f.open or f.today is None:
        return None
    planned = planned_percent(f.action, f.today)
    if planned is None:
        return None
    t = f.tolerances
    gap = planned - f.action.percent_complete
    if gap > t.trajectory_off_track_points:
        status, limit = Status.OFF_TRACK, t.trajectory_off_track_points
    elif gap > t.trajectory_at_risk_points:
        status, limit = Status.AT_RISK, t.trajectory_at_risk_points
    else:
        return None
    return Finding("behind_trajectory", status,
                   f"{_pct(f.action.percent_complete)} complete against {_pct(planned)} planned by "
                   f"{date_in_words(f.today)}: {_num(gap)} points behind (more than {_num(limit)} allowed).",
                   str(status),
                   settings={"trajectory_at_risk_points": t.trajectory_at_risk_points,
                             "trajectory_off_track_points": t.trajectory_off_track_points},
                   inputs={"today": _iso(f.today), "percent_complete": f.action.percent_complete,
                           "planned_percent": round(planned, 2), "points_behind": round(gap, 2),
                           "start_date": _iso(f.action.start_date), "due_date": _iso(f.action.due_date)})


def _readings(f: Facts) -> tuple[Measure, list[MeasureValue]] | None:
    m = f.action.measure
    if m is None or not f.action.measure_values:
        return None
    return m, sorted(f.action.measure_values, key=lambda v: v.as_of)


def _range(m: Measure) -> str:
    """The measure's range in words (it has at least one bound: it was read outside it)."""
    low, high = m.range_low, m.range_high
    if low is not None and high is not None:
        return f"{_num(low)} to {_num(high)}"
    if low is not None:
        return f"{_num(low)} or more"
    return f"{_num(high)} or less" if high is not None else "any value"


def _quoted(v: MeasureValue) -> str:
    """A published reading as the rules quote it: its figure, its interval when it has one, its date."""
    interval = f" (95% interval {_num(v.low)} to {_num(v.high)})" if v.low is not None and v.high is not None else ""
    return f"{_num(v.value)}{interval} on {date_in_words(v.as_of)}"


def measure_out_of_range(f: Facts) -> Finding | None:
    """The latest reading of the action's measure is outside its range: at risk. A reading with an
    interval is judged against it: when the interval still reaches into the range the difference
    may be chance, and the finding says "not yet significant" without making the action slip."""
    found = _readings(f) if f.open else None
    if found is None:
        return None
    m, readings = found
    latest = readings[-1]
    if m.range_low is not None and latest.value < m.range_low:
        side, inside = "below", latest.high is not None and latest.high >= m.range_low
    elif m.range_high is not None and latest.value > m.range_high:
        side, inside = "above", latest.low is not None and latest.low <= m.range_high
    else:
        return None
    n = f.tolerances.small_numbers  # a reading from fewer people is judged, but said without its figure or side
    hidden = publish(latest, n).suppressed
    said = (f"{m.code} ({m.name}): the reading of {date_in_words(latest.as_of)} is outside the range {_range(m)} "
            f"(its figure is {suppressed_in_words(n)})" if hidden
            else f"{m.code} ({m.name}) was {_quoted(latest)}, outside the range {_range(m)}")
    # what it judged, for good; a hidden figure is not kept in the reason either (it would leave with it)
    inputs = {"measure": m.code, "as_of": _iso(latest.as_of), "range_low": m.range_low, "range_high": m.range_high}
    if not hidden:
        inputs |= {"value": latest.value} | ({"low": latest.low, "high": latest.high} if latest.low is not None else {})
    if inside:
        return Finding("measure_not_yet_significant", Status.ON_TRACK,
                       f"{said}, but its 95% interval reaches into the range: not yet significant.",
                       f"{m.code}:{side}", settings={"small_numbers": n}, inputs=inputs)
    sure = ", and so is its whole 95% interval" if latest.low is not None else ""
    return Finding("measure_out_of_range", Status.AT_RISK, f"{said}{sure}.", f"{m.code}:{side}",
                   settings={"small_numbers": n}, inputs=inputs)


def worse(m: Measure, new: float, old: float, tolerance: float = 0.0) -> bool:
    if m.direction == "higher_is_better":
        return new < old - tolerance
    if m.direction == "lower_is_better":
        return new > old + tolerance
    return abs(new - m.target) > abs(old - m.target) + tolerance


_DIRECTION = {"higher_is_better": "higher is better", "lower_is_better": "lower is better",
              "towards_target": "closer to the target of {target} is better"}


def measure_worsening(f: Facts) -> Finding | None:
    """The latest reading is worse than the one before (the baseline for the first): at risk; off track when
    also worse than the baseline. Only published readings are compared (a hidden one is not worse or better)."""
    found = _readings(f) if f.open else None
    if found is None:
        return None
    m, readings = found[0], [v for v in found[1] if not publish(v, f.tolerances.small_numbers).suppressed]
    if not readings:
        return None
    latest = readings[-1]
    tolerance = f.tolerances.measure_worsening_tolerance
    if len(readings) > 1:
        previous, label = readings[-2].value, f"on {date_in_words(readings[-2].as_of)}"
    else:
        previous, label = m.baseline, "at baseline"
    if not worse(m, latest.value, previous, tolerance):
        return None
    below_baseline = worse(m, latest.value, m.baseline, tolerance)
    status = Status.OFF_TRACK if below_baseline else Status.AT_RISK
    direction = _DIRECTION[m.direction].format(target=_num(m.target))
    before = _quoted(readings[-2]) if len(readings) > 1 else f"{_num(previous)} {label}"
    message = f"{m.code} ({m.name}) got worse: {_quoted(latest)} against {before} ({direction})"
    if below_baseline and len(readings) > 1:
        message += f"; it is now worse than the baseline of {_num(m.baseline)}"
    return Finding("measure_worsening", status, message + ".", f"{m.code}:{latest.as_of.isoformat()}",
                   settings={"measure_worsening_tolerance": tolerance},
                   inputs={"measure": m.code, "direction": m.direction, "value": latest.value,
                           "as_of": _iso(latest.as_of), "previous": previous,
                           "previous_as_of": _iso(readings[-2].as_of) if len(readings) > 1 else None,
                           "baseline": m.baseline})


ANSWERS = {"recovery_plan_due": ("recovery_plan",)}


def panel_date_missed(f: Facts) -> Finding | None:
    """A date set by a Panel decision passed without the answer it asked for: off track.

    A ``recovery_plan_due`` decision is answered by a recovery plan; any other decision with
    a date by an explanation or a recovery plan. Only answers received on or after the day
    of the decision count; a late answer clears the finding.
    """
    if not f.open or f.today is None:
        return None
    missed = [d for d in f.decisions if d.due_date is not None and d.due_date < f.today
              and not _answered_since(f, ANSWERS.get(d.kind, ("explanation", "recovery_plan")), d.recorded_on)]
    if not missed:
        return None
    parts = [f"At meeting {d.meeting_id} the Panel {decision_words(d.kind)} with a date of "
             f"{date_in_words(d.due_date)}; "
             + ("no recovery plan has arrived" if d.kind == "recovery_plan_due" else "no response has arrived")
             for d in missed]
    judged: dict[str, Judged] = {"today": _iso(f.today)}
    for d in missed:
        judged |= {f"{d.decision_id} due": _iso(d.due_date), f"{d.decision_id} recorded_on": _iso(d.recorded_on)}
    return Finding("panel_date_missed", Status.OFF_TRACK, "; ".join(parts) + ".",
                   ",".join(sorted(d.decision_id for d in missed)), inputs=judged)


def board_follow_up_missed(f: Facts) -> Finding | None:
    """A consequence the People Board agreed reached its follow-up date with no explanation or
    recovery plan received on or after the day it was agreed: off track (a late answer clears it)."""
    if not f.open or f.today is None:
        return None
    missed = [c for c in f.consequences
              if c.follow_up_by < f.today and not _answered_since(f, ("explanation", "recovery_plan"), c.agreed_on)]
    if not missed:
        return None
    parts = [f"On {date_in_words(c.agreed_on) or 'an unknown date'} the {BOARD} agreed a consequence to be followed "
             f"up by {date_in_words(c.follow_up_by)}; no response has arrived" for c in missed]
    judged: dict[str, Judged] = {"today": _iso(f.today)}
    for c in missed:
        judged |= {f"{c.consequence_id} follow_up_by": _iso(c.follow_up_by),
                   f"{c.consequence_id} agreed_on": _iso(c.agreed_on)}
    return Finding("board_follow_up_missed", Status.OFF_TRACK, "; ".join(parts) + ".",
                   ",".join(sorted(c.consequence_id for c in missed)), inputs=judged)


def _answered_since(f: Facts, kinds: tuple[str, ...], since: date | None) -> bool:
    """Whether an answer of one of ``kinds`` arrived on or after ``since``."""
    return any(r.kind in kinds and (r.received_on or date.min) >= (since or date.min) for r in f.responses)


RULES: tuple[Callable[[Facts], Finding | None], ...] = (
    milestone_passed, due_date_passed, no_update_in_cycle, behind_trajectory,
    measure_out_of_range, measure_worsening, panel_date_missed, board_follow_up_missed,
)


def repeated_slip(f: Facts, status: Status) -> Finding | None:
    """Slipping now and in each of the cycles just closed (``repeat_slip_cycles`` in a row
    counting this one): off track, however mild this cycle's slip."""
    if not f.open or not status.slipping:
        return None
    run = []
    for cycle_id, slipped in f.previous_cycles:
        if not slipped:
            break
        run.append(cycle_id)
    if len(run) + 1 < f.tolerances.repeat_slip_cycles:
        return None
    return Finding("repeated_slip", Status.OFF_TRACK,
                   f"Slipping for the {_ordinal(len(run) + 1)} cycle running: it also slipped in "
                   f"{_join(list(reversed(run)))}.", str(len(run) + 1),
                   settings={"repeat_slip_cycles": f.tolerances.repeat_slip_cycles},
                   inputs={"status_now": str(status), "also_slipped_in": ",".join(reversed(run))})


def worst(statuses: list[Status]) -> Status:
    """The worst of the findings' statuses (each at risk or off track); on track for none."""
    return Status.worst(statuses) or Status.ON_TRACK


def judge(f: Facts) -> Verdict:
    if f.action.lifecycle == "completed":
        return Verdict(Status.COMPLETED, ())
    if f.action.lifecycle == "withdrawn":
        return Verdict(Status.WITHDRAWN, ())
    findings = [found for rule in RULES if (found := rule(f)) is not None]
    status = worst([x.status for x in findings])
    if (again := repeated_slip(f, status)) is not None:
        findings.append(again)
        status = Status.OFF_TRACK
    findings.sort(key=lambda x: -x.status.severity)  # worst first, then in rule order
    return Verdict(status, tuple(findings))
