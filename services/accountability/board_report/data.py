"""What the Board's report shows, built from the read API's answers: pure, no I/O.

``build_report_data`` takes ``/cycle-summary`` answers (latest first, as ``/cycles`` lists
them) and ``/status``, and returns a ``ReportData`` that the page and its charts are drawn
from. Every word about statuses, ladder steps, Panel decisions and dates comes from the one
vocabulary (``shared.contracts.vocabulary``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.contracts.vocabulary import DECISION_WORDS, LadderStep, Status, date_in_words, decision_words
from shared.reference import ReferenceData

from .measures import MeasureTrend, build_measures
from .palette import CELL_FILL, NO_ACTIONS_FILL
from .plans import plan_lines, recovery_words, stopping_lines, who_says_lines

CHART_ORDER = ("completed", "on_track", "at_risk", "off_track")  # bottom to top of a stacked bar
TREND_CYCLES = 8  # the last two years of quarterly cycles fit a page width

# What the "what was done" chart counts when an escalation reaches a rung.
_ESCALATED = {LadderStep.LEADER_ASKED: "Leaders asked to explain", LadderStep.PANEL_AGENDA: "Put on the Panel's agenda",
              LadderStep.PEOPLE_BOARD: "Sent to the People Board"}


class ReportError(Exception):
    """The report cannot be made: the message says why, in words for whoever ran it."""


def _status(value: str | None) -> Status | None:
    if value is None:
        return None
    try:
        return Status(value)
    except ValueError:
        return None


def _step(value: str | None) -> LadderStep | None:
    if value is None:
        return None
    try:
        return LadderStep(value)
    except ValueError:
        return None


def severity(value: str | None) -> int:
    """The vocabulary's severity of a status (higher is worse); 0 for none or an unknown one."""
    found = _status(value)
    return found.severity if found is not None else 0


def panel_did(kind: str) -> str:
    """'Panel asked for a recovery plan': what the Panel decided, as a sentence's start."""
    return f"Panel {decision_words(kind)}" if kind else "Panel decision"


# ---- what the report shows ---------------------------------------------------------------

@dataclass(frozen=True)
class HeatCell:
    status: Status | None  # the worst status of the cell's actions; None: no actions
    counts: dict[str, int]
    total: int

    @property
    def fill(self) -> str:
        return CELL_FILL[self.status] if self.status else NO_ACTIONS_FILL

    @property
    def label(self) -> str:
        if not self.total:
            return "no actions"
        parts = [f"{n} {Status(s).words}" for s, n in sorted(self.counts.items(), key=lambda kv: -severity(kv[0]))
                 if n]
        return ", ".join(parts)


@dataclass(frozen=True)
class HeatRow:
    system_id: str
    name: str
    cells: list[HeatCell]


@dataclass(frozen=True)
class Heatmap:
    columns: list[tuple[str, str]]  # (action point id, its name)
    rows: list[HeatRow]


@dataclass(frozen=True)
class DoneEntry:
    on: str
    kind: str  # escalation | response | decision
    text: str


@dataclass(frozen=True)
class Flag:
    """A status change to at risk or off track as it was raised, with the reasons kept then."""

    on: str
    status: str
    reasons: list[dict[str, Any]]


