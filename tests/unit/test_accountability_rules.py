"""Each judging rule firing and not firing, as plain functions of the facts."""

from __future__ import annotations

from datetime import date

import pytest

from services.accountability import rules
from services.accountability.rules import (
    ConsequenceFacts,
    CycleFacts,
    DecisionFacts,
    Facts,
    ResponseFacts,
    Tolerances,
)
from shared.contracts import events as ev

Q1 = CycleFacts("2026-Q1", date(2026, 1, 1), date(2026, 3, 21))


def snapshot(**over) -> ev.ActionSnapshot:
    """An open action as the actions service announces it (also used by the integration tests)."""
    data = dict(
        action_id="bc-ap3-1", system="black-country", action_point="AP3",
        title="Independent review of every formal disciplinary involving BME staff",
        accountable_leader="p-leader-1", start_date=date(2026, 1, 1), due_date=date(2026, 12, 31),
        lifecycle="open", percent_complete=0.0, last_update_on=None, last_update_at=None,
        milestones=[ev.MilestoneState(milestone_id="m1", title="Review panel in place", due=date(2026, 3, 31))],
        trajectory=[ev.TrajectoryPoint(by=date(2026, 3, 31), percent=25),
                    ev.TrajectoryPoint(by=date(2026, 6, 30), percent=50)],
        measure=ev.Measure(code="WRES-3", name="Relative likelihood of BME staff entering formal disciplinary",
                           baseline=1.6, target=1.0, range_low=0.8, range_high=1.25, direction="lower_is_better"),
        measure_values=[], narrative=ev.Narrative(), version=1,
    ) | over
    return ev.ActionSnapshot(**data)


def readings(*values: tuple[float, date]) -> list[ev.MeasureValue]:
    return [ev.MeasureValue(value=v, as_of=d) for v, d in values]


def facts(today: date | None = date(2026, 2, 1), **over) -> Facts:
    action = over.pop("action", None) or snapshot(**over.pop("snap", {}))
    return Facts(action=action, today=today, **over)


# ---- milestone passed -----------------------------------------------------------------

def test_a_milestone_whose_date_passed_unmet_is_off_track():
    found = rules.milestone_passed(facts(date(2026, 4, 1)))
    assert found.status == ev.Status.OFF_TRACK
    assert found.message == "Milestone 'Review panel in place' was due on 31 March 2026 and has not been reached."


def test_a_milestone_is_not_late_on_its_own_due_date_nor_when_reached():
    assert rules.milestone_passed(facts(date(2026, 3, 31))) is None
    reached = [ev.MilestoneState(milestone_id="m1", title="Review panel in place", due=date(2026, 3, 31),
                                 state="reached", on=date(2026, 3, 2))]
    assert rules.milestone_passed(facts(date(2026, 4, 1), snap={"milestones": reached})) is None


def test_a_milestone_reported_missed_is_off_track_even_before_its_date_and_before_any_tick():
    missed = [ev.MilestoneState(milestone_id="m1", title="Review panel in place", due=date(2026, 3, 31),
                                state="missed", on=date(2026, 2, 1))]
    found = rules.milestone_passed(facts(None, snap={"milestones": missed}))
    assert found.status == ev.Status.OFF_TRACK
    assert "was reported missed" in found.message


def test_without_a_clock_tick_no_date_has_passed():
    assert rules.milestone_passed(facts(None)) is None
    assert rules.due_date_passed(facts(None)) is None


# ---- due date passed ------------------------------------------------------------------

def test_an_open_action_past_its_due_date_is_off_track():
    found = rules.due_date_passed(facts(date(2027, 1, 1), snap={"percent_complete": 80}))
    assert found.status == ev.Status.OFF_TRACK
    assert found.message == "The action was due to be complete by 31 December 2026 and is 80% complete."


