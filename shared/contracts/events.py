"""Every v1 event the project exchanges. Payloads are plain data; rules live in the services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BeforeValidator, Field, HttpUrl

from .envelope import Event, Payload, register
from .vocabulary import ID_MAX_LENGTH, ID_PATTERN
from .vocabulary import DecisionKind as DecisionKind  # re-exported: the events speak this vocabulary
from .vocabulary import LadderStep as LadderStep
from .vocabulary import Status as Status

Channel = Literal["email", "webhook"]
# an opaque id from the notifications directory, never an email address
PersonId = Annotated[str, Field(pattern=ID_PATTERN, max_length=ID_MAX_LENGTH)]
ActingRole = str  # the role a person acted in: leader, delegate, sro, panel_chair, board_member...
ActionId = Annotated[str, Field(pattern=ID_PATTERN, max_length=ID_MAX_LENGTH)]
MilestoneId = Annotated[str, Field(pattern=ID_PATTERN, max_length=ID_MAX_LENGTH)]
# Ids that must come from the reference data (shared/reference_data.toml), not from code: the
# marker tells the AsyncAPI generator (tools/asyncapi) to publish the list it finds there.
REFERENCE_DATA = "x-reference-data"
SystemId = Annotated[str, Field(pattern=ID_PATTERN, max_length=ID_MAX_LENGTH,
                                json_schema_extra={REFERENCE_DATA: "systems"})]
ActionPointId = Annotated[str, Field(json_schema_extra={REFERENCE_DATA: "action_points"})]
# pydantic's HttpUrl takes http and https only; its JSON schema says any URI.
WebUrl = Annotated[HttpUrl, Field(json_schema_extra={"pattern": "^[hH][tT][tT][pP][sS]?://"})]


# ---- what systems post -------------------------------------------------------------

class Milestone(Payload):
    milestone_id: MilestoneId = Field(min_length=1)
    title: str = Field(min_length=1, max_length=500)
    due: date


class TrajectoryPoint(Payload):
    by: date
    percent: float


class Measure(Payload):
    code: str = Field(min_length=1, max_length=50, description="e.g. WRES-3")
    indicator: str | None = Field(
        default=None, max_length=50, json_schema_extra={REFERENCE_DATA: "indicators"},
        description="the WRES indicator measured (shared/wres_indicators.toml); its range and direction apply "
                    "when the measure gives none")
    name: str = Field(min_length=1, max_length=300)
    baseline: float
    target: float
    range_low: float | None = None
    range_high: float | None = None
    direction: Literal["higher_is_better", "lower_is_better", "towards_target"] = "towards_target"


class Narrative(Payload):
    """The three questions the plan asks of every update."""

    working: str = Field(default="", max_length=5000)
    stopping_progress: str = Field(default="", max_length=5000)
    not_working: str = Field(default="", max_length=5000)


class Counts(Payload):
    """The numbers of people behind a reading (which ones the indicator's kind says:
    shared/wres_indicators.toml). The service computes the figure and its interval from them."""

    bme_numerator: int | None = Field(default=None, ge=0, description="e.g. BME staff entering a formal disciplinary")
    bme_denominator: int | None = Field(default=None, ge=0, description="e.g. all BME staff")
    white_numerator: int | None = Field(default=None, ge=0)
    white_denominator: int | None = Field(default=None, ge=0)
    numerator: int | None = Field(default=None, ge=0, description="a percentage's numerator")
    denominator: int | None = Field(default=None, ge=0)
    comparison_numerator: int | None = Field(default=None, ge=0, description="indicator 9: BME staff")
    comparison_denominator: int | None = Field(default=None, ge=0, description="indicator 9: all staff")


class MeasureValue(Payload):
    value: float = Field(description="with counts, the service replaces it with the figure the counts give")
    as_of: date
    period: str | None = Field(default=None, max_length=50,
                               description="the period the reading covers, e.g. 2025/26; a later reading for the "
                                           "same period replaces it")
    counts: Counts | None = None
    low: float | None = Field(default=None, description="the 95 % confidence interval (set by the service)")
    high: float | None = None


class Commitment(Payload):
    action_id: ActionId = Field(min_length=1)
    system: SystemId
    action_point: ActionPointId
    title: str = Field(min_length=1, max_length=500)
    description: str = Field(default="", max_length=5000)
    accountable_leader: PersonId = Field(min_length=1)
    start_date: date
    due_date: date
    milestones: list[Milestone] = Field(default_factory=list, max_length=50)
    trajectory: list[TrajectoryPoint] = Field(default_factory=list, max_length=50)
    measure: Measure | None = None


class Amendment(Payload):
    action_id: ActionId
    reason: str = Field(min_length=1, max_length=2000)
    due_date: date | None = None
    accountable_leader: PersonId | None = None
    milestones: list[Milestone] | None = Field(default=None, max_length=50)
    trajectory: list[TrajectoryPoint] | None = Field(default=None, max_length=50)


class ProgressReport(Payload):
    action_id: ActionId
    as_of: date
    percent_complete: float
    milestones_reached: list[str] = Field(default_factory=list)
    milestones_missed: list[str] = Field(default_factory=list)
    measure_value: MeasureValue | None = None
    narrative: Narrative = Field(default_factory=Narrative)
    evidence_links: list[WebUrl] = Field(default_factory=list, max_length=20)
    reason_for_decrease: str | None = Field(default=None, max_length=2000)


class MilestoneOutcome(Payload):
    action_id: ActionId
    milestone_id: MilestoneId
    on: date
    note: str = Field(default="", max_length=2000)


class MeasureReading(Payload):
    action_id: ActionId
    value: float
    as_of: date
    period: str | None = Field(default=None, max_length=50)
    counts: Counts | None = None


class Completion(Payload):
    action_id: ActionId
    on: date
    summary: str = Field(default="", max_length=5000)


class Withdrawal(Payload):
    action_id: ActionId
    on: date
    reason: str = Field(min_length=1, max_length=2000)


@register
class CommitmentMade(Event):
    type: Literal["commitment.made"]
    data: Commitment


@register
class CommitmentAmended(Event):
    type: Literal["commitment.amended"]
    data: Amendment


@register
class ProgressReported(Event):
    type: Literal["progress.reported"]
    data: ProgressReport


@register
class MilestoneReached(Event):
    type: Literal["milestone.reached"]
    data: MilestoneOutcome


@register
class MilestoneMissed(Event):
    type: Literal["milestone.missed"]
    data: MilestoneOutcome


@register
class MeasureRecorded(Event):
    type: Literal["measure.recorded"]
    data: MeasureReading


@register
class ActionCompleted(Event):
    type: Literal["action.completed"]
    data: Completion


@register
class ActionWithdrawn(Event):
    type: Literal["action.withdrawn"]
    data: Withdrawal


SYSTEM_COMMANDS: tuple[type[Event], ...] = (
    CommitmentMade, CommitmentAmended, ProgressReported, MilestoneReached,
    MilestoneMissed, MeasureRecorded, ActionCompleted, ActionWithdrawn,
)


# ---- what the actions service announces ------------------------------------------

class MilestoneState(Payload):
    milestone_id: MilestoneId
    title: str
    due: date
    state: Literal["open", "reached", "missed"] = "open"
    on: date | None = None


class ActionSnapshot(Payload):
    action_id: ActionId
    system: SystemId
    action_point: ActionPointId
    title: str
    accountable_leader: PersonId
    start_date: date
    due_date: date
    lifecycle: Literal["open", "completed", "withdrawn"]
    percent_complete: float
    last_update_on: date | None
    last_update_at: datetime | None
    milestones: list[MilestoneState]
    trajectory: list[TrajectoryPoint]
    measure: Measure | None
    measure_values: list[MeasureValue]
    narrative: Narrative
    version: int


class ActionChange(Payload):
    snapshot: ActionSnapshot
    cause_type: str
    changed: list[str]
    reason: str | None = Field(default=None, description="the sender's reason, for an amendment: a change to a "
                               "date, a milestone or the trajectory is a re-baseline request the Panel decides")


@register
class ActionChanged(Event):
    type: Literal["action.changed"]
    data: ActionChange


class Rejection(Payload):
    code: str
    reason: str
    rejected_event_id: UUID | None = None
    rejected_type: str | None = None
    topic: str
    partition: int | None = None
    offset: int | None = None


@register
class InputRejected(Event):
    type: Literal["input.rejected"]
    data: Rejection


# ---- what the accountability service decides -------------------------------------

# A figure or a date (ISO) a rule judged, or None when it had none (no update yet).
Judged = str | int | float | None


class Reason(Payload):
    """Why an action has its status, and enough to explain it months later: the rule's
    version, the settings in force when it judged and the inputs it judged. A reason kept in
    the history is never recomputed, so changing a setting later does not rewrite it."""

    rule: str
    status: Status
    message: str
    rule_version: int | None = Field(default=None, description="the version of the rule that judged (None: "
                                     "flagged before versions were recorded)")
    settings: dict[str, int | float] = Field(default_factory=dict, description="the tolerances and grace periods "
                                       "in force when it judged, by setting name")
    inputs: dict[str, Judged] = Field(default_factory=dict, description="the figures and dates (ISO) it judged")


class StatusChange(Payload):
    action_id: ActionId
    system: SystemId
    action_point: ActionPointId
    status: Status
    previous: Status | None
    reasons: list[Reason]


@register
class ActionStatusChanged(Event):
    type: Literal["action.status_changed"]
    data: StatusChange


class EscalationStep(Payload):
    escalation_id: str
    action_id: ActionId
    system: SystemId
    action_title: str
    step: LadderStep | None
    previous_step: LadderStep | None
    reasons: list[Reason]
    recipients: list[PersonId]
    respond_by: date | None = None
    copy_to: list[PersonId] = Field(default_factory=list, description="told, not asked: the accountable leader "
                                    "while someone covers for them (the recipients)")
    slip: str | None = Field(default=None, description="how far behind it is, against the plan in force and the "
                             "original commitment, in words")


@register
class EscalationRaised(Event):
    type: Literal["escalation.raised"]
    data: EscalationStep


@register
class EscalationStepped(Event):
    type: Literal["escalation.stepped"]
    data: EscalationStep


@register
class EscalationResolved(Event):
    type: Literal["escalation.resolved"]
    data: EscalationStep


class LeaderResponse(Payload):
    action_id: ActionId
    from_person: PersonId
    text: str = Field(min_length=1, max_length=10000)
    recover_by: date | None = None


@register
class ExplanationReceived(Event):
    type: Literal["explanation.received"]
    data: LeaderResponse


@register
class RecoveryPlanReceived(Event):
    type: Literal["recovery_plan.received"]
    data: LeaderResponse


class PanelDecision(Payload):
    decision_id: str
    meeting_id: str
    action_id: ActionId
    kind: DecisionKind
    note: str = Field(default="", max_length=5000)
    due_date: date | None = None
    acting_person: PersonId | None = Field(default=None, description="the Panel member who recorded it (portal)")
    acting_role: ActingRole | None = Field(default=None, description="panel_chair or panel_member")
    replaces: str | None = Field(default=None, description="the decision_id of an earlier decision this one replaces")
    milestone_id: str | None = Field(default=None, description="for verified / disputed / verification_withdrawn: "
                                     "the milestone reached that the Panel checked (none: the action's status)")
    evidence_links: list[WebUrl] = Field(default_factory=list, max_length=20,
                                         description="what the Panel checked, for a verification")


@register
class PanelDecisionRecorded(Event):
    type: Literal["panel.decision_recorded"]
    data: PanelDecision


# ---- what people do through the portal, each bound to who did it -----------------------
# The portal publishes these on governance.responses (and the acknowledgement on
# notifications.events) for the person signed in, naming the role they acted in. The service
# that applies one checks that right against its own state: the leader, a delegate of the
# leader or the system's senior responsible owner for an answer; a Panel member for a
# decision; a People Board member for a consequence; a staff network lead of the action's
# system for a concern; the notice's recipient for an acknowledgement.

class Explanation(Payload):
    action_id: ActionId
    text: str = Field(min_length=1, max_length=10000, description="why the action slipped, in the leader's words")
    acting_person: PersonId
    acting_role: ActingRole


@register
class ExplanationGiven(Event):
    type: Literal["explanation.given"]
    data: Explanation


class RecoveryStep(Payload):
    what: str = Field(min_length=1, max_length=1000)
    by: date


class RecoveryPlan(Payload):
    action_id: ActionId
    summary: str = Field(min_length=1, max_length=10000)
    steps: list[RecoveryStep] = Field(min_length=1, max_length=20, description="dated, earliest first")
    recover_by: date = Field(description="when the action will be back on track: the last step's date")
    acting_person: PersonId
    acting_role: ActingRole


@register
class RecoveryPlanSent(Event):
    type: Literal["recovery_plan.sent"]
    data: RecoveryPlan


class ExtensionRequest(Payload):
    action_id: ActionId
    current_due_date: date | None = None
    new_due_date: date
    reason: str = Field(min_length=1, max_length=5000)
    acting_person: PersonId
    acting_role: ActingRole


@register
class ExtensionRequested(Event):
    type: Literal["extension.requested"]
    data: ExtensionRequest


class FlagContest(Payload):
    action_id: ActionId
    contested_status: Status | None = Field(default=None, description="the status the leader says is wrong")
    reason: str = Field(min_length=1, max_length=5000)
    acting_person: PersonId
    acting_role: ActingRole


@register
class FlagContested(Event):
    type: Literal["flag.contested"]
    data: FlagContest


class Cover(Payload):
    """A leader naming someone to act for them: a delegate for one action, or cover for all their
    actions for a period (leave). Notices go to the person covering, copying the leader; answers
    from them count; the history says who acted for whom. Cover ends by itself after ``ends_on``."""

    cover_id: str = Field(min_length=1, max_length=100)
    leader: PersonId = Field(min_length=1, max_length=100, description="the accountable leader acted for")
    cover: PersonId = Field(min_length=1, max_length=100, description="who acts for them")
    action_id: ActionId | None = Field(default=None, description="one action (a delegate for it); none: all the "
                                       "leader's actions")
    starts_on: date
    ends_on: date = Field(description="the last day of the cover: it ends by itself after it")
    acting_person: PersonId
    acting_role: ActingRole


@register
class CoverArranged(Event):
    type: Literal["cover.arranged"]
    data: Cover


class StaffNetworkConcern(Payload):
    action_id: ActionId
    system: SystemId
    kind: Literal["concern", "challenge", "support"] = Field(
        description="a concern or a challenge about the action, or support for its recovery plan")
    text: str = Field(min_length=1, max_length=10000)
    acting_person: PersonId
    acting_role: ActingRole


@register
class ConcernRaised(Event):
    type: Literal["concern.raised"]
    data: StaffNetworkConcern


class BoardConsequence(Payload):
    consequence_id: str
    action_id: ActionId
    consequence: str = Field(min_length=1, max_length=5000, description="the consequence, in words")
    owner: PersonId = Field(description="who carries it out")
    follow_up_by: date
    acting_person: PersonId
    acting_role: ActingRole


@register
class ConsequenceAgreed(Event):
    type: Literal["consequence.agreed"]
    data: BoardConsequence


class NoticeAcknowledgement(Payload):
    notice_id: str
    about: str
    acting_person: PersonId = Field(description="the notice's recipient, signed in, who pressed the button")


@register
class NoticeAcknowledgementGiven(Event):
    type: Literal["notice.acknowledgement_given"]
    data: NoticeAcknowledgement


class GoodPracticeNomination(Payload):
    """An action's work put forward as good practice, in the nominator's words."""

    nomination_id: str = Field(min_length=1, max_length=100)
    action_id: ActionId
    what_was_done: str = Field(min_length=1, max_length=5000)
    what_changed: str = Field(min_length=1, max_length=5000)
    evidence: str = Field(default="", max_length=5000, description="what shows it worked, e.g. figures, feedback")
    evidence_links: list[WebUrl] = Field(default_factory=list, max_length=10)
    acting_person: PersonId = Field(description="the action's leader (or delegate, SRO) or a staff network lead "
                                                "of its system")
    acting_role: ActingRole


@register
class GoodPracticeNominated(Event):
    type: Literal["good_practice.nominated"]
    data: GoodPracticeNomination


class GoodPracticeReview(Payload):
    """The Panel endorsing a nomination (it then appears in the good practice library) or declining it."""

    nomination_id: str = Field(min_length=1, max_length=100)
    action_id: ActionId
    decision: Literal["endorsed", "declined"]
    note: str = Field(default="", max_length=5000)
    acting_person: PersonId
    acting_role: ActingRole = Field(description="panel_chair or panel_member")


@register
class GoodPracticeReviewed(Event):
    type: Literal["good_practice.reviewed"]
    data: GoodPracticeReview


class AwardEntry(Payload):
    """Endorsed practice put forward for the region's awards scheme, and how it fared."""

    nomination_id: str = Field(min_length=1, max_length=100)
    action_id: ActionId
    scheme: str = Field(default="MIDAS", min_length=1, max_length=100)
    status: Literal["put_forward", "shortlisted", "awarded", "not_awarded"]
    note: str = Field(default="", max_length=5000)
    acting_person: PersonId
    acting_role: ActingRole = Field(description="panel_chair, panel_member, board_member or board_secretary")


