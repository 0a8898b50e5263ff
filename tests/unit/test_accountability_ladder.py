"""The escalation ladder as pure functions: up, down, grace periods and pauses."""

from __future__ import annotations

from datetime import date

import pytest

from services.accountability import ladder
from services.accountability.ladder import Escalation, Grace, Move
from shared.contracts.events import LadderStep, Status

G = Grace(leader_asked=14, panel_agenda=28, people_board=21, explanation=10, recovery_plan=30, improvement=7,
          unacknowledged=2)
APR1 = date(2026, 4, 1)


def asked(**over) -> Escalation:
    data = dict(escalation_id="a1/escalation-1", action_id="a1", episode=1, step=LadderStep.LEADER_ASKED,
                step_on=APR1, respond_by=date(2026, 4, 15), best_percent=20.0) | over
    return Escalation(**data)


def test_going_off_track_asks_the_leader_with_the_leaders_grace():
    assert ladder.decide(None, Status.OFF_TRACK, APR1, G) == Move("raised", LadderStep.LEADER_ASKED, None,
                                                                  date(2026, 4, 15))


@pytest.mark.parametrize("status", [Status.ON_TRACK, Status.AT_RISK, Status.COMPLETED])
def test_nothing_is_raised_unless_off_track(status):
    assert ladder.decide(None, status, APR1, G) is None


def test_nothing_moves_without_a_date():
    assert ladder.decide(None, Status.OFF_TRACK, None, G) is None


def test_the_leader_step_climbs_to_the_panel_only_after_its_grace_period():
    assert ladder.decide(asked(), Status.OFF_TRACK, date(2026, 4, 15), G) is None  # the last day of grace
    assert ladder.decide(asked(), Status.OFF_TRACK, date(2026, 4, 16), G) == Move(
        "stepped", LadderStep.PANEL_AGENDA, LadderStep.LEADER_ASKED, date(2026, 5, 14))


def test_an_explanation_or_a_recovery_plan_pauses_the_climb_for_its_own_grace():
    explained = ladder.on_response(asked(), "explanation", date(2026, 4, 10), G)
    assert explained.paused_until == date(2026, 4, 20)
    assert ladder.decide(explained, Status.OFF_TRACK, date(2026, 4, 20), G) is None
    assert ladder.decide(explained, Status.OFF_TRACK, date(2026, 4, 21), G).step == LadderStep.PANEL_AGENDA
    planned = ladder.on_response(explained, "recovery_plan", date(2026, 4, 12), G)
    assert planned.paused_until == date(2026, 5, 12)


def test_a_response_never_shortens_a_pause_or_the_grace():
    early = ladder.on_response(asked(), "explanation", date(2026, 4, 1), G)
    assert early.holds_until() == date(2026, 4, 15)  # grace is longer than this pause
    later = ladder.on_response(ladder.on_response(asked(), "recovery_plan", date(2026, 4, 2), G),
                               "explanation", date(2026, 4, 3), G)
    assert later.paused_until == date(2026, 5, 2)


def test_reported_progress_beyond_the_best_so_far_is_an_improvement_that_pauses_the_climb():
    improved = ladder.on_progress(asked(), 30.0, date(2026, 4, 14), G)
    assert (improved.paused_until, improved.best_percent) == (date(2026, 4, 21), 30.0)
    assert ladder.decide(improved, Status.OFF_TRACK, date(2026, 4, 16), G) is None
    assert ladder.on_progress(asked(), 20.0, date(2026, 4, 14), G) == asked()  # no better than before


def test_an_unacknowledged_notice_never_brings_forward_the_date_the_leader_was_told():
    silent = ladder.on_unacknowledged(asked(), date(2026, 4, 3), G)
    assert silent.hurry_by == date(2026, 4, 5)  # recorded
    assert ladder.decide(silent, Status.OFF_TRACK, date(2026, 4, 15), G) is None  # the date told holds
    assert ladder.decide(silent, Status.OFF_TRACK, date(2026, 4, 16), G).step == LadderStep.PANEL_AGENDA


