"""The escalation ladder, as pure functions of an escalation's state, a status and a date.

Rungs, lowest first:

1. ``leader_asked``: the accountable leader is asked to explain or send a recovery plan.
2. ``panel_agenda``: the action is on the Panel's agenda and its chair is told.
3. ``people_board``: the Panel referred it to the People Board, which can agree a consequence.

An episode opens (``raised``) when an action goes off track, climbs (``stepped``) when the
leader's grace passes with no answer and no improvement (or the Panel refers it to the
Board), comes down a rung when the action improves to at risk, and closes (``resolved``)
when it is on track, completed or withdrawn. The next slip opens a new episode.

Nothing here reads a clock or a database; ``engine`` stores the state and emits the events.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

from shared.contracts.vocabulary import LadderStep, Status

from .settings import AccountabilitySettings


@dataclass(frozen=True)
class Grace:
    """Days, from the settings of the same names (``*_grace_days``)."""

    leader_asked: int = 14
    panel_agenda: int = 28
    people_board: int = 28
    explanation: int = 14
    recovery_plan: int = 28
    improvement: int = 14
    unacknowledged: int | None = 3

    @classmethod
    def from_settings(cls, s: AccountabilitySettings) -> Grace:
        return cls(s.leader_asked_grace_days, s.panel_agenda_grace_days, s.people_board_grace_days,
                   s.explanation_grace_days, s.recovery_plan_grace_days, s.improvement_grace_days,
                   s.unacknowledged_grace_days)

    def respond_by(self, step: LadderStep, today: date) -> date:
        return today + timedelta(days=getattr(self, step.value))


def one_down(step: LadderStep) -> LadderStep | None:
    """The rung below ``step``; None below the lowest."""
    return next((lower for lower in LadderStep if lower.rung == step.rung - 1), None)


def escalation_id(action_id: str, episode: int) -> str:
    """Derived, so every instance and every replay names an episode the same way."""
    return f"{action_id}/escalation-{episode}"


@dataclass(frozen=True)
class Escalation:
    escalation_id: str
    action_id: str
    episode: int
    step: LadderStep
    step_on: date
    respond_by: date
    paused_until: date | None = None  # an answer or an improvement holds the climb until then
    hurry_by: date | None = None  # an unacknowledged notice was reported: recorded, never acted on early
    best_percent: float = 0.0
    seq: int = 1  # events this episode has had: raised is 1

    def holds_until(self) -> date:
        """The last day the current rung holds: the date the leader was told, or later while an answer
        or an improvement pauses it. Silence never brings it forward (``hurry_by`` is kept as a fact,
        not acted on): the date a person is told is the date kept, and silence is met with reminders."""
        return self.respond_by if self.paused_until is None else max(self.respond_by, self.paused_until)


@dataclass(frozen=True)
class Move:
    kind: Literal["raised", "stepped", "resolved"]
    step: LadderStep | None
    previous: LadderStep | None
    respond_by: date | None


def decide(esc: Escalation | None, status: Status, today: date | None, grace: Grace) -> Move | None:
    """The one move (if any) the ladder makes for an action judged ``status`` on ``today``."""
    if today is None:
        return None
    if esc is None:
        if status == Status.OFF_TRACK:
            return Move("raised", LadderStep.LEADER_ASKED, None, grace.respond_by(LadderStep.LEADER_ASKED, today))
        return None
    if not status.slipping:  # on track, completed or withdrawn
        return Move("resolved", None, esc.step, None)
    if status == Status.AT_RISK:
        lower = one_down(esc.step)
        if lower is None:
            return None
        return Move("stepped", lower, esc.step, grace.respond_by(lower, today))
    if esc.step == LadderStep.LEADER_ASKED and today > esc.holds_until():
        return Move("stepped", LadderStep.PANEL_AGENDA, esc.step, grace.respond_by(LadderStep.PANEL_AGENDA, today))
    return None  # the Panel's and the Board's rungs climb only by a Panel decision


def refer_to_board(esc: Escalation | None, status: Status, today: date | None, grace: Grace) -> Move | None:
    """A Panel decision ``referred_to_board`` takes a slipping action straight to the People Board."""
    if today is None or not status.slipping:
        return None
    if esc is None:
        return Move("raised", LadderStep.PEOPLE_BOARD, None, grace.respond_by(LadderStep.PEOPLE_BOARD, today))
    if esc.step == LadderStep.PEOPLE_BOARD:
        return None
    return Move("stepped", LadderStep.PEOPLE_BOARD, esc.step, grace.respond_by(LadderStep.PEOPLE_BOARD, today))


def after(esc: Escalation | None, move: Move, *, action_id: str, episode: int, today: date,
          percent: float) -> Escalation | None:
    """The escalation once ``move`` is made; None once resolved."""
    if move.kind == "raised":
        assert move.step is not None and move.respond_by is not None
        return Escalation(escalation_id(action_id, episode), action_id, episode, move.step, today,
                          move.respond_by, best_percent=percent)
    assert esc is not None
    if move.kind == "resolved":
        return None
    assert move.step is not None and move.respond_by is not None
    return replace(esc, step=move.step, step_on=today, respond_by=move.respond_by, paused_until=None,
                   hurry_by=None, seq=esc.seq + 1)


def _pause(esc: Escalation, until: date) -> Escalation:
    return replace(esc, paused_until=until if esc.paused_until is None else max(esc.paused_until, until))


def on_response(esc: Escalation, kind: Literal["explanation", "recovery_plan"], today: date,
                grace: Grace) -> Escalation:
    """An explanation or a recovery plan pauses the climb for its grace period."""
    return _pause(esc, today + timedelta(days=getattr(grace, kind)))


def on_progress(esc: Escalation, percent: float, today: date, grace: Grace) -> Escalation:
    """Progress beyond the best seen this episode is an improvement: it pauses the climb too."""
    if percent <= esc.best_percent:
        return esc
    return replace(_pause(esc, today + timedelta(days=grace.improvement)), best_percent=percent)


def on_unacknowledged(esc: Escalation, today: date, grace: Grace) -> Escalation:
    """A notice to the leader went unacknowledged: recorded (``hurry_by``), but the rung still holds
    to the date they were told (``holds_until``)."""
    if grace.unacknowledged is None or esc.step != LadderStep.LEADER_ASKED:
        return esc
    by = today + timedelta(days=grace.unacknowledged)
    return replace(esc, hurry_by=by if esc.hurry_by is None else min(esc.hurry_by, by))