def test_the_due_date_itself_is_not_late_and_a_completed_action_is_never_late():
    assert rules.due_date_passed(facts(date(2026, 12, 31))) is None
    done = rules.judge(facts(date(2027, 6, 1), snap={"lifecycle": "completed"}))
    assert (done.status, done.findings) == (ev.Status.COMPLETED, ())
    gone = rules.judge(facts(date(2027, 6, 1), snap={"lifecycle": "withdrawn"}))
    assert gone.status == ev.Status.WITHDRAWN


# ---- no update in the cycle -----------------------------------------------------------

def test_no_update_by_the_cycle_deadline_is_off_track():
    found = rules.no_update_in_cycle(facts(date(2026, 3, 22), cycle=Q1))
    assert found.status == ev.Status.OFF_TRACK
    assert found.message == ("No progress update in cycle 2026-Q1: updates were due by 21 March 2026 and none "
                             "has been posted since the action was committed.")


def test_an_update_from_the_previous_cycle_does_not_count():
    found = rules.no_update_in_cycle(facts(date(2026, 3, 22), cycle=Q1,
                                           snap={"last_update_on": date(2025, 12, 15)}))
    assert "the last was on 15 December 2025" in found.message


@pytest.mark.parametrize(("today", "over"), [
    (date(2026, 3, 21), {}),  # the deadline day itself
    (date(2026, 3, 22), {"last_update_on": date(2026, 2, 10)}),  # updated in the cycle
    (date(2026, 3, 22), {"start_date": date(2026, 3, 25)}),  # starts after the deadline
])
def test_no_update_does_not_fire(today, over):
    assert rules.no_update_in_cycle(facts(today, cycle=Q1, snap=over)) is None


def test_no_update_needs_a_cycle():
    assert rules.no_update_in_cycle(facts(date(2026, 3, 22))) is None


# ---- behind the trajectory ------------------------------------------------------------

def test_the_plan_runs_from_zero_at_the_start_through_its_points_to_a_hundred_at_the_due_date():
    action = snapshot()
    assert rules.planned_percent(action, date(2025, 12, 1)) == 0
    assert rules.planned_percent(action, date(2026, 3, 31)) == 25
    assert rules.planned_percent(action, date(2026, 5, 15)) == pytest.approx(25 + 25 * 45 / 91)
    assert rules.planned_percent(action, date(2026, 12, 31)) == 100
    assert rules.planned_percent(snapshot(trajectory=[]), date(2026, 5, 1)) is None


@pytest.mark.parametrize(("percent", "status"), [
    (25, None), (15.5, None),  # 9.5 points behind: within the tolerance of 10
    (14, ev.Status.AT_RISK),  # 11 behind
    (0, ev.Status.AT_RISK),  # 25 behind: at risk, not yet more than 25
    (-0.5, ev.Status.OFF_TRACK),
])
def test_behind_trajectory_by_more_than_the_tolerance(percent, status):
    found = rules.behind_trajectory(facts(date(2026, 3, 31), snap={"percent_complete": percent}))
    assert (found.status if found else None) == status


def test_behind_trajectory_says_by_how_much_and_keeps_its_key_while_the_plan_moves():
    monday = rules.behind_trajectory(facts(date(2026, 5, 4), snap={"percent_complete": 20}))
    friday = rules.behind_trajectory(facts(date(2026, 5, 8), snap={"percent_complete": 20}))
    assert monday.message.startswith("20% complete against 34.34% planned by 4 May 2026: 14.34 points behind")
    assert monday.message != friday.message and monday.signature == friday.signature


def test_tolerances_come_from_the_facts():
    strict = Tolerances(trajectory_at_risk_points=1, trajectory_off_track_points=5)
    found = rules.behind_trajectory(facts(date(2026, 3, 31), snap={"percent_complete": 19}, tolerances=strict))
    assert found.status == ev.Status.OFF_TRACK


# ---- measures -------------------------------------------------------------------------

