"""Every flag explains itself for good: the rule, its version, the settings in force and the
inputs it judged travel with each reason, and a reason once made does not depend on the
settings read later."""

from __future__ import annotations

from datetime import date

from services.accountability import rules
from services.accountability.rules import CycleFacts, DecisionFacts, Tolerances
from shared.contracts import events as ev

from .test_accountability_rules import facts, readings

Q1 = CycleFacts("2026-Q1", date(2026, 1, 1), date(2026, 3, 21))


def test_a_trajectory_flag_records_its_rule_version_the_tolerances_in_force_and_the_figures_it_judged():
    found = rules.behind_trajectory(facts(date(2026, 3, 31), snap={"percent_complete": 10.0}))
    reason = found.reason()
    assert (reason.rule, reason.rule_version) == ("behind_trajectory", rules.RULE_VERSIONS["behind_trajectory"])
    assert reason.settings == {"trajectory_at_risk_points": 10.0, "trajectory_off_track_points": 25.0}
    assert reason.inputs == {"today": "2026-03-31", "percent_complete": 10.0, "planned_percent": 25.0,
                             "points_behind": 15.0, "start_date": "2026-01-01", "due_date": "2026-12-31"}


def test_the_same_action_judged_under_another_setting_says_which_setting_judged_it():
    strict = Tolerances(trajectory_at_risk_points=5.0)
    before = rules.judge(facts(date(2026, 3, 31), snap={"percent_complete": 18.0})).reasons
    after = rules.judge(facts(date(2026, 3, 31), snap={"percent_complete": 18.0}, tolerances=strict)).reasons
    assert before == []  # 7 points behind is within the 10 allowed then
    assert [r.settings["trajectory_at_risk_points"] for r in after] == [5.0]
    assert "more than 5 allowed" in after[0].message


def test_a_reason_is_plain_data_that_survives_its_settings_changing():
    """What is stored is the reason itself (rule, version, settings, inputs), never a pointer
    to today's settings: reading it back gives what was decided then."""
    reason = rules.behind_trajectory(facts(date(2026, 3, 31), snap={"percent_complete": 10.0})).reason()
    stored = reason.model_dump(mode="json")
    assert ev.Reason.model_validate(stored) == reason
    assert stored["settings"]["trajectory_at_risk_points"] == 10.0


def test_a_reason_from_before_versions_were_recorded_still_reads():
    old = ev.Reason.model_validate({"rule": "milestone_passed", "status": "off_track", "message": "Late."})
    assert (old.rule_version, old.settings, old.inputs) == (None, {}, {})


def test_every_rule_has_a_version():
    # repeated_slip is judged over the others; measure_out_of_range also finds "not yet significant"
    names = {rule.__name__ for rule in rules.RULES} | {"repeated_slip", "measure_not_yet_significant"}
    assert names == set(rules.RULE_VERSIONS)


def test_milestone_and_due_date_flags_record_the_dates_they_judged():
    late = rules.judge(facts(date(2027, 1, 2), snap={"percent_complete": 90.0, "trajectory": []}))
    by_rule = {r.rule: r for r in late.reasons}
    assert by_rule["milestone_passed"].inputs == {"today": "2027-01-02", "m1 due": "2026-03-31", "m1 state": "open"}
    assert by_rule["due_date_passed"].inputs == {"today": "2027-01-02", "due_date": "2026-12-31",
                                                 "percent_complete": 90.0}


def test_no_update_records_the_cycle_its_deadline_and_the_last_update():
    reason = rules.no_update_in_cycle(facts(date(2026, 3, 22), cycle=Q1)).reason()
    assert reason.inputs == {"today": "2026-03-22", "cycle": "2026-Q1", "cycle_opens_on": "2026-01-01",
                             "submission_deadline": "2026-03-21", "last_update_on": None}


def test_measure_flags_record_the_readings_and_the_tolerance():
    values = readings((1.3, date(2026, 1, 15)), (1.7, date(2026, 2, 15)))
    found = rules.judge(facts(date(2026, 3, 1), snap={"measure_values": values, "trajectory": [],
                                                      "milestones": []}))
    by_rule = {r.rule: r for r in found.reasons}
    assert by_rule["measure_worsening"].settings == {"measure_worsening_tolerance": 0.0}
    assert by_rule["measure_worsening"].inputs == {
        "measure": "WRES-3", "direction": "lower_is_better", "value": 1.7, "as_of": "2026-02-15",
        "previous": 1.3, "previous_as_of": "2026-01-15", "baseline": 1.6}
    assert by_rule["measure_out_of_range"].inputs == {"measure": "WRES-3", "value": 1.7, "as_of": "2026-02-15",
                                                      "range_low": 0.8, "range_high": 1.25}


def test_a_panel_date_flag_records_the_decision_dates():
    decision = DecisionFacts("d1", "2026-Q1-panel", "recovery_plan_due", date(2026, 4, 10), date(2026, 3, 30))
    reason = rules.panel_date_missed(facts(date(2026, 4, 11), decisions=(decision,))).reason()
    assert reason.inputs == {"today": "2026-04-11", "d1 due": "2026-04-10", "d1 recorded_on": "2026-03-30"}


def test_a_repeated_slip_records_how_many_cycles_make_a_repeat_and_which_cycles_slipped():
    f = facts(date(2026, 4, 20), previous_cycles=(("2026-Q1", True),), snap={"percent_complete": 0.0})
    reason = next(r for r in rules.judge(f).reasons if r.rule == "repeated_slip")
    assert reason.settings == {"repeat_slip_cycles": 2}
    assert reason.inputs == {"status_now": "off_track", "also_slipped_in": "2026-Q1"}