@register
class AwardEntryUpdated(Event):
    type: Literal["good_practice.award_updated"]
    data: AwardEntry


GOOD_PRACTICE: tuple[type[Event], ...] = (GoodPracticeNominated, GoodPracticeReviewed, AwardEntryUpdated)

PEOPLES_ANSWERS: tuple[type[Event], ...] = (
    ExplanationGiven, RecoveryPlanSent, ExtensionRequested, FlagContested, ConcernRaised, ConsequenceAgreed,
)


class CycleWindow(Payload):
    cycle_id: str
    opens_on: date
    submission_deadline: date
    closes_on: date


@register
class CycleOpened(Event):
    type: Literal["cycle.opened"]
    data: CycleWindow


@register
class CycleClosed(Event):
    type: Literal["cycle.closed"]
    data: CycleWindow


class Reminder(Payload):
    cycle_id: str
    system: SystemId
    submission_deadline: date
    recipients: list[PersonId]


@register
class ReminderDue(Event):
    type: Literal["reminder.due"]
    data: Reminder


# The agenda travels in parts, each bounded by construction: an item carries its essentials, each
# text capped, and a part at most AGENDA_ITEMS_PER_PART items, so even the worst part (every text at
# its cap, every character escaped in JSON) stays under the event limit (MAX_EVENT_BYTES), however
# many actions slip. The full texts stay in accountability's agenda and on the portal.
AGENDA_ITEMS_PER_PART = 8
SHORTENED = " [shortened]"