def test_a_reading_outside_the_range_is_at_risk():
    values = readings((1.3, date(2026, 2, 1)))
    found = rules.measure_out_of_range(facts(snap={"measure_values": values}))
    assert found.status == ev.Status.AT_RISK
    assert found.message == ("WRES-3 (Relative likelihood of BME staff entering formal disciplinary) was 1.3 on "
                             "1 February 2026, outside the range 0.8 to 1.25.")


def test_a_reading_inside_the_range_or_no_reading_at_all_is_fine():
    assert rules.measure_out_of_range(facts(snap={"measure_values": readings((1.1, date(2026, 2, 1)))})) is None
    assert rules.measure_out_of_range(facts()) is None
    assert rules.measure_out_of_range(facts(snap={"measure": None})) is None


def test_a_reading_worse_than_the_last_is_at_risk_and_worse_than_the_baseline_off_track():
    worse = readings((1.2, date(2026, 1, 15)), (1.4, date(2026, 2, 15)))
    found = rules.measure_worsening(facts(snap={"measure_values": worse}))
    assert found.status == ev.Status.AT_RISK
    assert "got worse: 1.4 on 15 February 2026 against 1.2 on 15 January 2026 (lower is better)" in found.message
    much_worse = readings((1.2, date(2026, 1, 15)), (1.7, date(2026, 2, 15)))
    found = rules.measure_worsening(facts(snap={"measure_values": much_worse}))
    assert found.status == ev.Status.OFF_TRACK
    assert found.message.endswith("it is now worse than the baseline of 1.6.")


def test_the_first_reading_is_compared_with_the_baseline():
    assert rules.measure_worsening(facts(snap={"measure_values": readings((1.5, date(2026, 2, 1)))})) is None
    found = rules.measure_worsening(facts(snap={"measure_values": readings((1.7, date(2026, 2, 1)))}))
    assert found.status == ev.Status.OFF_TRACK and "against 1.6 at baseline" in found.message


def test_an_improving_measure_is_fine_and_readings_are_taken_in_date_order():
    better = readings((1.2, date(2026, 2, 15)), (1.4, date(2026, 1, 15)))  # listed out of order
    assert rules.measure_worsening(facts(snap={"measure_values": better})) is None


@pytest.mark.parametrize(("direction", "values", "worse"), [
    ("higher_is_better", (0.5, 0.4), True), ("higher_is_better", (0.4, 0.5), False),
    ("towards_target", (0.9, 1.15), True), ("towards_target", (1.2, 0.95), False),
])
def test_which_way_is_worse_follows_the_measure(direction, values, worse):
    m = ev.Measure(code="WRES-2", name="n", baseline=1.0, target=1.0, direction=direction)
    series = readings((values[0], date(2026, 1, 1)), (values[1], date(2026, 2, 1)))
    found = rules.measure_worsening(facts(snap={"measure": m, "measure_values": series}))
    assert (found is not None) == worse


def test_a_worsening_within_the_tolerance_is_not_worse():
    series = readings((1.2, date(2026, 1, 15)), (1.22, date(2026, 2, 15)))
    assert rules.measure_worsening(facts(snap={"measure_values": series},
                                         tolerances=Tolerances(measure_worsening_tolerance=0.05))) is None


# ---- a date set by a Panel decision ---------------------------------------------------

PLAN_DUE = DecisionFacts("d-1", "panel-2026-Q1", "recovery_plan_due", date(2026, 4, 30), date(2026, 3, 26))


def test_a_recovery_plan_due_date_missed_is_off_track():
    found = rules.panel_date_missed(facts(date(2026, 5, 1), decisions=(PLAN_DUE,)))
    assert found.status == ev.Status.OFF_TRACK
    assert found.message == ("At meeting panel-2026-Q1 the Panel asked for a recovery plan with a date of "
                             "30 April 2026; no recovery plan has arrived.")


@pytest.mark.parametrize(("today", "responses"), [
    (date(2026, 4, 30), ()),  # not yet passed
    (date(2026, 5, 1), (ResponseFacts("recovery_plan", date(2026, 4, 20)),)),  # answered in time
    (date(2026, 5, 9), (ResponseFacts("recovery_plan", date(2026, 5, 8)),)),  # answered late: cleared
])
def test_a_panel_date_not_missed(today, responses):
    assert rules.panel_date_missed(facts(today, decisions=(PLAN_DUE,), responses=responses)) is None


