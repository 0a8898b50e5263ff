"""The portal's rules, without I/O: who is who, who may do what, and what a form must say.

Every act names the role the person acted in. Nobody acts for anyone else unless named as
their delegate; a system's senior responsible owner answers for every action of that system.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
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


def may_acknowledge(person: Person, recipient: str) -> bool:
    """Only the person a notice was sent to acknowledges it."""
    return person.active and person.person_id == recipient


def leaders_actions(person: Person, actions: Iterable[ActionFacts]) -> list[ActionFacts]:
    """The actions ``person`` answers for, in any role."""
    return [a for a in actions if answering_role(person, a) is not None]


# ---- what a form must say -------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """One thing wrong with a form: the field (its id on the page) and what to do about it."""

    field: str
    message: str


class FormProblems(Exception):
    """A form that cannot be accepted; the page shows every problem at once."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def text(form: dict[str, str], name: str, missing: str, *, limit: int = 10000) -> tuple[str, list[Problem]]:
    """A required text field, trimmed; a problem when empty or too long."""
    value = (form.get(name) or "").strip()
    if not value:
        return value, [Problem(name, missing)]
    if len(value) > limit:
        return value, [Problem(name, f"Keep this to {limit:,} characters or fewer")]
    return value, []


def a_date(form: dict[str, str], name: str, what: str) -> tuple[date | None, list[Problem]]:
    """A date field (``YYYY-MM-DD``, as a date input sends it)."""
    raw = (form.get(name) or "").strip()
    if not raw:
        return None, [Problem(name, f"Enter {what}")]
    try:
        return date.fromisoformat(raw), []
    except ValueError:
        return None, [Problem(name, f"{what.capitalize()} must be a real date, like 20 4 2026")]


@dataclass(frozen=True)
class PlanStep:
    what: str
    by: date


@dataclass(frozen=True)
class RecoveryPlanForm:
    summary: str
    steps: list[PlanStep] = field(default_factory=list)

    @property
    def recover_by(self) -> date:
        return max(step.by for step in self.steps)


MAX_PLAN_STEPS = 5


def read_explanation(form: dict[str, str]) -> str:
    value, problems = text(form, "explanation", "Enter your explanation: why the action slipped")
    if problems:
        raise FormProblems(problems)
    return value


def read_recovery_plan(form: dict[str, str], today: date) -> RecoveryPlanForm:
    """A summary and one to five dated steps, none dated before ``today``."""
    summary, problems = text(form, "summary", "Enter what the plan will do")
    steps: list[PlanStep] = []
    for n in range(1, MAX_PLAN_STEPS + 1):
        what_name, by_name = f"step-{n}-what", f"step-{n}-by"
        what, by = (form.get(what_name) or "").strip(), (form.get(by_name) or "").strip()
        if not what and not by:
            continue
        if not what:
            problems.append(Problem(what_name, f"Enter what step {n} is, or clear its date"))
            continue
        when, wrong = a_date(form, by_name, f"the date step {n} will be done by")
        problems += wrong
        if when is not None and when < today:
            problems.append(Problem(by_name, f"Step {n} is dated in the past: give a date from today on"))
        elif when is not None:
            steps.append(PlanStep(what, when))
    if not steps and not any(p.field.startswith("step-") for p in problems):
        problems.append(Problem("step-1-what", "Enter at least one step, with the date it will be done by"))
    if problems:
        raise FormProblems(problems)
    return RecoveryPlanForm(summary, sorted(steps, key=lambda s: s.by))


def read_extension(form: dict[str, str], current_due: date | None, today: date) -> tuple[date, str]:
    """A new due date, later than the current one and not in the past, and the reason."""
    when, problems = a_date(form, "new-due-date", "the new date")
    reason, wrong = text(form, "reason", "Enter why the action needs more time", limit=5000)
    problems += wrong
    if when is not None and when < today:
        problems.append(Problem("new-due-date", "The new date is in the past: give a date from today on"))
    elif when is not None and current_due is not None and when <= current_due:
        problems.append(Problem("new-due-date", "The new date must be later than the current due date"))
    if problems or when is None:
        raise FormProblems(problems)
    return when, reason


def read_contest(form: dict[str, str]) -> str:
    reason, problems = text(form, "reason", "Enter why the flag is wrong", limit=5000)
    if problems:
        raise FormProblems(problems)
    return reason


@dataclass(frozen=True)
class PersonForm:
    person_id: str
    name: str
    subject: str | None
    email: str | None
    roles: frozenset[Role]
    systems: tuple[str, ...]
    delegate_for: tuple[str, ...]
    active: bool


def read_person(form: dict[str, list[str]], systems: Iterable[str], person_ids: Iterable[str]) -> PersonForm:
    """The administrator's form: a person's name, sign-in subject, e-mail, roles and systems.

    ``form`` holds every value of each field (the roles and systems are checkboxes)."""
    one = {k: (v[0] if v else "") for k, v in form.items()}
    person_id, problems = text(one, "person-id", "Enter the person's id, like p-lead-black-country-1", limit=100)
    name, wrong = text(one, "name", "Enter the person's name", limit=300)
    problems += wrong
    email = one.get("email", "").strip() or None
    if email is not None and ("@" not in email or " " in email or len(email) > 320):
        problems.append(Problem("email", "Enter an e-mail address like name@nhs.net"))
    known_roles = {r.value for r in Role}
    roles = frozenset(Role(r) for r in form.get("roles", []) if r in known_roles)
    if not roles:
        problems.append(Problem("roles", "Choose at least one role"))
    chosen = tuple(s for s in form.get("systems", []) if s in set(systems))
    if any(r.per_system for r in roles) and not chosen:
        problems.append(Problem("systems", "Choose the systems this person's role covers"))
    delegate_for = tuple(p.strip() for p in one.get("delegate-for", "").split(",") if p.strip())
    unknown = sorted(set(delegate_for) - set(person_ids))
    if Role.DELEGATE in roles and not delegate_for:
        problems.append(Problem("delegate-for", "Enter whom this person is a delegate for"))
    elif unknown:
        problems.append(Problem("delegate-for", f"No one has the id {', '.join(unknown)}"))
    if problems:
        raise FormProblems(problems)
    return PersonForm(person_id, name, one.get("subject", "").strip() or None, email, roles, chosen,
                      delegate_for, one.get("active", "") == "yes")