def _figure(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return "none" if value is None else str(value)


def provenance(reason: dict[str, Any]) -> str:
    """Which rule, in which version, with which settings, judging which inputs, in a line."""
    version = reason.get("rule_version")
    text = f"Rule {reason.get('rule', '?')}" + (f", version {version}" if version else " (version not recorded)")
    if settings := reason.get("settings"):
        text += "; settings in force: " + ", ".join(f"{k} {_figure(v)}" for k, v in settings.items())
    if inputs := reason.get("inputs"):
        text += "; judged: " + ", ".join(f"{k} {_figure(v)}" for k, v in inputs.items())
    return text + "."


@dataclass(frozen=True)
class SlippingAction:
    action_id: str
    title: str
    system: str
    action_point: str
    status: str
    worst_status: str
    reasons: list[dict[str, Any]]
    done: list[DoneEntry]
    flags: list[Flag] = field(default_factory=list)
    plan: list[str] = field(default_factory=list)  # promised first, now, who approved, the slip
    who_says: list[str] = field(default_factory=list)  # the status and milestones reached: reported or verified
    stopping_progress: list[str] = field(default_factory=list)  # as its updates said it, dated

    @property
    def recovered(self) -> bool:
        return self.status not in ("at_risk", "off_track")


@dataclass(frozen=True)
class LadderRow:
    action_id: str
    title: str
    system: str
    highest_step: LadderStep
    resolved: bool
    decisions: list[DoneEntry]


@dataclass(frozen=True)
class TrendPoint:
    cycle_id: str
    counts: dict[str, int]
    slipped: int
    final: bool
    rebaselines: tuple[int, int] = (0, 0)  # approved, refused by the Panel in the cycle
    recovered: int = 0  # flagged actions back on track (or completed) within the cycle, and the median
    days_to_recover: int | None = None  # days from each one's first flag in the cycle to its recovery
    time_to_recover: str = "none recovered"  # the two in words: '3 weeks (2 actions)'

    @property
    def total(self) -> int:
        return sum(self.counts.get(s, 0) for s in CHART_ORDER)


@dataclass(frozen=True)
class WorkedAction:
    action_id: str
    title: str
    system: str
    action_point: str
    why: list[str]
    what_is_working: str
    what_was_done: str = ""
    what_changed: str = ""
    evidence: str = ""


@dataclass(frozen=True)
class ReportData:
    cycle_id: str
    opens_on: str
    closes_on: str
    submission_deadline: str
    final: bool
    as_of: str
    totals: dict[str, int]
    heatmap: Heatmap
    slipping: list[SlippingAction]
    ladder: list[LadderRow]
    done_counts: list[tuple[str, int]]
    trends: list[TrendPoint]
    worked: list[WorkedAction]
    title: str = field(default="")
    measures: list[MeasureTrend] = field(default_factory=list)

    @property
    def heading(self) -> str:
        return self.title or f"People Board report: cycle {self.cycle_id}"


# ---- building it ----------------------------------------------------------------------------

def _names(groups: Sequence[dict[str, Any]]) -> dict[str, str]:
    return {g["id"]: g.get("name") or g["id"] for g in groups}


def build_heatmap(status: dict[str, Any], system_names: dict[str, str],
                  point_names: dict[str, str]) -> Heatmap:
    """Every system (a row) by every action point (a column), each cell coloured by its worst action."""
    # Withdrawn actions are no longer the system's to deliver; unjudged ones have no colour yet.
    actions = [a for a in status.get("actions", []) if a.get("status") not in (None, "withdrawn")]
    systems = dict(system_names)
    points = dict(point_names)
    for a in actions:
        systems.setdefault(a["system"], a["system"])
        points.setdefault(a["action_point"], a["action_point"])
    columns = sorted(points.items())
    rows = []
    for sid, sname in sorted(systems.items(), key=lambda kv: kv[1]):
        cells = []
        for pid, _ in columns:
            members = [a["status"] for a in actions if a["system"] == sid and a["action_point"] == pid]
            cells.append(HeatCell(status=Status.worst(members), counts=dict(Counter(members)), total=len(members)))
        rows.append(HeatRow(system_id=sid, name=sname, cells=cells))
    return Heatmap(columns=columns, rows=rows)


def _escalation(kind: str, entry: dict[str, Any]) -> str:
    step = _step(entry.get("step"))
    done = step.past if step is not None else entry.get("step") or ""
    by = f" (answer by {date_in_words(entry['respond_by'])})" if entry.get("respond_by") else ""
    return {"raised": f"Escalated: {done}{by}", "stepped": f"Escalation stepped up: {done}{by}",
            "resolved": "Escalation closed: the action is back on track"}.get(kind, f"Escalation {kind}")


def describe(entry: dict[str, Any]) -> DoneEntry:
    """One history entry (escalation, leader's response, Panel decision) as a sentence."""
    what = entry.get("what", "")
    on = date_in_words(entry.get("on"))
    if what.startswith("escalation"):
        return DoneEntry(on, "escalation", _escalation(what.removeprefix("escalation ").strip(), entry))
    if what == "panel decision":
        text = panel_did(entry.get("kind", ""))
        if entry.get("due_date"):
            text += f", due by {date_in_words(entry['due_date'])}"
        if entry.get("note"):
            text += f": {entry['note']}"
        return DoneEntry(on, "decision", text)
    acted_for = f" from {entry.get('from')}, covering for {entry['for']}" if entry.get("for") else ""
    if what == "recovery plan":
        by = f" (back on track by {date_in_words(entry['recover_by'])})" if entry.get("recover_by") else ""
        return DoneEntry(on, "response", f"Recovery plan received{acted_for}{by}: {entry.get('text', '')}")
    if what == "explanation":
        return DoneEntry(on, "response", f"Explanation received{acted_for}: {entry.get('text', '')}")
    if what == "cover arranged":
        return DoneEntry(on, "response", f"{entry.get('for')} named {entry.get('cover')} to cover for them "
                                         f"({entry.get('scope')}) from {date_in_words(entry.get('starts_on'))} to "
                                         f"{date_in_words(entry.get('ends_on'))}")
    if what == "board consequence":
        by = date_in_words(entry.get("follow_up_by"))
        return DoneEntry(on, "decision", f"The People Board agreed a consequence, followed up by {by}: "
                                         f"{entry.get('consequence', '')}")
    if what.startswith("staff network") or what in ("more time asked", "flag contested"):
        return DoneEntry(on, "response", f"{what.capitalize()}: {entry.get('text', '')}")
    return DoneEntry(on, "other", what)


def _slip_order(a: dict[str, Any]) -> tuple[Any, ...]:
    # Worst first: off track now, then at risk now, then those that slipped and recovered;
    # within that, the worse the cycle went and the more reasons off track, the higher.
    off_reasons = sum(r.get("status") == "off_track" for r in a.get("reasons", []))
    now = _status(a["status"])
    return (-now.severity if now is not None and now.slipping else 0,
            -severity(a.get("worst_status")), -off_reasons, a["action_id"])


def _ladder(slipped: list[dict[str, Any]], system_names: dict[str, str]) -> list[LadderRow]:
    rows = []
    for a in slipped:
        history = a.get("done_about_it", [])
        steps = [step for h in history if h.get("what", "").startswith("escalation")
                 and (step := _step(h.get("step"))) is not None]
        if not steps:
            continue
        rows.append(LadderRow(
            action_id=a["action_id"], title=a["title"], system=system_names.get(a["system"], a["system"]),
            highest_step=max(steps, key=lambda s: s.rung),
            resolved=any(h.get("what") == "escalation resolved" for h in history),
            decisions=[describe(h) for h in history if h.get("what") == "panel decision"]))
    rows.sort(key=lambda r: (r.resolved, -r.highest_step.rung, r.action_id))
    return rows


def _done_counts(slipped: list[dict[str, Any]]) -> list[tuple[str, int]]:
    found: Counter[str] = Counter()
    for a in slipped:
        for h in a.get("done_about_it", []):
            what = h.get("what", "")
            if what in ("escalation raised", "escalation stepped"):
                step = _step(h.get("step"))
                found[_ESCALATED[step] if step is not None else "Escalated"] += 1
            elif what == "escalation resolved":
                found["Escalations closed (recovered)"] += 1
            elif what == "explanation":
                found["Explanations received"] += 1
            elif what == "recovery plan":
                found["Recovery plans received"] += 1
            elif what == "panel decision":
                found[panel_did(h.get("kind", ""))] += 1
    order = ["Leaders asked to explain", "Explanations received", "Recovery plans received",
             "Put on the Panel's agenda", *(panel_did(kind) for kind in DECISION_WORDS), "Sent to the People Board",
             "Escalations closed (recovered)"]
    return sorted(found.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))


