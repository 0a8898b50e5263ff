"""The governance cycle's words, in one place: statuses, ladder steps, Panel decisions and
dates in words. Every report, e-mail and page takes its order and its words from here.

The values (``on_track``, ``leader_asked``...) are the contract; the words are how people
read them. The words are written for any reader, so a sentence can be built around them:
"It is {status.words}", "The action was {step.past}".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import Literal

PANEL = "Race, Equality and Inclusion Panel"
BOARD = "People Board"

# System, action, milestone and person ids: lower-case letters, digits and hyphens, starting and
# ending with a letter or digit, at most ID_MAX_LENGTH long. Safe in a URL, a topic name, a log
# line and a query value as they are; anything else is refused where it comes in.
ID_PATTERN = r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$"
ID_MAX_LENGTH = 100


class Status(StrEnum):
    """An action's status: the familiar RAG, plus the two ways an action ends."""

    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"

    @property
    def words(self) -> str:
        """'on track', 'at risk'... as inside a sentence."""
        return self.value.replace("_", " ")

    @property
    def label(self) -> str:
        """'On track', 'At risk'... as a heading or a table cell."""
        return self.words.capitalize()

    @property
    def severity(self) -> int:
        """Higher is worse, on one scale for the rules, the agenda and the reports."""
        return _SEVERITY[self]

    @property
    def slipping(self) -> bool:
        return self in (Status.AT_RISK, Status.OFF_TRACK)

    @classmethod
    def worst(cls, statuses: Iterable[Status | str]) -> Status | None:
        """The worst of ``statuses`` (None for none)."""
        return max((cls(s) for s in statuses), key=lambda s: s.severity, default=None)


_SEVERITY = {Status.WITHDRAWN: 0, Status.COMPLETED: 1, Status.ON_TRACK: 2, Status.AT_RISK: 3, Status.OFF_TRACK: 4}


class LadderStep(StrEnum):
    """The escalation ladder's rungs, lowest first (the declaration order is the climb)."""

    LEADER_ASKED = "leader_asked"
    PANEL_AGENDA = "panel_agenda"
    PEOPLE_BOARD = "people_board"

    @property
    def rung(self) -> int:
        """1 for the lowest rung; a higher rung is further up the ladder."""
        return list(LadderStep).index(self) + 1

    @property
    def label(self) -> str:
        """'Leader asked', 'Panel agenda', 'People Board': a short heading."""
        return _STEP_LABEL[self]

    @property
    def words(self) -> str:
        """What the rung means, as a clause: 'the accountable leader is asked to ...'."""
        return _STEP_WORDS[self]

    @property
    def past(self) -> str:
        """What was done when the action reached this rung, in the past tense."""
        return _STEP_PAST[self]

    def is_below(self, other: LadderStep) -> bool:
        return self.rung < other.rung


_STEP_LABEL = {LadderStep.LEADER_ASKED: "Leader asked", LadderStep.PANEL_AGENDA: "Panel agenda",
               LadderStep.PEOPLE_BOARD: BOARD}
_STEP_WORDS = {
    LadderStep.LEADER_ASKED: "the accountable leader is asked to explain the slip or send a recovery plan",
    LadderStep.PANEL_AGENDA: f"it is on the agenda of the {PANEL}",
    LadderStep.PEOPLE_BOARD: f"it has been referred to the {BOARD}",
}
_STEP_PAST = {
    LadderStep.LEADER_ASKED: "the accountable leader was asked to explain or send a recovery plan",
    LadderStep.PANEL_AGENDA: "put on the Panel's agenda",
    LadderStep.PEOPLE_BOARD: f"sent to the {BOARD}",
}

DecisionKind = Literal["challenge_issued", "support_offered", "recovery_plan_due", "penalty_agreed",
                       "referred_to_board", "extension_granted", "extension_refused", "flag_upheld",
                       "flag_withdrawn", "rebaseline_approved", "rebaseline_refused", "verified", "disputed",
                       "verification_withdrawn"]

# What the Panel did, as a verb phrase: "the Panel {words}".
DECISION_WORDS: dict[str, str] = {
    "challenge_issued": "challenged the action",
    "support_offered": "offered support",
    "recovery_plan_due": "asked for a recovery plan",
    "penalty_agreed": "agreed a penalty",
    "referred_to_board": f"referred the action to the {BOARD}",
    "extension_granted": "granted more time",
    "extension_refused": "refused more time",
    "flag_upheld": "upheld the flag",
    "flag_withdrawn": "withdrew the flag",
    "rebaseline_approved": "approved the new plan (a re-baseline)",
    "rebaseline_refused": "refused the new plan: the action stays on its old plan",
    "verified": "checked the evidence and verified what the system reported",
    "disputed": "disputed what the system reported",
    "verification_withdrawn": "withdrew its verification: it stands as the system reported it, unchecked",
}


# Decisions on a re-baseline request, and the Panel's checks of what a system reported: neither is
# bound to an agenda item (the accountability service checks each against what awaits it).
REBASELINE_KINDS = ("rebaseline_approved", "rebaseline_refused")
VERIFICATION_KINDS = ("verified", "disputed", "verification_withdrawn")


# Decisions that undo each other: one recorded after the other on the same agenda item must say
# it replaces it (as must one repeating an earlier decision's kind). The portal's form and the
# accountability service both hold the Panel to this.
CONTRADICTS: dict[str, str] = {"extension_granted": "extension_refused", "extension_refused": "extension_granted",
                               "flag_upheld": "flag_withdrawn", "flag_withdrawn": "flag_upheld"}


def decision_words(kind: str) -> str:
    return DECISION_WORDS.get(kind, kind.replace("_", " "))


def date_in_words(d: date | str | None) -> str:
    """1 April 2026 (people read dates, not ISO strings); '' for no date. An ISO string is
    read as its date; anything else that is not a date is returned as it is."""
    if d is None or d == "":
        return ""
    if isinstance(d, str):
        try:
            day = date.fromisoformat(d[:10])
        except ValueError:
            return d
    else:
        day = d
    return f"{day.day} {day:%B %Y}"
