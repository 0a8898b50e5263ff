"""What the good practice forms must say (pure): a nomination in the nominator's words, and the
Panel's review or awards step."""

from __future__ import annotations

from dataclasses import dataclass

from .forms import FormProblems, Problem, text

REVIEWS = {"endorsed": "Endorse: add it to the good practice library",
           "declined": "Decline: it stays out of the library"}
AWARD_STEPS = {"put_forward": "Put forward for the MIDAS awards", "shortlisted": "Shortlisted for MIDAS",
               "awarded": "Awarded at MIDAS", "not_awarded": "Not awarded at MIDAS"}


@dataclass(frozen=True)
class NominationForm:
    what_was_done: str
    what_changed: str
    evidence: str


def read_nomination(form: dict[str, str]) -> NominationForm:
    done, problems = text(form, "what_was_done", "Enter what was done", limit=5000)
    changed, wrong = text(form, "what_changed", "Enter what changed because of it", limit=5000)
    problems += wrong
    evidence = (form.get("evidence") or "").strip()
    if len(evidence) > 5000:
        problems.append(Problem("evidence", "Evidence must be 5,000 characters or fewer"))
    if problems:
        raise FormProblems(problems)
    return NominationForm(done, changed, evidence)


def read_review(form: dict[str, str]) -> tuple[str, str]:
    """The Panel's step on a nomination: endorsed or declined, or an awards step; and a note."""
    step = (form.get("step") or "").strip()
    note = (form.get("note") or "").strip()
    problems = [] if step in REVIEWS or step in AWARD_STEPS else [Problem("step", "Choose what the Panel decided")]
    if len(note) > 5000:
        problems.append(Problem("note", "The note must be 5,000 characters or fewer"))
    if problems:
        raise FormProblems(problems)
    return step, note