def test_unacknowledged_notices_can_be_ignored_and_never_hurry_the_panel():
    off = Grace(unacknowledged=None)
    assert ladder.on_unacknowledged(asked(), date(2026, 4, 3), off) == asked()
    on_panel = asked(step=LadderStep.PANEL_AGENDA)
    assert ladder.on_unacknowledged(on_panel, date(2026, 4, 3), G) == on_panel


def test_the_panel_and_board_steps_do_not_climb_by_time():
    on_panel = asked(step=LadderStep.PANEL_AGENDA, respond_by=date(2026, 5, 1))
    assert ladder.decide(on_panel, Status.OFF_TRACK, date(2027, 1, 1), G) is None


def test_a_panel_referral_takes_a_slipping_action_to_the_people_board():
    on_panel = asked(step=LadderStep.PANEL_AGENDA)
    assert ladder.refer_to_board(on_panel, Status.OFF_TRACK, date(2026, 5, 1), G) == Move(
        "stepped", LadderStep.PEOPLE_BOARD, LadderStep.PANEL_AGENDA, date(2026, 5, 22))
    assert ladder.refer_to_board(None, Status.AT_RISK, date(2026, 5, 1), G).kind == "raised"
    assert ladder.refer_to_board(on_panel, Status.ON_TRACK, date(2026, 5, 1), G) is None
    assert ladder.refer_to_board(asked(step=LadderStep.PEOPLE_BOARD), Status.OFF_TRACK, APR1, G) is None


def test_improving_to_at_risk_steps_down_one_rung_at_a_time():
    board = asked(step=LadderStep.PEOPLE_BOARD)
    assert ladder.decide(board, Status.AT_RISK, date(2026, 6, 1), G) == Move(
        "stepped", LadderStep.PANEL_AGENDA, LadderStep.PEOPLE_BOARD, date(2026, 6, 29))
    on_panel = asked(step=LadderStep.PANEL_AGENDA)
    assert ladder.decide(on_panel, Status.AT_RISK, date(2026, 6, 1), G).step == LadderStep.LEADER_ASKED
    assert ladder.decide(asked(), Status.AT_RISK, date(2026, 6, 1), G) is None  # the bottom rung holds


@pytest.mark.parametrize("status", [Status.ON_TRACK, Status.COMPLETED, Status.WITHDRAWN])
def test_recovering_resolves_the_episode_from_any_rung(status):
    on_panel = asked(step=LadderStep.PANEL_AGENDA)
    assert ladder.decide(on_panel, status, date(2026, 6, 1), G) == Move("resolved", None,
                                                                        LadderStep.PANEL_AGENDA, None)


def test_the_state_after_a_move():
    raised = ladder.after(None, ladder.decide(None, Status.OFF_TRACK, APR1, G), action_id="a1", episode=2,
                          today=APR1, percent=12.0)
    assert (raised.escalation_id, raised.seq, raised.best_percent) == ("a1/escalation-2", 1, 12.0)
    paused = ladder.on_response(asked(), "explanation", APR1, G)
    up = ladder.after(paused, Move("stepped", LadderStep.PANEL_AGENDA, LadderStep.LEADER_ASKED, date(2026, 5, 14)),
                      action_id="a1", episode=1, today=date(2026, 4, 16), percent=20.0)
    assert (up.step, up.seq, up.paused_until, up.step_on) == (LadderStep.PANEL_AGENDA, 2, None, date(2026, 4, 16))
    assert ladder.after(up, Move("resolved", None, LadderStep.PANEL_AGENDA, None), action_id="a1", episode=1,
                        today=date(2026, 5, 1), percent=20.0) is None


def test_escalation_ids_are_derived_from_the_action_and_the_episode():
    assert ladder.escalation_id("bc-ap3-1", 3) == "bc-ap3-1/escalation-3"
