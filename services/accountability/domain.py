"""What the engine decides, with no I/O: the domain room of the accountability service.

The room is this module with ``rules`` (how an action is judged), ``ladder`` (how an
escalation moves), ``cycles`` (the calendar) and ``picture`` (what people read, assembled
from what the database holds). Nothing here reads a clock, a database or the broker: the
engine (``engine.py``) loads the facts through ``persistence``, asks these modules, stores
the answers and queues the events they cause.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from shared.contracts import Event
from shared.contracts import events as ev
from shared.contracts.vocabulary import LadderStep, Status

from . import cover, ladder, rules
from .cycles import Cycle

SOURCE = "accountability"
T = TypeVar("T")
_IDS = uuid.UUID("6f1c3a52-8d0e-4b8f-9a57-3c1d2e4f5a60")


def derived_id(*parts: str) -> uuid.UUID:
    """Emitted events are named after what they announce, so a replay names them the same."""
    return uuid.uuid5(_IDS, "/".join(parts))


@dataclass(frozen=True)
class Clock:
    """The service's time: the latest clock tick (None before the first)."""

    now: datetime | None
    today: date | None
    cycle_id: str | None


def instant(now: datetime) -> datetime:
    """A tick's instant; one without a time zone is UTC."""
    return now if now.tzinfo else now.replace(tzinfo=UTC)


def moves_time(clock: Clock, now: datetime) -> bool:
    """Time never runs backwards: only a later tick moves the clock."""
    return clock.now is None or now > clock.now


def tick_refusal(clock: Clock, tick: ev.Tick, now: datetime, max_step: timedelta,
                 tolerance: timedelta) -> tuple[str, str] | None:
    """Why a tick may not move the clock (a code and a reason), or None. Time never runs backwards: a
    tick more than ``tolerance`` older than the clock is refused (within it, a second clock's or a
    redelivered tick, it is ignored as before). Nor does it leap: a tick more than ``max_step`` ahead
    is refused unless an operator moved time on (``tick.moved_on_by``)."""
    if clock.now is None:
        return None
    if now < clock.now - tolerance:
        return "clock_backwards", (f"a tick at {now.isoformat()} is before the clock's {clock.now.isoformat()}: "
                                   "time never runs backwards")
    if now - clock.now > max_step and tick.moved_on_by is None:
        return "clock_leap", (f"a tick at {now.isoformat()} is {now - clock.now} ahead of the clock's "
                              f"{clock.now.isoformat()}, more than the {max_step} a tick may move it "
                              "(CLOCK_MAX_STEP_DAYS); an operator moves time on with: python -m "
                              "services.platform.clock --advance-to <instant> --by <person id> --reason <why>")
    return None


def judged_already(judged_on: date | None, today: date | None) -> bool:
    """The rules work in days: an action judged on the clock's date (or later) is not judged again."""
    return judged_on is not None and today is not None and judged_on >= today


# ---- an action's status ------------------------------------------------------------------

@dataclass(frozen=True)
class Judged:
    """An action as it is stored: its snapshot and its last verdict."""

    snapshot: ev.ActionSnapshot
    status: Status | None
    seq: int  # status changes announced so far
    since: date | None
    signature: list[list[str]]
    judged_on: date | None


@dataclass(frozen=True)
class StatusUpdate:
    """The action's verdict as it is to be stored, and the change to announce (if any)."""

    status: Status
    reasons: list[ev.Reason]
    signature: list[list[str]]
    seq: int
    since: date | None
    change: ev.StatusChange | None


def status_update(stored: Judged, verdict: rules.Verdict, today: date | None) -> StatusUpdate:
    """A change is announced when the status or what a person should hear about changed
    (the verdict's signature), not when only a message's figures moved."""
    seq, since, change = stored.seq, stored.since, None
    if stored.status != verdict.status or stored.signature != verdict.signature:
        seq += 1
        since = today if stored.status != verdict.status else since
        snap = stored.snapshot
        change = ev.StatusChange(action_id=snap.action_id, system=snap.system, action_point=snap.action_point,
                                 status=verdict.status, previous=stored.status, reasons=verdict.reasons)
    return StatusUpdate(verdict.status, verdict.reasons, verdict.signature, seq, since, change)


def worse_this_cycle(status: Status, worst: str | None) -> bool:
    """Whether ``status`` becomes the action's worst status of the cycle (``worst``: the worst so
    far). Only a slip is worse: on track, completed and withdrawn all count as not slipping, so
    the first of them recorded in a cycle stands until the action slips."""
    return worst is None or (status.slipping and status.severity > Status(worst).severity)