def _capped(limit: int) -> Callable[[object], object]:
    """Text longer than ``limit`` cut to it, saying so; anything else left to the type's checks.
    A cut rather than a refusal, so an agenda stored before the caps is still read."""
    def cut(value: object) -> object:
        if isinstance(value, str) and len(value) > limit:
            return value[:limit - len(SHORTENED)].rstrip() + SHORTENED
        return value
    return cut


def _first(limit: int) -> Callable[[object], object]:
    """A list longer than ``limit`` cut to its first ``limit`` (the worst first, as sent)."""
    return lambda value: value[:limit] if isinstance(value, list) else value


_Text100 = Annotated[str, BeforeValidator(_capped(100)), Field(max_length=100)]
_Text300 = Annotated[str, BeforeValidator(_capped(300)), Field(max_length=300)]
_Text400 = Annotated[str, BeforeValidator(_capped(400)), Field(max_length=400)]
_Text600 = Annotated[str, BeforeValidator(_capped(600)), Field(max_length=600)]


class AgendaReason(Payload):
    """Why an item is on the agenda, in words; the reason's rule version, settings and inputs stay in
    the action's history (a full ``Reason`` as sent before the caps is read as this)."""

    rule: _Text100
    status: Status
    message: _Text300


class AgendaItem(Payload):
    action_id: ActionId
    system: SystemId
    title: _Text300
    status: Status
    reasons: Annotated[list[AgendaReason], BeforeValidator(_first(5)), Field(max_length=5)]
    leader_response: _Text600 | None = None
    concerns: Annotated[list[_Text400], BeforeValidator(_first(3))] = Field(
        default_factory=list, max_length=3, description="what staff networks raised, in their words (the first three)")
    rebaseline_request: _Text400 | None = Field(
        default=None, description="a re-baseline awaiting the Panel's decision, in words (what is asked, and why)")