def test_only_the_answer_the_panel_asked_for_and_given_after_its_decision_counts():
    explanation = (ResponseFacts("explanation", date(2026, 4, 20)),)
    assert rules.panel_date_missed(facts(date(2026, 5, 1), decisions=(PLAN_DUE,), responses=explanation))
    old_plan = (ResponseFacts("recovery_plan", date(2026, 3, 1)),)
    assert rules.panel_date_missed(facts(date(2026, 5, 1), decisions=(PLAN_DUE,), responses=old_plan))
    challenge = DecisionFacts("d-2", "panel-2026-Q1", "challenge_issued", date(2026, 4, 30), date(2026, 3, 26))
    assert rules.panel_date_missed(facts(date(2026, 5, 1), decisions=(challenge,), responses=explanation)) is None


def test_a_decision_without_a_date_is_never_missed():
    support = DecisionFacts("d-3", "panel-2026-Q1", "support_offered", None, date(2026, 3, 26))
    assert rules.panel_date_missed(facts(date(2027, 1, 1), decisions=(support,))) is None


AGREED = ConsequenceFacts("c-1", follow_up_by=date(2026, 5, 15), agreed_on=date(2026, 4, 10))


def test_a_board_consequence_whose_follow_up_date_passed_without_an_answer_is_off_track():
    assert rules.board_follow_up_missed(facts(date(2026, 5, 15), consequences=(AGREED,))) is None  # the day itself
    found = rules.board_follow_up_missed(facts(date(2026, 5, 16), consequences=(AGREED,)))
    assert found is not None and (found.status, found.key) == ("off_track", "c-1")
    assert found.message == ("On 10 April 2026 the People Board agreed a consequence to be followed up by "
                             "15 May 2026; no response has arrived.")


def test_an_answer_after_the_board_agreed_its_consequence_clears_the_follow_up_and_one_before_does_not():
    late = (ResponseFacts("recovery_plan", date(2026, 5, 20)),)
    before = (ResponseFacts("explanation", date(2026, 4, 1)),)
    assert rules.board_follow_up_missed(facts(date(2026, 5, 21), consequences=(AGREED,), responses=late)) is None
    assert rules.board_follow_up_missed(facts(date(2026, 5, 21), consequences=(AGREED,), responses=before))


# ---- slipping cycle after cycle -------------------------------------------------------

AT_RISK_NOW = {"percent_complete": 10}  # 15 points behind plan on 31 March


def test_slipping_again_after_slipping_last_cycle_is_off_track():
    verdict = rules.judge(facts(date(2026, 3, 31), snap=AT_RISK_NOW, previous_cycles=(("2025-Q4", True),)))
    assert verdict.status == ev.Status.OFF_TRACK
    assert [f.rule for f in verdict.findings] == ["repeated_slip", "behind_trajectory"]
    assert verdict.findings[0].message == "Slipping for the second cycle running: it also slipped in 2025-Q4."


def test_three_cycles_running_are_counted():
    found = rules.repeated_slip(facts(previous_cycles=(("2025-Q4", True), ("2025-Q3", True), ("2025-Q2", False))),
                                ev.Status.AT_RISK)
    assert found.message == "Slipping for the third cycle running: it also slipped in 2025-Q3 and 2025-Q4."


@pytest.mark.parametrize(("previous", "status"), [
    ((("2025-Q4", False), ("2025-Q3", True)), ev.Status.AT_RISK),  # last cycle was fine
    ((("2025-Q4", True),), ev.Status.ON_TRACK),  # fine now
    ((), ev.Status.OFF_TRACK),  # first cycle
])
def test_repeated_slip_does_not_fire(previous, status):
    assert rules.repeated_slip(facts(previous_cycles=previous), status) is None