# ---- the ladder ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Climb:
    """What the ladder does for one judgement: the open escalation after any improvement
    (``improved``: it changed and is to be saved), and the move to make, if any."""

    escalation: ladder.Escalation | None
    improved: bool
    move: ladder.Move | None


def climb(esc: ladder.Escalation | None, status: Status, today: date | None, grace: ladder.Grace, *,
          progress: float | None, board_referral: bool) -> Climb:
    """Progress beyond the best so far pauses the climb; a Panel referral goes straight to the
    Board; otherwise the ladder's own move."""
    improved = esc
    if esc is not None and progress is not None and today is not None:
        improved = ladder.on_progress(esc, progress, today, grace)
    move = ladder.refer_to_board(improved, status, today, grace) if board_referral else None
    move = move or ladder.decide(improved, status, today, grace)
    return Climb(improved, improved != esc, move)


def panel_date(move: ladder.Move, cycle: Cycle | None, today: date) -> ladder.Move:
    """At the Panel's rung the leader is asked for an answer in time for the Panel: the date told is
    the eve of the agenda's publication (or of the meeting, once the agenda is out), never later than
    the rung's own grace. The Panel's rung climbs only by a Panel decision, so no date is cut short."""
    if move.step != LadderStep.PANEL_AGENDA or move.respond_by is None or cycle is None:
        return move
    eve = cycle.agenda_on if today < cycle.agenda_on else cycle.meeting_on
    if eve <= today:
        return move
    return replace(move, respond_by=min(move.respond_by, eve - timedelta(days=1)))


MOVE_EVENTS: dict[str, type[Event]] = {"raised": ev.EscalationRaised, "stepped": ev.EscalationStepped,
                                       "resolved": ev.EscalationResolved}


def escalation_step(snap: ev.ActionSnapshot, escalation_id: str, move: ladder.Move, reasons: list[ev.Reason], *,
                    covers: Sequence[str] = (), slip: str | None = None) -> ev.EscalationStep:
    """What an escalation event says: the move, why, how far behind, and who is asked (the
    accountable leader, or the person covering for them, copying the leader)."""
    asked, copied = cover.addressed(snap.accountable_leader, list(covers))
    return ev.EscalationStep(
        escalation_id=escalation_id, action_id=snap.action_id, system=snap.system, action_title=snap.title,
        step=move.step, previous_step=move.previous, reasons=reasons, recipients=asked, copy_to=copied,
        respond_by=move.respond_by, slip=slip)


# ---- the cycle -----------------------------------------------------------------------------

def window(c: Cycle) -> ev.CycleWindow:
    return ev.CycleWindow(cycle_id=c.cycle_id, opens_on=c.opens_on, submission_deadline=c.submission_deadline,
                          closes_on=c.closes_on)


def agenda_due(cycle: Cycle, today: date | None) -> bool:
    """The agenda is published on its day, or on the first tick after it up to the meeting."""
    return today is not None and cycle.agenda_on <= today <= cycle.meeting_on


def agenda_in_parts(meeting_id: str, meets_on: date, chair: str, items: Sequence[ev.AgendaItem]
                    ) -> list[ev.Agenda]:
    """The agenda as the parts it travels in (``ev.AGENDA_ITEMS_PER_PART`` items each, worst first),
    so that however many actions slip no part is too large to read. No items is one empty part: the
    chair is still told there is nothing to consider."""
    size = ev.AGENDA_ITEMS_PER_PART
    chunks = [list(items[i:i + size]) for i in range(0, len(items), size)] or [[]]
    return [ev.Agenda(meeting_id=meeting_id, meets_on=meets_on, chair=chair, items=chunk, part=n, parts=len(chunks))
            for n, chunk in enumerate(chunks, 1)]


# ---- judging many at once ------------------------------------------------------------------

def in_rounds(items: Sequence[T], key: Callable[[T], str]) -> list[list[T]]:
    """``items`` as rounds: round k holds the k-th item of each key, in the items' order. Judging
    round after round judges each action's updates in order, each as it would be judged alone, while
    every round judges many actions at once (no key twice, so no round depends on its own writes)."""
    rounds: list[list[T]] = []
    seen: dict[str, int] = {}
    for item in items:
        k = key(item)
        n = seen.get(k, 0)
        seen[k] = n + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(item)
    return rounds
