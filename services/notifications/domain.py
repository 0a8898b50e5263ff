"""Who is told, and how a delivery outcome is judged. No I/O here (what a notice says is in
``letters``)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Final, Literal
from urllib.parse import quote

from shared.contracts import events as ev
from shared.contracts.events import EscalationStep
from shared.contracts.vocabulary import LadderStep

Channel = Literal["email", "webhook"]
CHANNELS: tuple[Channel, ...] = ("email", "webhook")

Role = Literal["leader", "sro", "panel_chair", "board_secretary", "staff_network_lead", "panel_secretary",
               "directory_admin"]
LEADER: Final = "leader"
SRO: Final = "sro"
PANEL_CHAIR: Final = "panel_chair"
PANEL_MEMBER: Final = "panel_member"
BOARD_SECRETARY: Final = "board_secretary"
STAFF_NETWORK_LEAD: Final = "staff_network_lead"
DELEGATE: Final = "delegate"  # may act for the leaders the directory names (``Person.delegate_for``)
# Who hears that a notice could not be delivered (a permanent refusal), so the directory is fixed
# and the notice re-sent (NotificationsSettings.undeliverable_roles).
PANEL_SECRETARY: Final = "panel_secretary"
DIRECTORY_ADMIN: Final = "directory_admin"
UNDELIVERABLE: Final = "undeliverable"  # the kind of notice that reports one


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
    delegate_for: tuple[str, ...] = ()  # the leaders this person may answer for


@dataclass(frozen=True)
class Addressee:
    """One person to tell about one thing, and how the telling is handled."""

    person_id: str
    role: Role
    group_key: str | None = None  # notices with the same key to the same person are sent as one
    needs_ack: bool = False


# ---- who is told ----------------------------------------------------------------------

def stepped_down(step: EscalationStep) -> bool:
    """The action came back down the ladder: it improved."""
    return step.step is not None and step.previous_step is not None and step.step.is_below(step.previous_step)


def notice_step(step: EscalationStep, *, resolved: bool) -> str:
    """The step part of the exactly-once key. A step back down is news of its own: the leader
    who was asked at ``leader_asked`` before is told again when the action comes back down to it."""
    if resolved or step.step is None:
        return "resolved"
    if step.previous_step is not None and step.step.is_below(step.previous_step):
        return f"{step.step.value}:down_from:{step.previous_step.value}"
    return step.step.value


def asks_the_leader(step: EscalationStep, *, resolved: bool, answered: bool) -> bool:
    """Whether the leader's notice of this step asks them for something (and so waits for an
    acknowledgement, with reminders): not once resolved, not at the Board's rung (the Panel's decision
    says what is asked there), and not when they already answered this escalation."""
    return not resolved and not answered and step.step != LadderStep.PEOPLE_BOARD


def escalation_addressees(step: EscalationStep, directory: list[Person], *, resolved: bool,
                          answered: bool = False) -> list[Addressee]:
    """The accountable leaders named in the event, plus by role from the directory:
    the system's SRO always, the Panel chair for the Panel step, the Board secretary for the Board step.

    Leaders are asked to act, so their notices wait for an acknowledgement; the others are kept
    informed, and their notices are grouped (the SRO's by system, the chair's and secretary's by
    ladder step) so a bad week reads as one message, not twenty.
    """
    out: dict[str, Addressee] = {}
    for person_id in step.recipients:
        out.setdefault(person_id, Addressee(person_id, LEADER,
                                            needs_ack=asks_the_leader(step, resolved=resolved, answered=answered)))
    for person_id in step.copy_to:  # the leader, while someone covers for them: told, not asked
        out.setdefault(person_id, Addressee(person_id, LEADER))
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


def group_wait_for(addressee: Addressee, step: EscalationStep, issued_at: datetime, default: timedelta) -> timedelta:
    """How long a grouped notice collects. The Panel chair's "added to the agenda" notices wait for the
    agenda itself, which lists every one of them and reaches the chair before the meeting: they are
    folded into it (``fold_into``). The chair is asked nothing before the agenda, so nothing is told
    late. Should no agenda come, they go a week after the date given at that rung (the eve of the
    agenda's publication): late enough that an agenda still on its way folds them."""
    if addressee.role != PANEL_CHAIR or step.step != LadderStep.PANEL_AGENDA or step.respond_by is None:
        return default
    after_the_agenda = datetime.combine(step.respond_by + timedelta(days=7), time(0), tzinfo=UTC)
    return max(default, after_the_agenda - issued_at)


def decision_addressees(leader: str | None, system: str, directory: list[Person],
                        raised_concerns: list[str]) -> list[Addressee]:
    """Who hears a Panel decision: the action's accountable leader, its system's SROs, and the staff
    network leads who raised a concern about it (the Panel's answer goes back to them). One notice
    each, sent at once: a decision is not grouped, and asks for no acknowledgement."""
    out: dict[str, Addressee] = {}
    if leader:
        out[leader] = Addressee(leader, LEADER)
    for person in directory:
        if SRO in person.roles and system in person.systems:
            out.setdefault(person.person_id, Addressee(person.person_id, SRO))
    for person_id in raised_concerns:
        out.setdefault(person_id, Addressee(person_id, STAFF_NETWORK_LEAD))
    return list(out.values())


def may_decide(person: Person | None) -> bool:
    """Only the Panel's chair or a member records its decisions (the directory says who they are)."""
    return person is not None and bool({PANEL_CHAIR, PANEL_MEMBER} & set(person.roles))


def may_answer(person: Person | None, leader: str | None, system: str, asked: Sequence[str] = ()) -> bool:
    """An answer that stops the asking comes from the action's leader, a delegate the directory names
    for that leader, its system's SRO, or whoever was asked in the leader's place (``asked``: the
    people the escalation's notices asked, such as someone covering while the leader is away)."""
    if person is None:
        return False
    delegate = DELEGATE in person.roles and leader is not None and leader in person.delegate_for
    return (person.person_id == leader or delegate or person.person_id in asked
            or (SRO in person.roles and system in person.systems))


def may_raise_concern(person: Person | None, system: str) -> bool:
    """A staff network lead of the action's system."""
    return person is not None and STAFF_NETWORK_LEAD in person.roles and system in person.systems


def notice_page(portal_url: str, notice_id: str) -> str:
    """A notice's page in the portal: where its link goes, and where only its recipient acknowledges it."""
    return f"{portal_url.rstrip('/')}/notices/{quote(notice_id, safe='')}"


def action_page(portal_url: str, action_id: str) -> str:
    """An action's page in the portal: its status, its history and the answer forms."""
    return f"{portal_url.rstrip('/')}/actions/{quote(action_id, safe='')}"


def board_report_page(portal_url: str, cycle_id: str) -> str:
    """A cycle's report for the People Board, in the portal (Board members sign in to read it)."""
    return f"{portal_url.rstrip('/')}/board/report?cycle_id={quote(cycle_id, safe='')}"


def person_from_event(data: ev.Person) -> Person:
    return Person(person_id=data.person_id, name=data.name, email=data.email,
                  webhook_url=str(data.webhook_url) if data.webhook_url else None, roles=tuple(data.roles),
                  channels=tuple(data.channels), systems=tuple(data.systems),
                  delegate_for=tuple(data.delegate_for))


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
    delay: float = min(base * (2 ** max(attempt - 1, 0)), ceiling)
    return delay


# ---- acknowledgement ----------------------------------------------------------------

def sign(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def ack_signature(secret: str, notice_id: str) -> str:
    return sign(secret, f"ack:{notice_id}")


def ack_signature_valid(secret: str, notice_id: str, signature: str, previous: Sequence[str] = ()) -> bool:
    """Signed with the current key, or with one of the ``previous`` keys still accepted after a rotation."""
    return any(hmac.compare_digest(ack_signature(key, notice_id), signature) for key in (secret, *previous))


def ack_link_refusal(issued_at: datetime, clock_now: datetime | None, moved_on: bool, link_days: float) -> str | None:
    """Why an /ack link is no longer followed (None while it is): its escalation has moved on (the
    notice stopped waiting for an answer), or it is older than ``link_days`` of the governance clock."""
    if moved_on:
        return "The matter this notice was about has moved on since; the newer notice has the current link."
    if clock_now is not None and clock_now - issued_at > timedelta(days=link_days):
        return f"This link was valid for {link_days:g} days and has expired."
    return None


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
