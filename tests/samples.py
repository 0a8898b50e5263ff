"""Example events, one builder per v1 type, for tests and the scripted cycle."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4, uuid5

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
        *good_practice_acts(),
    ]


def good_practice_acts(action_id: str = "a1", nomination_id: str = "gp-1") -> list[Event]:
    """Good practice nominated by a staff network lead, endorsed by the Panel, put forward for MIDAS."""
    return [
        ev.GoodPracticeNominated.new(source="portal", subject=action_id, data=ev.GoodPracticeNomination(
            nomination_id=nomination_id, action_id=action_id,
            what_was_done="Every formal disciplinary involving BME staff reviewed by an independent panel first.",
            what_changed="Fewer BME staff entered a formal process: the relative likelihood fell from 1.6 to 1.1.",
            evidence="WRES 2025/26 return; staff network survey.", acting_person="p-2",
            acting_role="staff_network_lead")),
        ev.GoodPracticeReviewed.new(source="portal", subject=action_id, data=ev.GoodPracticeReview(
            nomination_id=nomination_id, action_id=action_id, decision="endorsed",
            note="Share with every system.", acting_person="p-panel-chair", acting_role="panel_chair")),
        ev.AwardEntryUpdated.new(source="portal", subject=action_id, data=ev.AwardEntry(
            nomination_id=nomination_id, action_id=action_id, status="put_forward",
            acting_person="p-panel-chair", acting_role="panel_chair")),
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
        ev.CoverArranged.new(source="portal", subject="p-1", data=ev.Cover(
            cover_id="cover-1", leader="p-1", cover="p-4", starts_on=TODAY, ends_on=TODAY, acting_person="p-1",
            acting_role="leader")),
        ev.NoticeAcknowledgementGiven.new(source="portal", subject="esc-1", data=ev.NoticeAcknowledgement(
            notice_id="n-1", about="esc-1", acting_person="p-1")),
    ]


# ---- the published examples ------------------------------------------------------
# The AsyncAPI documents (tools/asyncapi) show these, with ids and times pinned so the
# documents do not change between runs; tests/integration/test_actions_service.py posts the
# system's ones, exactly as published, to the real service, and every one must be accepted.

EXAMPLES = UUID("6f1c2a52-3d4e-4b8a-9c1d-2f6a7b8c9d0e")  # namespace of the examples' ids
EXAMPLE_START = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)

_E = TypeVar("_E", bound=Event)


def pinned(event: _E, name: str, minute: int = 0) -> _E:
    """``event`` with an id and a time fixed by ``name`` (its own correlation, as a first event has)."""
    fixed = uuid5(EXAMPLES, name)
    return event.model_copy(update={"event_id": fixed, "correlation_id": fixed,
                                    "occurred_at": EXAMPLE_START + timedelta(minutes=minute)})


def first_posts(system: str = "black-country") -> list[tuple[str, Event]]:
    """A system's first posts, named, in an order in which the actions service accepts every one:
    two commitments (one with everything, one with only what is required), then one of each
    other kind of update."""
    full, short, d = "bc-ap3-1", "bc-ap2-1", date
    milestones = [ev.Milestone(milestone_id="m1", title="Review panel in place", due=d(2026, 3, 31)),
                  ev.Milestone(milestone_id="m2", title="Every case reviewed for six months", due=d(2026, 6, 30))]
    posts: list[tuple[str, Event]] = [
        ("a commitment with milestones, a trajectory and a WRES measure",
         commitment(action_id=full, system=system, milestones=milestones)),
        ("a commitment with only the required fields", ev.CommitmentMade.new(
            source=system, subject=short, data=ev.Commitment(
                action_id=short, system=system, action_point="AP2",
                title="Freedom to Speak Up guardians in every trust", accountable_leader="p-leader-2",
                start_date=d(2026, 1, 1), due_date=d(2026, 9, 30)))),
        ("the accountable leader changes", ev.CommitmentAmended.new(source=system, subject=full, data=ev.Amendment(
            action_id=full, reason="The review panel's chair changed", accountable_leader="p-leader-3"))),
        ("a quarterly update answering the plan's three questions", progress(
            action_id=full, system=system, percent=30, as_of=d(2026, 4, 1),
            narrative=ev.Narrative(working="The panel meets weekly", stopping_progress="Two trusts share no case data",
                                   not_working="Managers skip the training"),
            measure_value=ev.MeasureValue(value=1.42, as_of=d(2026, 3, 31)),
            evidence_links=["https://example.org/black-country/panel-minutes"])),
        ("a milestone reached", ev.MilestoneReached.new(source=system, subject=full, data=ev.MilestoneOutcome(
            action_id=full, milestone_id="m1", on=d(2026, 3, 28), note="Chair appointed"))),
        ("a milestone missed", ev.MilestoneMissed.new(source=system, subject=full, data=ev.MilestoneOutcome(
            action_id=full, milestone_id="m2", on=d(2026, 6, 30), note="Two trusts joined late"))),
        ("a measure reading", ev.MeasureRecorded.new(source=system, subject=full, data=ev.MeasureReading(
            action_id=full, value=1.31, as_of=d(2026, 6, 30)))),
        ("the action is done", ev.ActionCompleted.new(source=system, subject=full, data=ev.Completion(
            action_id=full, on=d(2026, 11, 30), summary="Every formal disciplinary now has an independent review"))),
        ("the other action is withdrawn", ev.ActionWithdrawn.new(source=system, subject=short, data=ev.Withdrawal(
            action_id=short, on=d(2026, 5, 1), reason="Merged into the region's guardian programme"))),
    ]
    return [(name, pinned(event, f"{system}/{name}", minute)) for minute, (name, event) in enumerate(posts)]


def published_examples() -> dict[str, list[tuple[str, Event]]]:
    """Every event type's examples, by type: a system's first posts, and one sample of each other type."""
    by_type: dict[str, list[tuple[str, Event]]] = {}
    for name, event in first_posts():
        by_type.setdefault(event.type, []).append((name, event))
    for event in one_of_each():
        if event.type not in by_type:
            by_type[event.type] = [(f"a {event.type} event", pinned(event, event.type))]
    return by_type


@dataclass(frozen=True)
class Mistake:
    """A message an integrator built from the documents before issue 17 fixed them, and the same
    message built from the fixed documents."""

    defect: str  # what in the old documents led to it
    broken: bytes
    posted_as: str  # the system id the broken message is posted as
    code: str  # what the actions service answers to it
    fixed: bytes


def integrator_mistakes(system: str = "black-country") -> list[Mistake]:
    """One per defect of the old documents that shows in a message (the minimal commitment each time,
    each for an action of its own so their answers can be told apart)."""
    _, example = first_posts(system)[1]
    base = example.model_dump(mode="json", exclude_unset=True)

    def message(n: int, change: Callable[[dict[str, Any]], object] | None = None) -> bytes:
        body = json.loads(json.dumps(base))
        action = f"{base['subject']}-{n}-{uuid4().hex[:6]}"
        body |= {"event_id": str(uuid4()), "subject": action}
        body["data"]["action_id"] = action
        if change:
            change(body)
        return json.dumps(body).encode()

    guessed = system.replace("-", "_")

    def as_guessed(body: dict[str, Any]) -> object:
        body["source"] = body["data"]["system"] = guessed
        return body

    cases: list[tuple[str, Callable[[dict[str, Any]], object], str, str]] = [
        ("schema_version said optional, default 1", lambda b: b.pop("schema_version"), system, "missing_version"),
        ("topic address a regex, {system} never declared: the system id guessed", as_guessed, guessed,
         "bad_identifier"),
        ("correlationId pointed at a header: the id sent as a header, not in the envelope",
         lambda b: b.pop("correlation_id"), system, "schema_invalid"),
        ("system a bare string: the system's name sent", lambda b: b["data"].update(system="Black Country"),
         system, "bad_identifier"),
        ("action_point a bare string: the action point's title sent",
         lambda b: b["data"].update(action_point="Get more BME staff to speak up"), system, "unknown_action_point"),
        ("event_id and occurred_at said optional (defaults the service made up)",
         lambda b: [b.pop("event_id"), b.pop("occurred_at")], system, "schema_invalid"),
    ]
    return [Mistake(defect, message(n, change), posted_as, code, message(n))
            for n, (defect, change, posted_as, code) in enumerate(cases, 1)]
