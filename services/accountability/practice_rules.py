"""Good practice: who may nominate, endorse and put forward an action's work, and how a
nomination moves (pure: no I/O; the rights of ``rights.py`` applied to good practice).

- a nomination: by the action's accountable leader, a delegate named for its leader, the SRO
  of its system, or a staff network lead of its system ("give staff network groups the power
  to bring about change");
- a review (endorsed or declined): by the Panel's chair or a member, once per nomination;
- an awards entry (MIDAS): by the Panel or the People Board, for endorsed practice only; it is
  put forward first, may then be shortlisted, and ends awarded or not awarded.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.contracts import events as ev

from .rights import BOARD, PANEL, STAFF_NETWORK_LEAD, Act, Action, Person, Refusal, answering_roles, in_a_role

# What may follow what on the way to an award (None: not yet entered).
AWARD_STEPS: dict[str | None, tuple[str, ...]] = {
    None: ("put_forward",), "put_forward": ("shortlisted", "awarded", "not_awarded"),
    "shortlisted": ("awarded", "not_awarded"), "awarded": (), "not_awarded": (),
}
AWARD_WORDS = {"put_forward": "put forward", "shortlisted": "shortlisted", "awarded": "awarded",
               "not_awarded": "not awarded"}


@dataclass(frozen=True)
class Nomination:
    """What the rules need of a stored nomination."""

    nomination_id: str
    action_id: str
    status: str  # nominated | endorsed | declined
    award_status: str | None = None


def nomination_role(act: Act, person: Person | None, action: Action, already: Nomination | None) -> str | Refusal:
    """The leader's side (leader, delegate, SRO) or a staff network lead of the action's system."""
    if already is not None:
        return Refusal("duplicate_nomination", f"nomination {already.nomination_id} already exists")
    who = act.acting_person or ""
    held = answering_roles(who, person, action)
    if person is not None and STAFF_NETWORK_LEAD in person.roles and action.system in person.systems:
        held.append(STAFF_NETWORK_LEAD)
    return in_a_role(act, held, f"{who} is not the accountable leader of {action.action_id}, a delegate for its "
                     f"leader, the senior responsible owner or a staff network lead of {action.system}", about="")


def _nomination_for(act: Act, found: Nomination | None, nomination_id: str) -> Nomination | Refusal:
    if found is None or found.action_id != act.action_id:
        return Refusal("unknown_nomination", f"there is no nomination {nomination_id} of {act.action_id}")
    return found


def review_role(act: Act, person: Person | None, review: ev.GoodPracticeReview,
                found: Nomination | None) -> str | Refusal:
    """The Panel's chair or a member, on a nomination not yet reviewed."""
    role = in_a_role(act, [r for r in PANEL if person is not None and r in person.roles],
                     f"{act.acting_person} is not the Panel's chair or a member", about="")
    if isinstance(role, Refusal):
        return role
    nomination = _nomination_for(act, found, review.nomination_id)
    if isinstance(nomination, Refusal):
        return nomination
    if nomination.status != "nominated":
        return Refusal("already_reviewed", f"the Panel already {nomination.status} nomination {review.nomination_id}")
    return role


def award_role(act: Act, person: Person | None, entry: ev.AwardEntry, found: Nomination | None) -> str | Refusal:
    """The Panel or the People Board, for endorsed practice, one step of the way at a time."""
    role = in_a_role(act, [r for r in (*PANEL, *BOARD) if person is not None and r in person.roles],
                     f"{act.acting_person} is not a member of the Panel or the People Board", about="")
    if isinstance(role, Refusal):
        return role
    nomination = _nomination_for(act, found, entry.nomination_id)
    if isinstance(nomination, Refusal):
        return nomination
    if nomination.status != "endorsed":
        return Refusal("not_endorsed", f"nomination {entry.nomination_id} is {nomination.status}: only practice the "
                                       "Panel endorsed goes forward for an award")
    allowed = AWARD_STEPS[nomination.award_status]
    if entry.status not in allowed:
        now = AWARD_WORDS.get(nomination.award_status or "", "not entered")
        nexts = " or ".join(AWARD_WORDS[s] for s in allowed) or "nothing more"
        return Refusal("award_out_of_order", f"nomination {entry.nomination_id} is {now} for {entry.scheme}; "
                                             f"next it can be {nexts}")
    return role
