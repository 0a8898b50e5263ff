"""Who may act on an action, judged against this service's own state (pure: no I/O).

People act through the portal, which names the person and the role they acted in. This
service does not take the portal's word for it: before an act changes anything, the person's
right is checked against what this service knows itself: the action (its accountable leader,
its system, the rung of its open escalation), the people (roles, systems and delegates, from
the directory topic), the Panel's published agendas and the decisions already recorded.

- an explanation, a recovery plan, a request for more time, a contest of the flag: the action's
  accountable leader, a delegate named for that leader, or the senior responsible owner (SRO)
  of the action's system;
- a Panel decision: the Panel's chair or a member, on an item of a published agenda; one that
  contradicts or repeats a decision in force on the item names it in ``replaces``;
- a consequence: a People Board member or its secretary, on an action referred to the Board;
- a concern, a challenge or support: a staff network lead of the action's system.

Anything else is refused with a ``Refusal``: a code and a reason in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from shared.contracts import Event
from shared.contracts import events as ev
from shared.contracts.vocabulary import CONTRADICTS, LadderStep, decision_words

from . import verification
from .baselines import REBASELINE_KINDS
from .cover import COVER
from .verification import VERIFICATION_KINDS, Standing

# The directory's words for the roles (what the portal publishes on notifications.directory).
LEADER, DELEGATE, SRO = "leader", "delegate", "sro"
PANEL_CHAIR, PANEL_MEMBER = "panel_chair", "panel_member"
BOARD_MEMBER, BOARD_SECRETARY = "board_member", "board_secretary"
STAFF_NETWORK_LEAD = "staff_network_lead"
PANEL = (PANEL_CHAIR, PANEL_MEMBER)
BOARD = (BOARD_MEMBER, BOARD_SECRETARY)

ActKind = Literal["explanation", "recovery_plan", "extension_request", "flag_contest", "concern", "decision",
                  "consequence", "nomination", "practice_review", "award_entry", "cover"]
ANSWERS: tuple[ActKind, ...] = ("explanation", "recovery_plan", "extension_request", "flag_contest")
IN_WORDS: dict[ActKind, str] = {
    "explanation": "an explanation", "recovery_plan": "a recovery plan", "extension_request": "a request for more time",
    "flag_contest": "a contest of the flag", "concern": "a staff network's concern", "decision": "a Panel decision",
    "consequence": "a People Board consequence", "nomination": "a good practice nomination",
    "practice_review": "the Panel's review of good practice", "award_entry": "an awards entry",
    "cover": "cover for a leader",
}

PeoplesAct = (ev.ExplanationReceived | ev.RecoveryPlanReceived | ev.ExplanationGiven | ev.RecoveryPlanSent
              | ev.ExtensionRequested | ev.FlagContested | ev.ConcernRaised | ev.PanelDecisionRecorded
              | ev.ConsequenceAgreed | ev.GoodPracticeNominated | ev.GoodPracticeReviewed | ev.AwardEntryUpdated)


@dataclass(frozen=True)
class Person:
    """Someone in the directory, as far as rights go (no name, no contact details)."""

    person_id: str
    roles: frozenset[str] = frozenset()
    systems: frozenset[str] = frozenset()
    delegate_for: frozenset[str] = frozenset()

    @classmethod
    def from_event(cls, p: ev.Person) -> Person:
        return cls(p.person_id, frozenset(p.roles), frozenset(p.systems), frozenset(p.delegate_for))


@dataclass(frozen=True)
class Action:
    """What the rights need to know of an action: whose it is, and where it stands on the ladder."""

    action_id: str
    system: str
    accountable_leader: str
    step: LadderStep | None = None  # the rung of its open escalation; None when not escalated
    covered_by: frozenset[str] = frozenset()  # who covers for its leader today (a delegate, cover for leave)


@dataclass(frozen=True)
class Act:
    """Someone acting on an action, as the event says: what, on which action, who and in which role
    (``acting_role`` None: the older ``*.received`` answers name the person, not the role)."""

    kind: ActKind
    action_id: str
    acting_person: str | None
    acting_role: str | None

    @property
    def words(self) -> str:
        return IN_WORDS[self.kind]


@dataclass(frozen=True)
class PanelContext:
    """What a decision is checked against: is its item on the meeting's published agenda, and the
    decisions in force on that item (id, kind), earliest first."""

    on_agenda: bool
    in_force: list[tuple[str, str]] = field(default_factory=list)
    rebaseline_pending: bool = False  # a re-baseline request awaits the Panel's decision
    milestones: dict[str, str] = field(default_factory=dict)  # each milestone's state, as the system reported it
    standing: dict[str, Standing] = field(default_factory=dict)  # what the Panel verified or disputed so far


@dataclass(frozen=True)
class Refusal:
    code: str
    reason: str


KINDS: dict[type[Event], ActKind] = {
    ev.ExplanationReceived: "explanation", ev.RecoveryPlanReceived: "recovery_plan",
    ev.ExplanationGiven: "explanation", ev.RecoveryPlanSent: "recovery_plan",
    ev.ExtensionRequested: "extension_request", ev.FlagContested: "flag_contest", ev.ConcernRaised: "concern",
    ev.PanelDecisionRecorded: "decision",
    ev.ConsequenceAgreed: "consequence",
    ev.GoodPracticeNominated: "nomination", ev.GoodPracticeReviewed: "practice_review",
    ev.AwardEntryUpdated: "award_entry",
}


def act_of(event: PeoplesAct) -> Act:
    """The act an event records."""
    kind = KINDS[type(event)]
    if isinstance(event, ev.ExplanationReceived | ev.RecoveryPlanReceived):
        return Act(kind, event.data.action_id, event.data.from_person, None)
    return Act(kind, event.data.action_id, event.data.acting_person, event.data.acting_role)


# ---- who may do what ------------------------------------------------------------------------

def answering_roles(person_id: str, person: Person | None, action: Action) -> list[str]:
    """Every role in which ``person_id`` may answer for ``action``: its leader, a delegate named for
    its leader, the SRO of its system."""
    roles = [LEADER] if person_id == action.accountable_leader else []
    if person is not None and DELEGATE in person.roles and action.accountable_leader in person.delegate_for:
        roles.append(DELEGATE)
    if person is not None and SRO in person.roles and action.system in person.systems:
        roles.append(SRO)
    if person_id in action.covered_by:
        roles.append(COVER)
    return roles


def in_a_role(act: Act, held: list[str], missing: str, about: str = " on this action") -> str | Refusal:
    """The role the act is taken in: the one it names when the person holds it (the first they hold
    when it names none); refused when they hold none, or not the one it names (``about``: what on)."""
    if not held:
        return Refusal("without_the_right", missing)
    if act.acting_role is None:
        return held[0]
    if act.acting_role not in held:
        return Refusal("not_in_that_role", f"{act.acting_person} acted as {act.acting_role}, a role in which they "
                                           f"may not send {act.words}{about} (they may as {', '.join(held)})")
    return act.acting_role


def answer_role(act: Act, person: Person | None, action: Action) -> str | Refusal:
    """An explanation, a recovery plan, a request for more time or a contest of the flag."""
    who = act.acting_person or ""
    return in_a_role(act, answering_roles(who, person, action),
                      f"{who} is not the accountable leader of {action.action_id}, a delegate named for its leader, "
                      f"covering for its leader today, or the senior responsible owner of {action.system}")


def _held(person: Person | None, roles: tuple[str, ...]) -> list[str]:
    return [r for r in roles if person is not None and r in person.roles]


def decision_role(act: Act, person: Person | None, decision: ev.PanelDecision, panel: PanelContext) -> str | Refusal:
    """A Panel decision: by its chair or a member, on an item of the meeting's published agenda; one that
    contradicts or repeats a decision in force on the item must say it replaces it."""
    role = in_a_role(act, _held(person, PANEL), f"{act.acting_person} is not the Panel's chair or a member")
    if isinstance(role, Refusal):
        return role
    if decision.kind in REBASELINE_KINDS:  # decides the request awaiting it, on the agenda or not
        return role if panel.rebaseline_pending else Refusal(
            "no_rebaseline_request", f"{decision.action_id} has no re-baseline request awaiting the Panel's decision")
    if decision.kind in VERIFICATION_KINDS:  # the Panel may check any action, on the agenda or not
        wrong = verification.refusal(decision, panel.milestones, panel.standing)
        return role if wrong is None else Refusal("cannot_verify", wrong)
    if not panel.on_agenda:
        return Refusal("not_on_the_agenda", f"{decision.action_id} is not on the published agenda of meeting "
                                            f"{decision.meeting_id}")
    if decision.replaces is not None and decision.replaces not in {i for i, _ in panel.in_force}:
        return Refusal("replaces_no_decision", f"there is no decision {decision.replaces} in force on this item "
                                               "to replace")
    clash = next((i for i, kind in panel.in_force if kind in (decision.kind, CONTRADICTS.get(decision.kind))), None)
    if clash is not None and decision.replaces != clash:
        kind = dict(panel.in_force)[clash]
        return Refusal("contradicts_a_decision", f"the Panel already {decision_words(kind)} on this item "
                                                 f"(decision {clash}); a decision contradicting or repeating it must "
                                                 "say it replaces it")
    return role


def consequence_role(act: Act, person: Person | None, action: Action) -> str | Refusal:
    """A consequence: by a People Board member or its secretary, on an action referred to the Board."""
    role = in_a_role(act, _held(person, BOARD),
                      f"{act.acting_person} is not a member or the secretary of the People Board")
    if isinstance(role, Refusal):
        return role
    if action.step != LadderStep.PEOPLE_BOARD:
        return Refusal("not_referred_to_the_board", f"{action.action_id} has not been referred to the People Board")
    return role


def concern_role(act: Act, person: Person | None, action: Action, system: str) -> str | Refusal:
    """A concern, a challenge or support: by a staff network lead of the action's system."""
    if system != action.system:
        return Refusal("wrong_system", f"{action.action_id} belongs to {action.system}, not {system}")
    held = _held(person, (STAFF_NETWORK_LEAD,)) if person is not None and action.system in person.systems else []
    return in_a_role(act, held, f"{act.acting_person} is not a staff network lead of {action.system}")


def unknown_action(act: Act) -> Refusal:
    return Refusal("unknown_action", f"{act.action_id} is not an action this service knows, so no one's right to "
                                     f"send {act.words} on it can be checked")


def no_one_named(act: Act) -> Refusal:
    words = act.words[0].upper() + act.words[1:]
    return Refusal("no_one_named", f"{words} must name the person who acted and their role")