class Agenda(Payload):
    meeting_id: str = Field(max_length=ID_MAX_LENGTH)
    meets_on: date
    chair: PersonId
    items: list[AgendaItem] = Field(max_length=AGENDA_ITEMS_PER_PART)
    part: int = Field(default=1, ge=1, description="this part's number, from 1; the parts in order are the agenda, "
                      "worst first")
    parts: int = Field(default=1, ge=1, description="how many parts the agenda has (an agenda of no items is one "
                       "part of none)")


@register
class AgendaPublished(Event):
    type: Literal["agenda.published"]
    data: Agenda


class Tick(Payload):
    now: datetime
    moved_on_by: PersonId | None = Field(
        default=None, description="an operator who moved time on further than a service takes in one tick "
        "(python -m services.platform.clock advance); absent on the clock's own ticks")
    reason: str = Field(default="", max_length=500, description="why the operator moved time on")


@register
class ClockTicked(Event):
    type: Literal["clock.ticked"]
    data: Tick


# ---- what the notifications service reports --------------------------------------

class NoticeOutcome(Payload):
    notice_id: str
    recipient: PersonId
    channel: Literal["email", "webhook"]
    about: str = Field(description="the escalation, reminder or agenda the notice is for")
    detail: str = ""
    permanent: bool = False


@register
class NoticeSent(Event):
    type: Literal["notice.sent"]
    data: NoticeOutcome


@register
class NoticeFailed(Event):
    type: Literal["notice.failed"]
    data: NoticeOutcome


@register
class NoticeAcknowledged(Event):
    type: Literal["notice.acknowledged"]
    data: NoticeOutcome


@register
class NoticeUnacknowledged(Event):
    type: Literal["notice.unacknowledged"]
    data: NoticeOutcome


class Person(Payload):
    """Contact details travel only on the directory topic, read only by notifications."""

    person_id: PersonId
    name: str = Field(min_length=1, max_length=300)
    email: str | None = Field(default=None, max_length=320)
    webhook_url: WebUrl | None = None
    roles: list[str] = Field(default_factory=list)
    channels: list[Channel] = Field(default_factory=lambda: list[Channel](["email"]))
    systems: list[SystemId] = Field(default_factory=list)
    delegate_for: list[PersonId] = Field(default_factory=list,
                                         description="the leaders this person may act for, as their delegate")


@register
class PersonUpdated(Event):
    type: Literal["directory.person_updated"]
    data: Person
