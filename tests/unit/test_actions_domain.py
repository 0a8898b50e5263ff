"""The actions service's rules for what a system may post, without I/O."""

from datetime import date

import pytest

from services.actions.domain import Change, Refusal, decide
from shared.contracts import events as ev
from tests.samples import commitment, progress

SYS = "black-country"


def committed(reference, **over) -> ev.ActionSnapshot:
    result = decide(None, commitment(**over), SYS, reference)
    assert isinstance(result, Change), result
    return result.snapshot


def refusal(result) -> str:
    assert isinstance(result, Refusal), result
    return result.code


def test_commitment_creates_an_open_action_at_version_one(reference):
    snap = committed(reference)
    assert (snap.lifecycle, snap.version, snap.percent_complete) == ("open", 1, 0)
    assert snap.milestones[0].state == "open"


@pytest.mark.parametrize(("over", "code"), [
    ({"action_point": "AP9"}, "unknown_action_point"),
    ({"due_date": date(2025, 1, 1)}, "incoherent_dates"),
    ({"milestones": [ev.Milestone(milestone_id="m1", title="a", due=date(2026, 2, 1)),
                     ev.Milestone(milestone_id="m1", title="b", due=date(2026, 3, 1))]}, "duplicate_milestone"),
    ({"milestones": [ev.Milestone(milestone_id="m1", title="a", due=date(2027, 2, 1))]}, "incoherent_dates"),
    ({"trajectory": [ev.TrajectoryPoint(by=date(2026, 3, 1), percent=120)]}, "invalid_trajectory"),
    ({"trajectory": [ev.TrajectoryPoint(by=date(2026, 3, 1), percent=50),
                     ev.TrajectoryPoint(by=date(2026, 6, 1), percent=40)]}, "invalid_trajectory"),
])
def test_incoherent_commitment_is_refused_with_its_own_code(reference, over, code):
    assert refusal(decide(None, commitment(**over), SYS, reference)) == code


def test_unknown_system_is_refused(reference):
    assert refusal(decide(None, commitment(system="atlantis"), "atlantis", reference)) == "unknown_system"


def test_committing_twice_to_the_same_action_is_refused(reference):
    assert refusal(decide(committed(reference), commitment(), SYS, reference)) == "duplicate_action"


def test_posting_on_your_topic_as_another_system_is_a_security_refusal(reference):
    result = decide(None, commitment(system="lincolnshire"), SYS, reference)
    assert isinstance(result, Refusal) and result.security and result.code == "forged_source"


def test_a_system_cannot_update_another_systems_action(reference):
    theirs = committed(reference)
    mine = progress(system="lincolnshire")
    result = decide(theirs, mine, "lincolnshire", reference)
    assert isinstance(result, Refusal) and result.security and result.code == "not_your_action"


def test_progress_moves_percent_and_marks_milestones(reference):
    result = decide(committed(reference), progress(percent=40, milestones_reached=["m1"]), SYS, reference)
    assert isinstance(result, Change)
    assert result.snapshot.percent_complete == 40
    assert result.snapshot.milestones[0].state == "reached"
    assert result.snapshot.version == 2
    assert "milestones" in result.changed


@pytest.mark.parametrize(("percent", "code"), [(101, "percent_out_of_range"), (-1, "percent_out_of_range")])
def test_percent_outside_0_to_100_is_refused(reference, percent, code):
    assert refusal(decide(committed(reference), progress(percent=percent), SYS, reference)) == code


def test_progress_going_backwards_needs_a_reason(reference):
    at_40 = decide(committed(reference), progress(percent=40), SYS, reference).snapshot
    backwards = progress(percent=30, as_of=date(2026, 5, 1))
    assert refusal(decide(at_40, backwards, SYS, reference)) == "progress_went_backwards"
    ok = decide(at_40, progress(percent=30, as_of=date(2026, 5, 1), reason_for_decrease="scope grew"), SYS, reference)
    assert isinstance(ok, Change) and ok.snapshot.percent_complete == 30


def test_an_update_older_than_the_last_applied_is_late_and_changes_nothing(reference):
    at_may = decide(committed(reference), progress(percent=40, as_of=date(2026, 5, 1)), SYS, reference).snapshot
    assert refusal(decide(at_may, progress(percent=50, as_of=date(2026, 4, 1)), SYS, reference)) == "late_update"


def test_progress_on_a_completed_or_withdrawn_action_is_refused(reference):
    snap = committed(reference)
    done = decide(snap, ev.ActionCompleted.new(source=SYS, subject=snap.action_id,
                                               data=ev.Completion(action_id=snap.action_id, on=date(2026, 5, 1))),
                  SYS, reference).snapshot
    assert done.lifecycle == "completed"
    assert refusal(decide(done, progress(), SYS, reference)) == "action_closed"
    gone = decide(snap, ev.ActionWithdrawn.new(source=SYS, subject=snap.action_id, data=ev.Withdrawal(
        action_id=snap.action_id, on=date(2026, 5, 1), reason="merged")), SYS, reference).snapshot
    assert refusal(decide(gone, progress(), SYS, reference)) == "action_closed"


def test_milestone_reached_twice_or_unknown_is_refused(reference):
    snap = decide(committed(reference), progress(milestones_reached=["m1"]), SYS, reference).snapshot
    again = progress(milestones_reached=["m1"], as_of=date(2026, 5, 1))
    unknown = progress(milestones_missed=["m9"], as_of=date(2026, 5, 1))
    assert refusal(decide(snap, again, SYS, reference)) == "milestone_already_settled"
    assert refusal(decide(snap, unknown, SYS, reference)) == "unknown_milestone"


def test_amendment_keeps_history_of_what_changed(reference):
    snap = committed(reference)
    amend = ev.CommitmentAmended.new(source=SYS, subject=snap.action_id, data=ev.Amendment(
        action_id=snap.action_id, reason="new chair", due_date=date(2027, 3, 31), accountable_leader="p-2"))
    result = decide(snap, amend, SYS, reference)
    assert isinstance(result, Change)
    assert result.changed == ["accountable_leader", "due_date"]
    assert result.snapshot.due_date == date(2027, 3, 31)
    assert result.reason == "new chair"  # passed on: the Panel decides whether the new date counts


def test_unknown_action_and_mismatched_subject_are_refused(reference):
    assert refusal(decide(None, progress(), SYS, reference)) == "unknown_action"
    wrong = progress().model_copy(update={"subject": "something-else"})
    assert refusal(decide(committed(reference), wrong, SYS, reference)) == "subject_mismatch"


def test_measure_on_an_action_without_one_is_refused(reference):
    snap = committed(reference, measure=None)
    reading = ev.MeasureRecorded.new(source=SYS, subject=snap.action_id, data=ev.MeasureReading(
        action_id=snap.action_id, value=1.1, as_of=date(2026, 4, 1)))
    assert refusal(decide(snap, reading, SYS, reference)) == "no_measure"
