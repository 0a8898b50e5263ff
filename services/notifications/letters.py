"""What a notice says, in plain words for a busy reader: what slipped, why, what is asked of
them, by when and how to answer. Each kind of item has its own composer; ``compose`` picks the
one for the items of a notice. No I/O here: templates lay a letter out as text, HTML or JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypedDict

from shared.contracts.vocabulary import PANEL, LadderStep, date_in_words, decision_words

from .domain import BOARD_SECRETARY, LEADER, PANEL_CHAIR, STAFF_NETWORK_LEAD
from .items import (
    AgendaNoticeItem,
    DeadlineReminderItem,
    EscalationItem,
    EscalationReminderItem,
    NoticeItem,
    PanelDecisionItem,
    UndeliverableItem,
)

SystemNames = Mapping[str, str]


class Line(TypedDict):
    """One action in a letter's list."""

    title: str
    system: str
    action_id: str
    why: list[str]
    extra: str


@dataclass
class Letter:
    """The content of a notice in plain words."""

    subject: str
    greeting: str
    opening: str
    items: list[Line] = field(default_factory=list)
    ask: str = ""
    by_when: str = ""
    how_to_answer: str = ""
    ack_url: str | None = None
    items_heading: str = "What slipped, and why"


# The leader is addressed in person at the ladder's first rung; the other rungs are told in the
# vocabulary's words.
ASKED_OF_THE_LEADER = "you are asked to explain the slip or send a recovery plan"
BACK_ON_TRACK = "it is back on track and no longer escalated"


def step_words(step: LadderStep | Literal["resolved"]) -> str:
    if not isinstance(step, LadderStep):
        return BACK_ON_TRACK
    if step is LadderStep.LEADER_ASKED:
        return ASKED_OF_THE_LEADER
    return step.words


def _system(names: SystemNames, system: str) -> str:
    """The name people use for a system (from the reference data); its id when unknown."""
    return names.get(system, system)


def _line(item: EscalationItem, names: SystemNames, *, extra: bool = True) -> Line:
    return Line(title=item.title, system=_system(names, item.system), action_id=item.action_id, why=list(item.why),
                extra=step_words(item.step).capitalize() + "." if extra else "")


def compose(items: Sequence[NoticeItem], name: str, ack_url: str | None = None,
            system_names: SystemNames | None = None) -> Letter:
    """The letter to ``name`` about a notice's items (a notice holds one kind of item).
    ``system_names`` turns system ids into the names people use (from the reference data)."""
    names = system_names or {}
    match items[0] if items else None:
        case DeadlineReminderItem() as reminder:
            return compose_deadline_reminder(reminder, name, names)
        case AgendaNoticeItem() as agenda:
            return compose_agenda(agenda, name, names)
        case PanelDecisionItem() as decision:
            return compose_panel_decision(decision, name, names)
        case UndeliverableItem():
            return compose_undeliverable([i for i in items if isinstance(i, UndeliverableItem)], name)
    escalations = [i for i in items if isinstance(i, EscalationItem)]
    if len(escalations) != len(items):
        raise ValueError("a notice holds one kind of item")
    return compose_escalation(escalations, name, ack_url, names)


def compose_deadline_reminder(item: DeadlineReminderItem, name: str, names: SystemNames) -> Letter:
    deadline = date_in_words(item.submission_deadline)
    return Letter(
        subject=f"Reminder: progress for {item.cycle_id} is due by {deadline}",
        greeting=f"Dear {name},",
        opening=(f"We have not yet received this cycle's progress update from {_system(names, item.system)}. "
                 f"The submission deadline for cycle {item.cycle_id} is {deadline}."),
        ask="Please post progress for each of your system's actions: percent complete, milestones, "
            "measures, and what is working, what is stopping progress and what is not working.",
        by_when=deadline,
        how_to_answer="Post the update from your system's usual reporting tool. "
                      "If you have already posted, thank you: this reminder crossed with it.",
    )


def compose_agenda(item: AgendaNoticeItem, name: str, names: SystemNames) -> Letter:
    meets = date_in_words(item.meets_on)
    return Letter(
        subject=f"Panel agenda for {meets}: {len(item.items)} slipping action(s)",
        greeting=f"Dear {name},",
        opening=f"The agenda for the Panel meeting on {meets} lists these actions, worst first.",
        items_heading="On the agenda",
        items=[Line(title=i.title, system=_system(names, i.system), action_id=i.action_id, why=list(i.why),
                    extra=(f"Leader's response: {i.leader_response}" if i.leader_response
                           else "No response from the leader yet.")
                    + "".join(f" Staff network: {c}" for c in i.concerns)) for i in item.items],
        ask="Please review the actions before the meeting and decide on challenge, support or penalty.",
        by_when=meets,
        how_to_answer="Record the Panel's decisions in the Panel's decision log after the meeting.",
    )


# What the Panel asks of the leader, by decision, when it sets a date.
_ASKED_BY = {"recovery_plan_due": "Please send a recovery plan",
             "challenge_issued": "Please answer the Panel's challenge"}


