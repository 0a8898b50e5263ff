"""Example events, one builder per v1 type, for tests and the scripted cycle."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from shared.contracts import events as ev
from shared.contracts.envelope import Event
from shared.contracts.vocabulary import Status

TODAY = date(2026, 1, 5)


def commitment(action_id: str = "bc-ap3-1", system: str = "black-country", **over: Any) -> ev.CommitmentMade:
    data: dict[str, Any] = {
        "action_id": action_id, "system": system, "action_point": "AP3",
        "title": "Independent review of every formal disciplinary involving BME staff",
        "accountable_leader": "p-leader-1", "start_date": date(2026, 1, 1), "due_date": date(2026, 12, 31),
        "milestones": [ev.Milestone(milestone_id="m1", title="Review panel in place", due=date(2026, 3, 31))],
        "trajectory": [ev.TrajectoryPoint(by=date(2026, 3, 31), percent=25),
                       ev.TrajectoryPoint(by=date(2026, 6, 30), percent=50)],
        "measure": ev.Measure(code="WRES-3", name="Relative likelihood of BME staff entering formal disciplinary",
                              baseline=1.6, target=1.0, range_low=0.8, range_high=1.25),
    } | over
    return ev.CommitmentMade.new(source=system, subject=action_id, data=ev.Commitment(**data))


def progress(action_id: str = "bc-ap3-1", system: str = "black-country", percent: float = 30,
             as_of: date = date(2026, 4, 1), **over: Any) -> ev.ProgressReported:
    data: dict[str, Any] = {"action_id": action_id, "as_of": as_of, "percent_complete": percent,
                            "narrative": ev.Narrative(working="Panel meets weekly", stopping_progress="",
                                                      not_working="")} | over
    return ev.ProgressReported.new(source=system, subject=action_id, data=ev.ProgressReport(**data))


def one_of_each() -> list[Event]:
    """A valid instance of every registered event type."""
    step = ev.EscalationStep(escalation_id="esc-1", action_id="a1", system="black-country",
                             action_title="t", step=ev.LadderStep.LEADER_ASKED, previous_step=None,
                             reasons=[ev.Reason(rule="milestone_passed", status=ev.Status.OFF_TRACK,
                                                message="Milestone 'm1' was due on 31 March 2026")],
                             recipients=["p-1"], respond_by=date(2026, 4, 14))
    outcome = ev.NoticeOutcome(notice_id="n-1", recipient="p-1", channel="email", about="esc-1")
    response = ev.LeaderResponse(action_id="a1", from_person="p-1", text="We lost our chair", recover_by=TODAY)
    window = ev.CycleWindow(cycle_id="2026-Q1", opens_on=date(2026, 1, 1),
                            submission_deadline=date(2026, 3, 20), closes_on=date(2026, 3, 31))
    snapshot = ev.ActionSnapshot(
        action_id="a1", system="black-country", action_point="AP3", title="t", accountable_leader="p-1",
        start_date=TODAY, due_date=TODAY, lifecycle="open", percent_complete=0, last_update_on=None,
        last_update_at=None, milestones=[], trajectory=[], measure=None, measure_values=[],
        narrative=ev.Narrative(), version=1)
    src = "black-country"
    reached_m1 = ev.MilestoneOutcome(action_id="a1", milestone_id="m1", on=TODAY)
    return [
        commitment(),
        ev.CommitmentAmended.new(source=src, subject="a1", data=ev.Amendment(action_id="a1", reason="new chair",
                                                                             due_date=TODAY)),
        progress(),
        ev.MilestoneReached.new(source=src, subject="a1", data=reached_m1),
        ev.MilestoneMissed.new(source=src, subject="a1", data=reached_m1),
        ev.MeasureRecorded.new(source=src, subject="a1",
                               data=ev.MeasureReading(action_id="a1", value=1.3, as_of=TODAY)),
        ev.ActionCompleted.new(source=src, subject="a1", data=ev.Completion(action_id="a1", on=TODAY)),
        ev.ActionWithdrawn.new(source=src, subject="a1", data=ev.Withdrawal(action_id="a1", on=TODAY, reason="merged")),
        ev.ActionChanged.new(source="actions", subject="a1",
                             data=ev.ActionChange(snapshot=snapshot, cause_type="commitment.made",
                                                  changed=["created"])),
        ev.InputRejected.new(source="actions", subject="a1",
                             data=ev.Rejection(code="not_json", reason="x", topic="actions.inbound.black-country")),
        ev.ActionStatusChanged.new(source="accountability", subject="a1", data=ev.StatusChange(
            action_id="a1", system=src, action_point="AP3", status=ev.Status.AT_RISK, previous=None, reasons=[])),
        ev.EscalationRaised.new(source="accountability", subject="a1", data=step),
        ev.EscalationStepped.new(source="accountability", subject="a1", data=step),
        ev.EscalationResolved.new(source="accountability", subject="a1", data=step),
        ev.ExplanationReceived.new(source="p-1", subject="a1", data=response),
        ev.RecoveryPlanReceived.new(source="p-1", subject="a1", data=response),
        ev.PanelDecisionRecorded.new(source="panel", subject="a1", data=ev.PanelDecision(
            decision_id="d1", meeting_id="mtg-1", action_id="a1", kind="recovery_plan_due", due_date=TODAY)),
        ev.CycleOpened.new(source="accountability", subject="2026-Q1", data=window),
        ev.CycleClosed.new(source="accountability", subject="2026-Q1", data=window),
        ev.ReminderDue.new(source="accountability", subject="2026-Q1", data=ev.Reminder(
            cycle_id="2026-Q1", system=src, submission_deadline=TODAY, recipients=["p-1"])),
        ev.AgendaPublished.new(source="accountability", subject="mtg-1", data=ev.Agenda(
            meeting_id="mtg-1", meets_on=TODAY, chair="p-chair", items=[])),
        ev.ClockTicked.new(source="clock", subject="clock", data=ev.Tick(now=datetime(2026, 1, 5, tzinfo=UTC))),
        ev.NoticeSent.new(source="notifications", subject="esc-1", data=outcome),
        ev.NoticeFailed.new(source="notifications", subject="esc-1", data=outcome),
        ev.NoticeAcknowledged.new(source="p-1", subject="esc-1", data=outcome),
        ev.NoticeUnacknowledged.new(source="notifications", subject="esc-1", data=outcome),
        ev.PersonUpdated.new(source="admin", subject="p-1", data=ev.Person(person_id="p-1", name="A Leader",
                                                                           email="leader@example.org")),
        *peoples_answers(),
    ]


def peoples_answers() -> list[Event]:
    """One of each answer, decision and acknowledgement a person sends through the portal."""
    me, role = "p-1", "leader"
    return [
        ev.ExplanationGiven.new(source="portal", subject="a1", data=ev.Explanation(
            action_id="a1", text="The panel lead left in March.", acting_person=me, acting_role=role)),
        ev.RecoveryPlanSent.new(source="portal", subject="a1", data=ev.RecoveryPlan(
            action_id="a1", summary="Recruit and train panel members.", recover_by=TODAY,
            steps=[ev.RecoveryStep(what="Recruit", by=TODAY)], acting_person=me, acting_role=role)),
        ev.ExtensionRequested.new(source="portal", subject="a1", data=ev.ExtensionRequest(
            action_id="a1", new_due_date=TODAY, reason="The review moved to June.", acting_person=me,
            acting_role=role)),
        ev.FlagContested.new(source="portal", subject="a1", data=ev.FlagContest(
            action_id="a1", contested_status=Status.OFF_TRACK, reason="The milestone was met on time.",
            acting_person=me, acting_role=role)),
        ev.ConcernRaised.new(source="portal", subject="a1", data=ev.StaffNetworkConcern(
            action_id="a1", system="black-country", kind="concern", text="Staff were not asked.",
            acting_person="p-2", acting_role="staff_network_lead")),
        ev.ConsequenceAgreed.new(source="portal", subject="a1", data=ev.BoardConsequence(
            consequence_id="c1", action_id="a1", consequence="Quarterly report to the Board.", owner="p-1",
            follow_up_by=TODAY, acting_person="p-3", acting_role="board_member")),
        ev.NoticeAcknowledgementGiven.new(source="portal", subject="esc-1", data=ev.NoticeAcknowledgement(
            notice_id="n-1", about="esc-1", acting_person="p-1")),
    ]
