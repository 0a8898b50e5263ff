"""What the Panel's verification form and a leader's cover form must say (no I/O).

The Panel checks what a system reported, the action's status or one milestone reached: it
verifies it (naming the evidence it looked at), disputes it (saying why), or withdraws an
earlier verification or dispute. A leader names who acts for them, on one action (a delegate)
or on all their actions (cover for leave), from a first day to a last day: cover ends by itself.
The accountability service checks each again against its own state; these rules give the person
at the form every problem at once, in words."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import TypeAdapter, ValidationError

from shared.contracts.events import WebUrl
from shared.contracts.vocabulary import VERIFICATION_KINDS

from .forms import FormProblems, Problem, a_date

STATUS = "status"  # the target of a verification that names no milestone
MAX_EVIDENCE_LINKS = 20  # as the event allows
VERIFICATION_CHOICES = {
    "verified": "Verify it: the Panel checked the evidence and it holds",
    "disputed": "Dispute it: the Panel checked and it does not hold",
    "verification_withdrawn": "Withdraw the Panel's earlier verification or dispute",
}
THIS_ACTION, ALL_ACTIONS = "this-action", "all-actions"
_URL: TypeAdapter[Any] = TypeAdapter(WebUrl)


@dataclass(frozen=True)
class VerificationForm:
    kind: str
    milestone_id: str | None  # None: the action's status
    evidence_links: tuple[str, ...]
    note: str


def _links(raw: str) -> tuple[list[str], list[Problem]]:
    """One web address per line; blank lines ignored."""
    links = [line.strip() for line in raw.splitlines() if line.strip()]
    problems = [Problem("evidence-links", f"Link {n} ({link[:60]}) is not a web address: give one like "
                                          "https://www.example.nhs.uk/board-paper.pdf")
                for n, link in enumerate(links, 1) if not _valid(link)]
    if len(links) > MAX_EVIDENCE_LINKS:
        problems.append(Problem("evidence-links", f"Give at most {MAX_EVIDENCE_LINKS} links"))
    return links, problems


def _valid(link: str) -> bool:
    try:
        _URL.validate_python(link)
    except ValidationError:
        return False
    return link.lower().startswith(("https://", "http://"))


def read_verification(form: dict[str, str], milestones: Mapping[str, str],
                      checked: Iterable[str]) -> VerificationForm:
    """``milestones``: each milestone's state as the system reported it; ``checked``: the targets
    (``status`` or a milestone id) the Panel has verified or disputed and not withdrawn."""
    kind, target = (form.get("kind") or "").strip(), (form.get("target") or "").strip()
    note = (form.get("note") or "").strip()
    links, problems = _links(form.get("evidence-links") or "")
    if kind not in VERIFICATION_KINDS:
        problems.append(Problem("kind", "Choose whether the Panel verifies, disputes or withdraws"))
    if target != STATUS and target not in milestones:
        problems.append(Problem("target", "Choose what the Panel checked: the action's status or a milestone"))
    elif kind == "verified" and target != STATUS and milestones[target] != "reached":
        problems.append(Problem("target", "The system has not reported this milestone reached, so there is "
                                          "nothing to verify: dispute it, or choose another"))
    elif kind == "verification_withdrawn" and target not in set(checked):
        problems.append(Problem("target", "The Panel has not verified or disputed this, so there is nothing "
                                          "to withdraw"))
    if kind == "verified" and not links and not any(p.field == "evidence-links" for p in problems):
        problems.append(Problem("evidence-links", "Enter at least one link to the evidence the Panel checked"))
    if kind == "disputed" and not note:
        problems.append(Problem("note", "Say why the Panel disputes what the system reported"))
    if len(note) > 5000:
        problems.append(Problem("note", "Keep this to 5,000 characters or fewer"))
    if problems:
        raise FormProblems(problems)
    return VerificationForm(kind, None if target == STATUS else target, tuple(links), note)


def still_checked(decisions: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Each target verified or disputed and not withdrawn since (to what the Panel says of it),
    from the decisions in order."""
    found: dict[str, str] = {}
    for d in decisions:
        what = d.get("milestone_id") or STATUS
        if d["kind"] == "verification_withdrawn":
            found.pop(what, None)
        else:
            found[what] = d["kind"]
    return found


def checks_in_words(checked: Mapping[str, str], titles: Mapping[str, str]) -> list[str]:
    """'verified the status', "disputed milestone 'Plan agreed'": what the Panel stands behind now."""
    return [f"{kind} " + ("the status" if what == STATUS else f"milestone '{titles.get(what, what)}'")
            for what, kind in checked.items()]


@dataclass(frozen=True)
class CoverForm:
    cover: str
    action_id: str | None  # None: every action of the leader
    starts_on: date
    ends_on: date


def read_cover(form: dict[str, str], leader: str, action_id: str, people: Mapping[str, str],
               today: date) -> CoverForm:
    """``people``: who can be named (person id to name), from the directory."""
    cover, scope = (form.get("cover") or "").strip(), (form.get("scope") or "").strip()
    problems: list[Problem] = []
    if cover == leader:
        problems.append(Problem("cover", "You cannot cover for yourself: choose someone else"))
    elif cover not in people:
        problems.append(Problem("cover", "Choose who will act for you, from the directory"))
    if scope not in (THIS_ACTION, ALL_ACTIONS):
        problems.append(Problem("scope", "Choose whether they act for you on this action or on all your actions"))
    starts_on, wrong = a_date(form, "starts-on", "the first day")
    problems += wrong
    ends_on, wrong = a_date(form, "ends-on", "the last day")
    problems += wrong
    if starts_on is not None and starts_on < today:
        problems.append(Problem("starts-on", "The first day is in the past: give a date from today on"))
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        problems.append(Problem("ends-on", "The last day is before the first day"))
    if problems or starts_on is None or ends_on is None:
        raise FormProblems(problems)
    return CoverForm(cover, action_id if scope == THIS_ACTION else None, starts_on, ends_on)


def cover_in_force(covers: Iterable[Mapping[str, Any]], action_id: str, today: date) -> list[Mapping[str, Any]]:
    """The covers (``cover.arranged`` payloads of the action's leader) that hold on ``action_id``
    today, a delegate for the action first."""
    held = [c for c in covers if c.get("action_id") in (None, action_id)
            and date.fromisoformat(c["starts_on"]) <= today <= date.fromisoformat(c["ends_on"])]
    return sorted(held, key=lambda c: c.get("action_id") is None)
