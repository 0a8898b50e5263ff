"""Baselines: the first plan is kept for good, a change of plan is a request the Panel decides,
and slip is measured against both the plan in force and the original commitment."""

from __future__ import annotations

from datetime import date

from services.accountability import baselines, rights
from services.accountability.baselines import Plan
from shared.contracts import events as ev

from .test_accountability_rules import snapshot

M1 = ev.MilestoneState(milestone_id="m1", title="Review panel in place", due=date(2026, 3, 31))
FIRST = snapshot(due_date=date(2026, 12, 31), trajectory=[], milestones=[M1])
LATER = FIRST.model_copy(update={"version": 2, "milestones": [
    ev.MilestoneState(milestone_id="m1", title="Review panel in place", due=date(2026, 6, 15))]})


def test_the_first_plan_seen_is_the_baseline_and_a_different_one_later_is_a_request():
    assert baselines.what_is_new(None, Plan.of(FIRST)) == "baseline"
    assert baselines.what_is_new(Plan.of(FIRST), Plan.of(FIRST.model_copy(update={"percent_complete": 40.0}))) is None
    assert baselines.what_is_new(Plan.of(FIRST), Plan.of(LATER)) == "request"


def test_a_plan_reads_back_as_it_was_stored():
    assert Plan.from_json(Plan.of(LATER).as_json()) == Plan.of(LATER)


def test_until_the_panel_approves_the_action_is_judged_on_the_plan_in_force():
    judged = baselines.in_force(LATER.model_copy(update={"milestones": [LATER.milestones[0].model_copy(
        update={"state": "reached", "on": date(2026, 5, 1)})]}), Plan.of(FIRST))
    assert judged.milestones[0].due == date(2026, 3, 31)  # the old date...
    assert judged.milestones[0].state == "reached"  # ...with what the system reported of it


def test_a_milestone_the_request_added_is_not_judged_and_one_it_dropped_stays_open():
    dropped = FIRST.model_copy(update={"milestones": [
        ev.MilestoneState(milestone_id="m2", title="Training done", due=date(2026, 9, 1))]})
    judged = baselines.in_force(dropped, Plan.of(FIRST))
    assert [(m.milestone_id, m.state) for m in judged.milestones] == [("m1", "open")]


def test_days_behind_is_the_longest_of_an_overdue_milestone_the_due_date_and_the_trajectory():
    today = date(2026, 6, 16)
    assert baselines.days_behind(LATER, Plan.of(FIRST), today) == 77  # m1 was due 31 March
    assert baselines.days_behind(LATER, Plan.of(LATER), today) == 1  # due 15 June under the new plan
    on_time = LATER.model_copy(update={"percent_complete": 40.0})
    assert baselines.days_behind(on_time, Plan.of(FIRST), date(2026, 3, 1)) == 0
    assert baselines.days_behind(LATER, Plan.of(FIRST), None) == 0


def test_days_behind_on_a_trajectory_is_how_long_ago_the_plan_expected_todays_progress():
    plan = Plan(date(2026, 12, 31), (), ((date(2026, 3, 31), 25.0), (date(2026, 6, 30), 50.0)))
    snap = FIRST.model_copy(update={"percent_complete": 25.0, "milestones": []})
    assert baselines.days_behind(snap, plan, date(2026, 4, 21)) == 21  # 25% was due on 31 March


def test_slip_is_said_against_the_plan_and_the_original_commitment():
    assert baselines.slip_words(21, 77, rebaselined=True) == (
        "3 weeks behind plan, 11 weeks behind the original commitment")
    assert baselines.slip_words(0, 77, rebaselined=True) == "on plan, 11 weeks behind the original commitment"
    assert baselines.slip_words(1, 1, rebaselined=False) == "1 day behind plan (the original commitment)"
    assert baselines.slip_words(0, 0, rebaselined=True) == "on plan, on the original commitment"


