"""Who is who and who may do what (no I/O).

Every act names the role the person acted in. Nobody acts for anyone else unless named as
their delegate; a system's senior responsible owner answers for every action of that system.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Role(StrEnum):
    """The roles the portal keeps (the directory's words: notifications addresses ``sro``,
    ``panel_chair`` and ``board_secretary`` by them)."""

    LEADER = "leader"
    SRO = "sro"
    DELEGATE = "delegate"
    PANEL_CHAIR = "panel_chair"
    PANEL_MEMBER = "panel_member"
    BOARD_MEMBER = "board_member"
    BOARD_SECRETARY = "board_secretary"
    PANEL_SECRETARY = "panel_secretary"  # the Panel's secretary: the contact named in notices
    STAFF_NETWORK_LEAD = "staff_network_lead"
    SYSTEM_REPORTER = "system_reporter"
    ADMINISTRATOR = "administrator"

    @property
    def words(self) -> str:
        return _ROLE_WORDS[self]

    @property
    def per_system(self) -> bool:
        """Held for particular systems (the SRO of Black Country), not region-wide."""
        return self in (Role.SRO, Role.STAFF_NETWORK_LEAD, Role.SYSTEM_REPORTER)


_ROLE_WORDS = {
    Role.LEADER: "Accountable leader", Role.SRO: "Senior responsible owner", Role.DELEGATE: "Delegate",
    Role.PANEL_CHAIR: "Chair of the Panel", Role.PANEL_MEMBER: "Panel member",
    Role.BOARD_MEMBER: "People Board member", Role.BOARD_SECRETARY: "People Board secretary",
    Role.PANEL_SECRETARY: "Panel secretary",
    Role.STAFF_NETWORK_LEAD: "Staff network lead", Role.SYSTEM_REPORTER: "System reporter",
    Role.ADMINISTRATOR: "Administrator",
}


@dataclass(frozen=True)
class Person:
    """Someone the portal knows, and the identity provider's subject they sign in as."""

    person_id: str
    name: str
    subject: str | None = None
    email: str | None = None
    roles: frozenset[Role] = frozenset()
    systems: tuple[str, ...] = ()
    delegate_for: tuple[str, ...] = ()  # the leaders (person ids) this person may act for
    active: bool = True

    def holds(self, *roles: Role) -> bool:
        return self.active and any(role in self.roles for role in roles)

    @property
    def delegate_for_text(self) -> str:
        return ", ".join(self.delegate_for)


@dataclass(frozen=True)
class ActionFacts:
    """What the rules need to know about an action."""

    action_id: str
    system: str
    accountable_leader: str


# ---- who may do what ------------------------------------------------------------------

def answering_role(person: Person, action: ActionFacts) -> Role | None:
    """The role in which ``person`` may answer for ``action`` (explain, send a recovery plan,
    ask for more time, contest a flag), or None when they may not."""
    if not person.active:
        return None
    if person.person_id == action.accountable_leader:
        return Role.LEADER
    if Role.DELEGATE in person.roles and action.accountable_leader in person.delegate_for:
        return Role.DELEGATE
    if Role.SRO in person.roles and action.system in person.systems:
        return Role.SRO
    return None


def may_see_action(person: Person, action: ActionFacts) -> bool:
    """Those who answer for it, the Panel, the Board, and its system's staff network and reporters."""
    if answering_role(person, action) is not None:
        return True
    if person.holds(Role.PANEL_CHAIR, Role.PANEL_MEMBER, Role.BOARD_MEMBER, Role.BOARD_SECRETARY,
                    Role.ADMINISTRATOR):
        return True
    return person.holds(Role.STAFF_NETWORK_LEAD, Role.SYSTEM_REPORTER) and action.system in person.systems


def deciding_role(person: Person) -> Role | None:
    """The role in which ``person`` may record a Panel decision."""
    return next((r for r in (Role.PANEL_CHAIR, Role.PANEL_MEMBER) if person.holds(r)), None)


def consequence_role(person: Person) -> Role | None:
    """The role in which ``person`` may record a consequence the People Board agreed."""
    return next((r for r in (Role.BOARD_MEMBER, Role.BOARD_SECRETARY) if person.holds(r)), None)


def concern_role(person: Person, action: ActionFacts) -> Role | None:
    """A staff network lead of the action's system may raise a concern about it."""
    if person.holds(Role.STAFF_NETWORK_LEAD) and action.system in person.systems:
        return Role.STAFF_NETWORK_LEAD
    return None


def may_administer(person: Person) -> bool:
    return person.holds(Role.ADMINISTRATOR)


def notice_link_refusal(sent_on: date, today: date | None, moved_on: bool, link_days: float) -> str | None:
    """Why a notice's link no longer acknowledges (None while it does): a newer notice about the same
    thing has been sent to its reader (the escalation moved on), or the link is older than
    ``link_days`` of the governance clock."""
    if moved_on:
        return "A newer notice about this has been sent to you since: please open the newest one."
    if today is not None and (today - sent_on).days > link_days:
        return f"This notice's link was valid for {link_days:g} days and has expired."
    return None


def may_acknowledge(person: Person, recipient: str) -> bool:
    """Only the person a notice was sent to acknowledges it."""
    return person.active and person.person_id == recipient


def leaders_actions(person: Person, actions: Iterable[ActionFacts]) -> list[ActionFacts]:
    """The actions ``person`` answers for, in any role."""
    return [a for a in actions if answering_role(person, a) is not None]


def importing_systems(person: Person) -> tuple[str, ...]:
    """The systems whose sheet of commitments and updates ``person`` may import: those they are
    the system reporter of (reporting the system's figures is that role's work) or the senior
    responsible owner of (who answers for every action of the system). A leader alone may not:
    a sheet covers the whole system's actions, not only their own."""
    if not person.holds(Role.SYSTEM_REPORTER, Role.SRO):
        return ()
    return person.systems