def _pick(summaries: list[dict[str, Any]], cycle_id: str | None) -> int:
    ids = [s["cycle_id"] for s in summaries]
    if cycle_id is not None and cycle_id not in ids:
        known = f"the cycles are {', '.join(ids)}" if ids else "no cycle has opened yet"
        raise ReportError(f"no summary for cycle {cycle_id!r}; {known}")
    if not summaries:
        raise ReportError("no cycle summaries: the accountability service has not opened a cycle yet")
    return ids.index(cycle_id) if cycle_id is not None else 0


def _trends(history: list[dict[str, Any]]) -> list[TrendPoint]:
    def point(s: dict[str, Any], t: dict[str, Any]) -> TrendPoint:
        return TrendPoint(cycle_id=s["cycle_id"], counts={k: int(t.get(k, 0)) for k in CHART_ORDER},
                          slipped=int(t.get("slipped", 0)), final=bool(s.get("final")),
                          rebaselines=(int(t.get("rebaselines_approved", 0)), int(t.get("rebaselines_refused", 0))),
                          recovered=int(t.get("recovered", 0)), days_to_recover=t.get("median_days_to_recover"),
                          time_to_recover=recovery_words(int(t.get("recovered", 0)), t.get("median_days_to_recover")))
    return [point(s, s.get("totals", {})) for s in history]