def compose_panel_decision(item: PanelDecisionItem, name: str, names: SystemNames) -> Letter:
    """The Panel's decision on one action: the leader is asked to act on it, the SRO is kept
    informed, and the staff network lead who raised a concern hears the Panel's answer."""
    did = decision_words(item.decision)
    due = date_in_words(item.due_date)
    where = _system(names, item.system)
    replaced = f" This decision replaces the Panel's earlier decision {item.replaces}." if item.replaces else ""
    line = Line(title=item.title, system=where, action_id=item.action_id,
                why=[f"The Panel's note: {item.note}"] if item.note else [],
                extra=f"The Panel {did}" + (f", with a date of {due}." if due else "."))
    portal = f"See the action, its history and the forms in the portal: {item.action_url}" if item.action_url else ""
    if item.role == LEADER:
        opening = f"The {PANEL} {did} on an action you are accountable for in {where}.{replaced}"
        ask = f"{_ASKED_BY.get(item.decision, 'Please respond to the Panel')} by {due}." if due else \
            "Please read the Panel's decision; it is recorded in the action's history."
        how = portal or "Answer through the portal, signed in as yourself."
    elif item.role == STAFF_NETWORK_LEAD:
        opening = (f"You raised a concern about this action in {where}. The Panel has answered: it {did}."
                   f"{replaced}")
        ask, how = "No reply is needed.", portal or "You can raise another concern through the portal."
    else:
        opening = f"For your information, the {PANEL} {did} on an action in {where}.{replaced}"
        ask = "Please make sure the accountable leader responds in time." if due else "No reply is needed."
        how = portal
    return Letter(subject=f"The Panel's decision on {item.title}: it {did}", greeting=f"Dear {name},",
                  opening=opening, items=[line], items_heading="The decision", ask=ask,
                  by_when=due if item.role != STAFF_NETWORK_LEAD else "", how_to_answer=how)


def compose_undeliverable(items: Sequence[UndeliverableItem], name: str) -> Letter:
    """For whoever keeps the directory: notices refused for good, and how to send them again."""
    count = len(items)
    return Letter(
        subject=f"{count} notice(s) could not be delivered",
        greeting=f"Dear {name},",
        opening=(f"{count} notice(s) were refused by the recipient's mail system or endpoint, or have nowhere to "
                 "go, and have not been delivered. Nobody is counted as silent for a notice they never received."),
        items_heading="Not delivered",
        items=[Line(title=f"{i.notice_kind.replace('_', ' ').capitalize()} notice to {i.recipient} by {i.channel}",
                    system="", action_id=i.about, why=[i.detail], extra=f"Notice {i.notice_id}") for i in items],
        ask="Please correct these people's entries in the directory.",
        how_to_answer=("Once corrected, send them again: python -m services.notifications.cli notices resend "
                       + " ".join(f"--notice {i.notice_id}" for i in items)),
    )


def compose_escalation(items: Sequence[EscalationItem], name: str, ack_url: str | None,
                       names: SystemNames) -> Letter:
    """A leader's own notice (or its reminder) asks them to act; everyone else's is a digest."""
    resolved = all(i.resolved for i in items)
    if len(items) == 1 and items[0].role == "leader" and not resolved:
        if isinstance(items[0], EscalationReminderItem):
            return compose_ack_reminder(items[0], name, ack_url, names)
        return compose_leader_notice(items[0], name, ack_url, names)
    if resolved:
        return compose_back_on_track(items, name, names)
    return compose_digest(items, name, names)


def compose_leader_notice(item: EscalationItem, name: str, ack_url: str | None, names: SystemNames,
                          subject_prefix: str = "") -> Letter:
    if item.step is LadderStep.LEADER_ASKED:
        ask = "Please either explain why progress has slipped, or send a recovery plan with a date."
    else:
        ask = ("Please send the Panel an explanation or a recovery plan before it meets, "
               "so your response is on the agenda.")
    return Letter(
        subject=f"{subject_prefix}Action needs your attention: {item.title}", greeting=f"Dear {name},",
        opening=(f"An action you are accountable for in {_system(names, item.system)} "
                 + ("has improved and stepped back down the escalation ladder: "
                    if item.stepped_down else "has slipped, and ")
                 + f"{step_words(item.step)}."),
        items=[_line(item, names, extra=False)], ask=ask,
        by_when=date_in_words(item.respond_by) or "within 14 days",
        how_to_answer="Answer in the People Board's portal, signed in as yourself: open the link below, then "
                      "the action, and send your explanation or recovery plan (or ask for more time, or "
                      "contest the flag).",
        ack_url=ack_url,
    )


def compose_ack_reminder(item: EscalationReminderItem, name: str, ack_url: str | None,
                         names: SystemNames) -> Letter:
    """The leader's notice again, numbered, while it waits for an acknowledgement."""
    prefix = f"Reminder {item.reminder_number}: " if item.reminder_number else ""
    return compose_leader_notice(item, name, ack_url, names, subject_prefix=prefix)


def compose_back_on_track(items: Sequence[EscalationItem], name: str, names: SystemNames) -> Letter:
    return Letter(
        subject=(f"Back on track: {items[0].title}" if len(items) == 1
                 else f"{len(items)} actions are back on track"),
        greeting=f"Dear {name},",
        opening="Good news: the following no longer need escalation.", items_heading="Back on track",
        items=[_line(i, names) for i in items], how_to_answer="Nothing is needed from you.",
    )


def compose_digest(items: Sequence[EscalationItem], name: str, names: SystemNames) -> Letter:
    """For the system's SRO, the Panel chair or the Board secretary: every action at once."""
    count = len(items)
    systems = sorted({_system(names, i.system) for i in items})
    where = systems[0] if len(systems) == 1 else f"{len(systems)} systems"
    if items[0].role == PANEL_CHAIR:
        subject = f"{count} action(s) added to the Panel's agenda ({where})"
        ask = "Please consider them for the next Panel meeting."
    elif items[0].role == BOARD_SECRETARY:
        subject = f"{count} action(s) referred to the People Board ({where})"
        ask = "Please add them to the next People Board papers."
    else:
        subject = f"{count} escalated action(s) in {where}"
        ask = "Please make sure each accountable leader responds in time."
    return Letter(subject=subject, greeting=f"Dear {name},",
                  opening=f"For your information, {count} action(s) in {where} have been escalated.",
                  items=[_line(i, names) for i in items], ask=ask, how_to_answer="No reply to this notice is needed.")
