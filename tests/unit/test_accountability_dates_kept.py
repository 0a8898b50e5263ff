"""The date told is the date kept: over generated stories (hypothesis), the ladder never climbs
before the last date it gave the leader, whatever silence, answers, progress and slips happen."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.accountability import domain, ladder
from services.accountability.cycles import Cycle
from services.accountability.ladder import Grace
from shared.contracts.vocabulary import LadderStep, Status

G = Grace()
START = date(2026, 1, 5)
DAY = st.sampled_from(["off_track", "at_risk", "on_track", "silence", "explanation", "recovery_plan", "progress",
                       "nothing"])


@settings(max_examples=300, deadline=None)
@given(st.lists(DAY, min_size=1, max_size=90))
def test_no_step_happens_before_the_last_date_told_for_it(days: list[str]) -> None:
    esc: ladder.Escalation | None = None
    status, percent, episode = Status.ON_TRACK, 10.0, 0
    told: date | None = None  # the last date the leader was given for the current rung
    for n, what in enumerate(days):
        today = START + timedelta(days=n)
        if what in ("off_track", "at_risk", "on_track"):
            status = Status(what)
        elif esc is not None and what == "silence":
            esc = ladder.on_unacknowledged(esc, today, G)
        elif esc is not None and what in ("explanation", "recovery_plan"):
            esc = ladder.on_response(esc, what, today, G)  # type: ignore[arg-type]
        elif esc is not None and what == "progress":
            percent += 5
            esc = ladder.on_progress(esc, percent, today, G)
        move = ladder.decide(esc, status, today, G)
        if move is None:
            continue
        if move.kind == "stepped" and move.previous is not None and not move.step.is_below(move.previous):
            assert told is not None and today > told, f"climbed on {today}, told {told}"
        if move.kind == "raised":
            episode += 1
        esc = ladder.after(esc, move, action_id="a", episode=episode, today=today, percent=percent)
        told = move.respond_by


def test_at_the_panels_rung_the_date_told_is_in_time_for_the_agenda():
    cycle = Cycle("2026-Q1", date(2026, 1, 1), date(2026, 3, 31), date(2026, 3, 21), meeting_on=date(2026, 3, 26),
                  agenda_on=date(2026, 3, 23))
    move = ladder.Move("stepped", LadderStep.PANEL_AGENDA, LadderStep.LEADER_ASKED, date(2026, 3, 31))
    assert domain.panel_date(move, cycle, date(2026, 3, 3)).respond_by == date(2026, 3, 22)
    assert domain.panel_date(move, cycle, date(2026, 3, 24)).respond_by == date(2026, 3, 25)
    assert domain.panel_date(move, cycle, date(2026, 3, 27)) == move  # after the meeting: the rung's own grace