def _practice_badges(g: dict[str, Any]) -> list[str]:
    badges = [f"endorsed by the Panel on {date_in_words(g.get('reviewed_on'))}"]
    if g.get("award_status"):
        badges.append(f"{g.get('award_scheme') or 'MIDAS'}: {g['award_status'].replace('_', ' ')}")
    return badges


def build_report_data(summaries: list[dict[str, Any]], status: dict[str, Any], *,
                      cycle_id: str | None = None, reference: ReferenceData | None = None,
                      title: str = "") -> ReportData:
    """The report for one cycle (default: the first summary, i.e. the latest) from the read API's answers.

    ``summaries`` are ``/cycle-summary`` answers, latest first as ``/cycles`` lists them; the
    trend runs over the reported cycle and the ones before it. ``status`` is ``/status``.
    """
    index = _pick(summaries, cycle_id)
    summary = summaries[index]

    system_names = {**_names(status.get("by_system", [])), **_names(summary.get("by_system", []))}
    point_names = {**_names(status.get("by_action_point", [])), **_names(summary.get("by_action_point", []))}
    if reference is not None:
        system_names.update({k: v.name for k, v in reference.systems.items()})
        point_names.update({k: v.name for k, v in reference.action_points.items()})

    slipped = sorted(summary.get("slipped", []), key=_slip_order)
    slipping = [SlippingAction(
        action_id=a["action_id"], title=a["title"], system=system_names.get(a["system"], a["system"]),
        action_point=point_names.get(a["action_point"], a["action_point"]), status=a["status"],
        worst_status=a.get("worst_status", a["status"]), reasons=list(a.get("reasons", [])),
        done=[describe(h) for h in a.get("done_about_it", [])],
        flags=[Flag(date_in_words(f.get("on")), f["status"], list(f.get("reasons", []))) for f in a.get("flags", [])],
        plan=plan_lines(a.get("plan")), who_says=who_says_lines(a.get("who_says")),
        stopping_progress=stopping_lines(a.get("stopping_progress", [])),
    ) for a in slipped]

    # What worked: the practice the Panel endorsed in the cycle, in its nominators' words (not every
    # action that happened to stay on track).
    worked = [WorkedAction(
        action_id=g["action_id"], title=g["title"], system=system_names.get(g["system"], g["system"]),
        action_point=point_names.get(g["action_point"], g["action_point"]), why=_practice_badges(g),
        what_is_working="", what_was_done=g["what_was_done"], what_changed=g["what_changed"],
        evidence=g.get("evidence", "")) for g in summary.get("good_practice", [])]
    return ReportData(
        cycle_id=summary["cycle_id"], opens_on=date_in_words(summary.get("opens_on")),
        closes_on=date_in_words(summary.get("closes_on")),
        submission_deadline=date_in_words(summary.get("submission_deadline")),
        final=bool(summary.get("final")), as_of=date_in_words(status.get("as_of") or summary.get("as_of")),
        totals={k: int(v) for k, v in summary.get("totals", {}).items() if v is not None},
        heatmap=build_heatmap(status, system_names, point_names),
        slipping=slipping, ladder=_ladder(slipped, system_names), done_counts=_done_counts(slipped),
        trends=_trends(list(reversed(summaries[index:index + TREND_CYCLES]))),  # oldest first, left to right
        worked=worked, title=title, measures=build_measures(status.get("measures", []), system_names))
