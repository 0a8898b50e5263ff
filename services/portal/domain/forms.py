"""What each form must say (no I/O): every problem found at once, each tied to its field,
in words that say what to do."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from .rights import Role


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


# ---- the Panel, staff networks and the Board ----------------------------------------------------

DECISIONS_WITH_A_DATE = {"recovery_plan_due": "the date the recovery plan is due",
                         "extension_granted": "the new due date"}
DECISIONS_WITH_WORDS = {"challenge_issued": "Say what the Panel challenges",
                        "penalty_agreed": "Say what the penalty is",
                        "support_offered": "Say what support the Panel offers"}
CONTRADICTS = {"extension_granted": "extension_refused", "extension_refused": "extension_granted",
               "flag_upheld": "flag_withdrawn", "flag_withdrawn": "flag_upheld"}


@dataclass(frozen=True)
class EarlierDecision:
    decision_id: str
    kind: str
    words: str


@dataclass(frozen=True)
class DecisionForm:
    kind: str
    note: str
    due_date: date | None
    replaces: str | None


def read_decision(form: dict[str, str], kinds: Iterable[str], today: date,
                  earlier: list[EarlierDecision]) -> DecisionForm:
    """A decision on an agenda item: its kind, the words the kind needs, the date it sets (not in
    the past), and, when it contradicts or repeats one already recorded on the item, that it
    replaces it."""
    kind = (form.get("kind") or "").strip()
    problems: list[Problem] = []
    if kind not in set(kinds):
        raise FormProblems([Problem("kind", "Choose what the Panel decided")])
    note = (form.get("note") or "").strip()
    if kind in DECISIONS_WITH_WORDS and not note:
        problems.append(Problem("note", DECISIONS_WITH_WORDS[kind]))
    if len(note) > 5000:
        problems.append(Problem("note", "Keep this to 5,000 characters or fewer"))
    due: date | None = None
    if kind in DECISIONS_WITH_A_DATE:
        due, wrong = a_date(form, "due-date", DECISIONS_WITH_A_DATE[kind])
        problems += wrong
        if due is not None and due < today:
            problems.append(Problem("due-date", "The date is in the past: give a date from today on"))
    replaces = (form.get("replaces") or "").strip() or None
    clash = next((d for d in earlier if d.kind in (kind, CONTRADICTS.get(kind))), None)
    if clash is not None and replaces != clash.decision_id:
        problems.append(Problem("replaces", f"The Panel already {clash.words} on this item: say that this "
                                            "decision replaces it, or record nothing"))
    if replaces is not None and replaces not in {d.decision_id for d in earlier}:
        problems.append(Problem("replaces", "There is no earlier decision on this item to replace"))
    if problems:
        raise FormProblems(problems)
    return DecisionForm(kind, note, due, replaces)


CONCERN_KINDS = {"concern": "a concern", "challenge": "a challenge", "support": "support for the recovery plan"}


def read_concern(form: dict[str, str]) -> tuple[str, str]:
    """A staff network's concern, challenge or support, in their words."""
    kind = (form.get("kind") or "").strip()
    problems = [] if kind in CONCERN_KINDS else [Problem("kind", "Choose a concern, a challenge or support")]
    words, wrong = text(form, "text", "Enter what the staff network wants the Panel to hear")
    problems += wrong
    if problems:
        raise FormProblems(problems)
    return kind, words


def read_consequence(form: dict[str, str], today: date, person_ids: Iterable[str]) -> tuple[str, str, date]:
    """A consequence the People Board agreed: what it is, who carries it out, and when the Board
    follows it up (a date from today on)."""
    consequence, problems = text(form, "consequence", "Enter the consequence the Board agreed", limit=5000)
    owner = (form.get("owner") or "").strip()
    if not owner:
        problems.append(Problem("owner", "Enter who carries the consequence out (their id)"))
    elif owner not in set(person_ids):
        problems.append(Problem("owner", f"No one has the id {owner}"))
    when, wrong = a_date(form, "follow-up-by", "the date the Board follows it up")
    problems += wrong
    if when is not None and when < today:
        problems.append(Problem("follow-up-by", "The follow-up date is in the past: give a date from today on"))
    if problems or when is None:
        raise FormProblems(problems)
    return consequence, owner, when
