"""What a notice is made of: one typed item per thing a person is told about.

Items are stored as JSON (``notice_items.content``) when the event arrives and read back when
the notice is sent, so each model keeps the keys the service has always stored: a row written
by an earlier version reads back as the same item.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, TypeAdapter

from shared.contracts.events import Agenda, EscalationStep, PanelDecision, Reminder
from shared.contracts.vocabulary import LadderStep, Status

from .domain import PANEL_CHAIR, Role, stepped_down

RESOLVED: Final = "resolved"


class _Item(BaseModel):
    model_config = ConfigDict(frozen=True)


class EscalationItem(_Item):
    """One action on the escalation ladder, told to one of the people it concerns."""

    kind: Literal["escalation"] = "escalation"
    escalation_id: str
    action_id: str
    system: str
    title: str
    step: LadderStep | Literal["resolved"]
    previous_step: LadderStep | None = None
    why: list[str]
    respond_by: date | None = None
    stepped_down: bool = False
    role: Role = "leader"
    # The leader already answered this escalation: the notice tells, it does not ask again.
    answered: bool = Field(default=False, exclude_if=lambda found: not found)

    @property
    def resolved(self) -> bool:
        return self.step == RESOLVED


class EscalationReminderItem(EscalationItem):
    """A leader's escalation notice sent again because it is not yet acknowledged: the same
    item, numbered (stored as the original's content plus ``reminder_number``)."""

    reminder_number: int
    # When the notice it reminds of was sent (governance date); absent in rows stored before.
    first_sent_on: date | None = Field(default=None, exclude_if=lambda found: found is None)


AnswerKind = Literal["explanation", "recovery_plan", "extension_request", "flag_contest"]


class AnswerReceiptItem(_Item):
    """The leader answered an escalation: reminders stop, and they are told what happens next and when."""

    kind: Literal["answer_receipt"] = "answer_receipt"
    action_id: str
    system: str
    title: str
    answer: AnswerKind
    answered_on: date
    holds_until: date | None = None  # the date they were told: nothing moves on the ladder before it
    recover_by: date | None = None
    role: Role = "leader"


class OnTheAgenda(_Item):
    """One of the leader's actions already on the Panel's agenda, and the date the Panel needs their answer."""

    title: str
    respond_by: date | None = None


class DeadlineReminderItem(_Item):
    """A system has not yet posted this cycle's progress; which of the leader's actions are already
    on the Panel's agenda (left out when none, so an item stored before reads back the same)."""

    kind: Literal["deadline_reminder"] = "deadline_reminder"
    cycle_id: str
    system: str
    submission_deadline: date
    role: Role = "leader"
    on_agenda: list[OnTheAgenda] = Field(default_factory=list, exclude_if=lambda found: not found)


class AgendaEntry(_Item):
    """One slipping action on a Panel agenda."""

    title: str
    system: str
    action_id: str
    status: Status
    why: list[str]
    leader_response: str | None = None
    # What staff networks raised, in their words; left out when there is none, so an item stored
    # before staff networks were heard is stored again with the same keys.
    concerns: list[str] = Field(default_factory=list, exclude_if=lambda found: not found)
    # When the chair was first told it was added (its notice folded into the agenda); absent before.
    added_on: date | None = Field(default=None, exclude_if=lambda found: found is None)


class AgendaNoticeItem(_Item):
    """The agenda of one Panel meeting, for its chair."""

    kind: Literal["agenda"] = "agenda"
    meeting_id: str
    meets_on: date
    items: list[AgendaEntry]
    role: Role = PANEL_CHAIR


class PanelDecisionItem(_Item):
    """What the Panel decided about one action, told to its leader, its system's SRO and the staff
    network leads who raised a concern about it."""

    kind: Literal["panel_decision"] = "panel_decision"
    decision_id: str
    meeting_id: str
    action_id: str
    system: str
    title: str
    decision: str  # the decision's kind (the vocabulary's DecisionKind)
    note: str = ""
    due_date: date | None = None
    replaces: str | None = None
    action_url: str | None = None  # the action's page in the portal
    role: Role = "leader"


class CycleClosedItem(_Item):
    """A cycle closed: the Board's secretary is sent where its report for the Board is."""

    kind: Literal["cycle_closed"] = "cycle_closed"
    cycle_id: str
    closes_on: date
    report_url: str
    role: Role = "board_secretary"


class UndeliverableItem(_Item):
    """A notice refused for good (a permanent refusal: SMTP 5xx, HTTP 4xx, nobody or no address in
    the directory), told to whoever keeps the directory so it is fixed and the notice re-sent.
    Person ids only: the directory holds who they are."""

    kind: Literal["undeliverable"] = "undeliverable"
    notice_id: str
    notice_kind: str
    about: str
    recipient: str
    channel: str
    detail: str
    role: Role = "panel_secretary"


def _tag(content: Any) -> str:
    """Which item a stored row (or a model) is: its kind, and a reminder when it is numbered."""
    if isinstance(content, dict):
        kind = str(content.get("kind"))
        numbered = "reminder_number" in content
    else:
        kind = str(getattr(content, "kind", ""))
        numbered = isinstance(content, EscalationReminderItem)
    return "escalation_reminder" if kind == "escalation" and numbered else kind


NoticeItem = Annotated[
    Annotated[EscalationReminderItem, Tag("escalation_reminder")] | Annotated[EscalationItem, Tag("escalation")]
    | Annotated[DeadlineReminderItem, Tag("deadline_reminder")] | Annotated[AgendaNoticeItem, Tag("agenda")]
    | Annotated[PanelDecisionItem, Tag("panel_decision")] | Annotated[AnswerReceiptItem, Tag("answer_receipt")]
    | Annotated[UndeliverableItem, Tag("undeliverable")] | Annotated[CycleClosedItem, Tag("cycle_closed")],
    Discriminator(_tag),
]
NOTICE_ITEM: TypeAdapter[NoticeItem] = TypeAdapter(NoticeItem)


def item_from_json(content: str | bytes) -> NoticeItem:
    return NOTICE_ITEM.validate_json(content)


def item_to_json(item: NoticeItem) -> str:
    return item.model_dump_json()


# ---- the items of each event ---------------------------------------------------------------

def escalation_item(step: EscalationStep, role: Role = "leader", *, resolved: bool = False,
                    answered: bool = False) -> EscalationItem:
    """``resolved``: the escalation ended, whatever step the event still names; ``answered``: its leader
    already sent an answer."""
    return EscalationItem(
        escalation_id=step.escalation_id, action_id=step.action_id, system=step.system, title=step.action_title,
        step=RESOLVED if resolved or step.step is None else step.step, previous_step=step.previous_step,
        why=[r.message for r in step.reasons] + ([f"It is {step.slip}."] if step.slip and not resolved else []),
        respond_by=step.respond_by, stepped_down=stepped_down(step),
        role=role, answered=answered and role == "leader",
    )


def reminder_of(item: EscalationItem, number: int, first_sent_on: date | None = None) -> EscalationReminderItem:
    """The item of reminder ``number`` about an unacknowledged escalation notice first sent on ``first_sent_on``."""
    return EscalationReminderItem.model_validate(item.model_dump() | {"reminder_number": number,
                                                                        "first_sent_on": first_sent_on})


def deadline_reminder_item(reminder: Reminder, on_agenda: Sequence[tuple[str, date | None]] = ()
                           ) -> DeadlineReminderItem:
    return DeadlineReminderItem(cycle_id=reminder.cycle_id, system=reminder.system,
                                submission_deadline=reminder.submission_deadline,
                                on_agenda=[OnTheAgenda(title=t, respond_by=d) for t, d in on_agenda])


def deadline_reminder_is_news(item: DeadlineReminderItem, reminded_before: bool) -> bool:
    """Whether a deadline reminder is sent on its own. Not when it would tell a leader, a second time, a
    deadline they were already reminded of, while an action of theirs is on the Panel's agenda: they have
    the date, and the Panel's notice asks more of them, by a later date. The first is always sent."""
    return not (reminded_before and item.on_agenda)


def agenda_item(agenda: Agenda, added: Mapping[str, datetime] | None = None) -> AgendaNoticeItem:
    """``added``: when the chair was first told each action went on the agenda (its notice folded into this one)."""
    since = {a: when.date() for a, when in (added or {}).items()}
    return AgendaNoticeItem(meeting_id=agenda.meeting_id, meets_on=agenda.meets_on, items=[
        AgendaEntry(title=i.title, system=i.system, action_id=i.action_id, status=i.status,
                    why=[r.message for r in i.reasons], leader_response=i.leader_response, concerns=list(i.concerns),
                    added_on=since.get(i.action_id))
        for i in agenda.items])


def panel_decision_item(d: PanelDecision, system: str, title: str, role: Role, action_url: str | None
                        ) -> PanelDecisionItem:
    return PanelDecisionItem(decision_id=d.decision_id, meeting_id=d.meeting_id, action_id=d.action_id, system=system,
                             title=title, decision=d.kind, note=d.note, due_date=d.due_date, replaces=d.replaces,
                             action_url=action_url, role=role)
