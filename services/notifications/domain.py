"""Who is told what, in which words, and how a delivery outcome is judged. No I/O here."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from shared.contracts.events import (
    Agenda,
    EscalationStep,
    LadderStep,
    Reminder,
)

Channel = Literal["email", "webhook"]
CHANNELS: tuple[Channel, ...] = ("email", "webhook")

SRO = "sro"
PANEL_CHAIR = "panel_chair"
BOARD_SECRETARY = "board_secretary"


@dataclass(frozen=True)
class Person:
    """A directory entry. Name and contact details never leave this service except inside a notice."""

    person_id: str
    name: str
    email: str | None = None
    webhook_url: str | None = None
    roles: tuple[str, ...] = ()
    channels: tuple[Channel, ...] = ("email",)
    systems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Addressee:
    """One person to tell about one thing, and how the telling is handled."""

    person_id: str
    role: str  # leader | sro | panel_chair | board_secretary
    group_key: str | None = None  # notices with the same key to the same person are sent as one
    needs_ack: bool = False


# ---- who is told ----------------------------------------------------------------------

def step_key(step: LadderStep | None) -> str:
    return step.value if step is not None else "resolved"


_LADDER = list(LadderStep)


def stepped_down(step: EscalationStep) -> bool:
    return (step.step is not None and step.previous_step is not None
            and _LADDER.index(step.step) < _LADDER.index(step.previous_step))


def notice_step(step: EscalationStep, *, resolved: bool) -> str:
    """The step part of the exactly-once key. A step back down is news of its own: the leader
    who was asked at ``leader_asked`` before is told again when the action comes back down to it."""
    if resolved or step.step is None:
        return "resolved"
    if stepped_down(step):
        return f"{step.step.value}:down_from:{step.previous_step.value}"
    return step.step.value


def escalation_addressees(step: EscalationStep, directory: list[Person], *, resolved: bool) -> list[Addressee]:
    """The accountable leaders named in the event, plus by role from the directory:
    the system's SRO always, the Panel chair for the Panel step, the Board secretary for the Board step.

    Leaders are asked to act, so their notices wait for an acknowledgement; the others are kept
    informed, and their notices are grouped (the SRO's by system, the chair's and secretary's by
    ladder step) so a bad week reads as one message, not twenty.
    """
    out: dict[str, Addressee] = {}
    for person_id in step.recipients:
        out.setdefault(person_id, Addressee(person_id, "leader", needs_ack=not resolved))
    for person in directory:
        if person.person_id in out:
            continue
        if SRO in person.roles and step.system in person.systems:
            out[person.person_id] = Addressee(person.person_id, SRO, group_key=f"system:{step.system}")
        elif PANEL_CHAIR in person.roles and step.step == LadderStep.PANEL_AGENDA:
            out[person.person_id] = Addressee(person.person_id, PANEL_CHAIR, group_key="panel_agenda")
        elif BOARD_SECRETARY in person.roles and step.step == LadderStep.PEOPLE_BOARD:
            out[person.person_id] = Addressee(person.person_id, BOARD_SECRETARY, group_key="people_board")
    return list(out.values())


def channels_for(person: Person | None) -> list[Channel]:
    """A person's preferred channels; someone not in the directory still gets an (undeliverable)
    email notice, so the failure is recorded and reported instead of vanishing."""
    if person is None or not person.channels:
        return ["email"]
    return list(dict.fromkeys(person.channels))


def notice_id_for(about: str, step: str, recipient: str, channel: str) -> str:
    """Deterministic, so a retry after a crash carries the same Message-ID / idempotency key."""
    digest = hashlib.sha256(f"{about}\x1f{step}\x1f{recipient}\x1f{channel}".encode()).hexdigest()
    return f"n-{digest[:24]}"


# ---- what the notice says -----------------------------------------------------------

@dataclass
class Letter:
    """The content of a notice in plain words; templates lay it out as text, HTML or JSON."""

    subject: str
    greeting: str
    opening: str
    items: list[dict[str, Any]] = field(default_factory=list)  # title, system, why (list[str]), extra
    ask: str = ""
    by_when: str = ""
    how_to_answer: str = ""
    ack_url: str | None = None
    items_heading: str = "What slipped, and why"


def long_date(d: date | None) -> str:
    return f"{d.day} {d.strftime('%B %Y')}" if d else ""


def escalation_item(step: EscalationStep) -> dict[str, Any]:
    return {
        "kind": "escalation", "escalation_id": step.escalation_id, "action_id": step.action_id,
        "system": step.system, "title": step.action_title, "step": step_key(step.step),
        "previous_step": step_key(step.previous_step) if step.previous_step else None,
        "why": [r.message for r in step.reasons],
        "respond_by": step.respond_by.isoformat() if step.respond_by else None,
        "stepped_down": stepped_down(step),
    }


def reminder_item(reminder: Reminder) -> dict[str, Any]:
    return {"kind": "deadline_reminder", "cycle_id": reminder.cycle_id, "system": reminder.system,
            "submission_deadline": reminder.submission_deadline.isoformat()}


def agenda_item(agenda: Agenda) -> dict[str, Any]:
    return {"kind": "agenda", "meeting_id": agenda.meeting_id, "meets_on": agenda.meets_on.isoformat(),
            "items": [{"title": i.title, "system": i.system, "action_id": i.action_id, "status": i.status.value,
                       "why": [r.message for r in i.reasons], "leader_response": i.leader_response}
                      for i in agenda.items]}


_STEP_WORDS = {
    "leader_asked": "you are asked to explain the slip or send a recovery plan",
    "panel_agenda": "it is on the agenda of the Race, Equality and Inclusion Panel",
    "people_board": "it has been referred to the People Board",
    "resolved": "it is back on track and no longer escalated",
}


def _date_of(iso: str | None) -> date | None:
    return date.fromisoformat(iso) if iso else None


def _escalation_line(item: dict[str, Any], system_names: Mapping[str, str], extra: bool = True) -> dict[str, Any]:
    return {"title": item["title"], "system": system_names.get(item["system"], item["system"]),
            "action_id": item["action_id"], "why": item["why"],
            "extra": _STEP_WORDS.get(item["step"], item["step"]).capitalize() + "." if extra else ""}


def compose(kind: str, role: str, items: list[dict[str, Any]], name: str, ack_url: str | None,
            reminder_number: int = 0, system_names: Mapping[str, str] | None = None) -> Letter:
    """Words for a busy leader: what slipped, why, what is asked of them, by when, how to answer.
    ``system_names`` turns system ids into the names people use (from the reference data)."""
    names = system_names or {}
    greeting = f"Dear {name},"
    if kind == "deadline_reminder":
        item = items[0]
        deadline = long_date(_date_of(item["submission_deadline"]))
        return Letter(
            subject=f"Reminder: progress for {item['cycle_id']} is due by {deadline}",
            greeting=greeting,
            opening=(f"We have not yet received this cycle's progress update from "
                     f"{names.get(item['system'], item['system'])}. "
                     f"The submission deadline for cycle {item['cycle_id']} is {deadline}."),
            ask="Please post progress for each of your system's actions: percent complete, milestones, "
                "measures, and what is working, what is stopping progress and what is not working.",
            by_when=deadline,
            how_to_answer="Post the update from your system's usual reporting tool. "
                          "If you have already posted, thank you: this reminder crossed with it.",
        )
    if kind == "agenda":
        item = items[0]
        meets = long_date(_date_of(item["meets_on"]))
        return Letter(
            subject=f"Panel agenda for {meets}: {len(item['items'])} slipping action(s)",
            greeting=greeting,
            opening=f"The agenda for the Panel meeting on {meets} lists these actions, worst first.",
            items_heading="On the agenda",
            items=[{"title": i["title"], "system": names.get(i["system"], i["system"]), "action_id": i["action_id"],
                    "why": i["why"],
                    "extra": (f"Leader's response: {i['leader_response']}" if i["leader_response"]
                              else "No response from the leader yet.")} for i in item["items"]],
            ask="Please review the actions before the meeting and decide on challenge, support or penalty.",
            by_when=meets,
            how_to_answer="Record the Panel's decisions in the Panel's decision log after the meeting.",
        )
    resolved = all(i["step"] == "resolved" for i in items)
    single_leader = role == "leader" and len(items) == 1 and not resolved
    lines = [_escalation_line(i, names, extra=not single_leader) for i in items]
    if single_leader:
        item = items[0]
        respond_by = long_date(_date_of(item["respond_by"]))
        prefix = f"Reminder {reminder_number}: " if reminder_number else ""
        subject = f"{prefix}Action needs your attention: {item['title']}"
        if item["step"] == "leader_asked":
            ask = "Please either explain why progress has slipped, or send a recovery plan with a date."
        else:
            ask = ("Please send the Panel an explanation or a recovery plan before it meets, "
                   "so your response is on the agenda.")
        return Letter(
            subject=subject, greeting=greeting,
            opening=(f"An action you are accountable for in {names.get(item['system'], item['system'])} "
                     + ("has improved and stepped back down the escalation ladder: "
                        if item.get("stepped_down") else "has slipped, and ")
                     + f"{_STEP_WORDS.get(item['step'], item['step'])}."),
            items=lines, ask=ask, by_when=respond_by or "within 14 days",
            how_to_answer="Post your explanation or recovery plan through your system's reporting tool, "
                          "as you post progress updates.",
            ack_url=ack_url,
        )
    if resolved:
        return Letter(
            subject=(f"Back on track: {items[0]['title']}" if len(items) == 1
                     else f"{len(items)} actions are back on track"),
            greeting=greeting,
            opening="Good news: the following no longer need escalation.", items_heading="Back on track",
            items=lines, how_to_answer="Nothing is needed from you.",
        )
    count = len(items)
    systems = sorted({names.get(i["system"], i["system"]) for i in items})
    where = systems[0] if len(systems) == 1 else f"{len(systems)} systems"
    if role == PANEL_CHAIR:
        subject = f"{count} action(s) added to the Panel's agenda ({where})"
        ask = "Please consider them for the next Panel meeting."
    elif role == BOARD_SECRETARY:
        subject = f"{count} action(s) referred to the People Board ({where})"
        ask = "Please add them to the next People Board papers."
    else:
        subject = f"{count} escalated action(s) in {where}"
        ask = "Please make sure each accountable leader responds in time."
    return Letter(subject=subject, greeting=greeting,
                  opening=f"For your information, {count} action(s) in {where} have been escalated.",
                  items=lines, ask=ask, how_to_answer="No reply to this notice is needed.")


# ---- delivery outcomes ------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    delivered: bool
    permanent: bool = False
    detail: str = ""


def smtp_outcome(code: int, message: str) -> Outcome:
    """SMTP: 2xx delivered, 4xx try again later, 5xx will never work."""
    if 200 <= code < 300:
        return Outcome(True, detail=f"{code}")
    return Outcome(False, permanent=code >= 500, detail=f"SMTP {code} {message}"[:500])


def http_outcome(status: int) -> Outcome:
    """HTTP: 2xx delivered; 408/429 and 5xx try again later; any other 4xx will never work."""
    if 200 <= status < 300:
        return Outcome(True, detail=f"HTTP {status}")
    transient = status >= 500 or status in (408, 425, 429)
    return Outcome(False, permanent=not transient, detail=f"HTTP {status}")


def retry_delay(attempt: int, base: float, ceiling: float) -> float:
    """Exponential backoff: base, 2*base, 4*base ... capped."""
    return min(base * (2 ** max(attempt - 1, 0)), ceiling)


# ---- acknowledgement ----------------------------------------------------------------

def sign(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def ack_signature(secret: str, notice_id: str) -> str:
    return sign(secret, f"ack:{notice_id}")


def ack_signature_valid(secret: str, notice_id: str, signature: str) -> bool:
    return hmac.compare_digest(ack_signature(secret, notice_id), signature)


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """What the receiver recomputes: HMAC-SHA256 over "<timestamp>.<body>", so a replay with
    another timestamp or a changed body fails."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class AckClock:
    """When a leader's notice is reminded and when silence is reported, in clock time."""

    grace: timedelta
    reminder_interval: timedelta

    def due(self, issued_at: datetime) -> datetime:
        return issued_at + self.grace

    def first_reminder(self, issued_at: datetime) -> datetime:
        return issued_at + self.reminder_interval