def test_how_many_cycles_make_a_repeat_is_a_tolerance():
    three = Tolerances(repeat_slip_cycles=3)
    assert rules.repeated_slip(facts(previous_cycles=(("2025-Q4", True),), tolerances=three),
                               ev.Status.AT_RISK) is None


# ---- the verdict ----------------------------------------------------------------------

def test_an_action_with_nothing_against_it_is_on_track():
    verdict = rules.judge(facts(date(2026, 3, 31), snap={"percent_complete": 25}))
    assert (verdict.status, verdict.findings) == (ev.Status.ON_TRACK, ())


def test_the_status_is_the_worst_finding_and_the_reasons_come_worst_first():
    values = readings((1.3, date(2026, 4, 1)))
    verdict = rules.judge(facts(date(2026, 4, 1), cycle=Q1,
                                snap={"percent_complete": 10, "measure_values": values}))
    assert verdict.status == ev.Status.OFF_TRACK
    assert [(f.rule, f.status) for f in verdict.findings] == [
        ("milestone_passed", ev.Status.OFF_TRACK), ("no_update_in_cycle", ev.Status.OFF_TRACK),
        ("behind_trajectory", ev.Status.AT_RISK), ("measure_out_of_range", ev.Status.AT_RISK)]
    assert all(r.message for r in verdict.reasons)


# ---- measures judged against their 95 % interval, small numbers never quoted ------------------

def _reading(value: float, low: float | None, high: float | None, **counts: int) -> ev.MeasureValue:
    return ev.MeasureValue(value=value, low=low, high=high, as_of=date(2026, 2, 1),
                           counts=ev.Counts(**counts) if counts else None)


def test_a_ratio_outside_the_range_whose_interval_includes_it_is_not_yet_significant_in_words():
    found = rules.measure_out_of_range(facts(snap={"measure_values": [_reading(1.3, 0.95, 1.78)]}))
    assert found.status == ev.Status.ON_TRACK
    assert found.rule == "measure_not_yet_significant"
    assert found.message == (
        "WRES-3 (Relative likelihood of BME staff entering formal disciplinary) was 1.3 (95% interval 0.95 to 1.78) "
        "on 1 February 2026, outside the range 0.8 to 1.25, but its 95% interval reaches into the range: "
        "not yet significant.")
    assert rules.judge(facts(snap={"measure_values": [_reading(1.3, 0.95, 1.78)]})).status == ev.Status.ON_TRACK


def test_a_ratio_whose_whole_interval_is_outside_the_range_is_at_risk():
    found = rules.measure_out_of_range(facts(snap={"measure_values": [_reading(1.62, 1.4, 1.88)]}))
    assert found.status == ev.Status.AT_RISK
    assert found.message.endswith("outside the range 0.8 to 1.25, and so is its whole 95% interval.")


def test_a_figure_from_fewer_than_five_people_is_judged_but_never_quoted():
    small = _reading(3.0, 1.3, 6.9, bme_numerator=4, bme_denominator=100, white_numerator=12,
                     white_denominator=900)
    found = rules.measure_out_of_range(facts(snap={"measure_values": [small]}))
    assert found.status == ev.Status.AT_RISK
    assert found.message == (
        "WRES-3 (Relative likelihood of BME staff entering formal disciplinary): the reading of 1 February 2026 is "
        "outside the range 0.8 to 1.25 (its figure is not published: it comes from fewer than 5 people), and so is "
        "its whole 95% interval.")


def test_a_figure_from_fewer_than_five_people_is_never_compared_with_another():
    hidden = _reading(0.3, 0.1, 1.0, bme_numerator=3, bme_denominator=160, white_numerator=52,
                      white_denominator=905)
    earlier = _reading(1.1, 0.9, 1.3).model_copy(update={"as_of": date(2026, 1, 20)})  # 0.3 would be worse
    assert rules.measure_worsening(facts(snap={"measure_values": [earlier, hidden]})) is None