def _rows(*states: str) -> list[dict]:
    plans = [Plan.of(FIRST), Plan.of(LATER), Plan.of(LATER)]
    return [{"n": n + 1, "kind": "baseline" if n == 0 else "request", "state": s, "plan": plans[n].as_json(),
             "reason": None if n == 0 else "The review panel's chair left", "decision_id": None if n == 0 else "d-1",
             "decided_on": None if n == 0 else "2026-04-02", "decided_by": None if n == 0 else "p-panel-chair",
             "decided_role": None if n == 0 else "panel_chair"} for n, s in enumerate(states)]


def test_the_record_says_what_was_promised_first_now_and_who_approved_the_change():
    kept = baselines.record(LATER, _rows("in_force", "approved"), date(2026, 6, 16))
    assert kept["baseline"]["milestones"][0]["due"] == "2026-03-31"
    assert kept["in_force"]["milestones"][0]["due"] == "2026-06-15"
    assert kept["approved"]["decided_by"] == "p-panel-chair" and kept["approved"]["reason"]
    assert kept["slip"] == "1 day behind plan, 11 weeks behind the original commitment"
    assert (kept["approved_count"], kept["refused_count"]) == (1, 0)


def test_a_refused_request_leaves_the_old_plan_in_force():
    kept = baselines.record(LATER, _rows("in_force", "refused"), date(2026, 6, 16))
    assert kept["in_force"] == kept["baseline"] and kept["approved"] is None
    assert kept["slip"] == "11 weeks behind plan (the original commitment)"
    assert (kept["approved_count"], kept["refused_count"]) == (0, 1)
    assert baselines.record(LATER, [], date(2026, 6, 16)) is None


def _decision(kind: str) -> ev.PanelDecision:
    return ev.PanelDecision(decision_id="d-1", meeting_id="panel-2026-Q2", action_id="bc-ap3-1", kind=kind,
                            acting_person="p-chair", acting_role="panel_chair")


def test_the_panel_decides_a_re_baseline_only_when_one_is_awaiting_it_on_the_agenda_or_not():
    chair = rights.Person("p-chair", frozenset({"panel_chair"}))
    act = rights.Act("decision", "bc-ap3-1", "p-chair", "panel_chair")
    waiting = rights.PanelContext(on_agenda=False, rebaseline_pending=True)
    assert rights.decision_role(act, chair, _decision("rebaseline_approved"), waiting) == "panel_chair"
    refused = rights.decision_role(act, chair, _decision("rebaseline_refused"), rights.PanelContext(on_agenda=True))
    assert refused == rights.Refusal("no_rebaseline_request",
                                     "bc-ap3-1 has no re-baseline request awaiting the Panel's decision")
    lead = rights.Person("p-lead", frozenset({"leader"}))
    assert isinstance(rights.decision_role(rights.Act("decision", "bc-ap3-1", "p-lead", "panel_chair"), lead,
                                           _decision("rebaseline_approved"), waiting), rights.Refusal)


def test_a_re_baseline_request_joins_the_panels_agenda_after_the_escalated_actions():
    from services.accountability import picture

    escalated = {"action_id": "bc-1", "system": "black-country", "action_point": "AP3", "title": "Escalated",
                 "status": "off_track", "reasons": [], "signature": [], "step": "panel_agenda",
                 "escalation_id": "bc-1/escalation-1", "opened_on": date(2026, 3, 1), "step_on": date(2026, 3, 15),
                 "respond_by": date(2026, 4, 12), "accountable_leader": "p-1", "latest_response": None,
                 "concerns": []}
    asked = {**escalated, **picture.not_escalated(), "action_id": "bc-2", "title": "Asks to re-baseline",
             "status": "on_track", "concerns": [], "latest_response": None,
             "rebaseline_request": picture.rebaseline_words(Plan.of(LATER).as_json(), "A new chair",
                                                            date(2026, 3, 2))}
    items = picture.agenda_items([asked, escalated], {})
    assert [i["action_id"] for i in items] == ["bc-1", "bc-2"]
    assert items[1]["rebaseline_request"] == (
        "Asks to re-baseline on 2 March 2026 to: done by 31 December 2026; 'Review panel in place' by 15 June 2026. "
        "Why: A new chair.")
    assert picture.agenda_item(items[1]).rebaseline_request == items[1]["rebaseline_request"]
