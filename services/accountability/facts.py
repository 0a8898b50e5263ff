"""What the rules judge and what they find, with no I/O: the facts about one action, the
tolerances in force, and each finding with the provenance that explains it later (its rule's
version, the settings it used, the inputs it judged)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from shared.contracts.events import ActionSnapshot, Judged, Reason
from shared.contracts.vocabulary import Status
from shared.disclosure import DEFAULT_THRESHOLD

from .settings import AccountabilitySettings

# Each rule's version: raise it whenever what the rule decides (or what it reads) changes, so a
# flag kept in the history says which version of the rule raised it.
RULE_VERSIONS: dict[str, int] = {
    "milestone_passed": 1, "due_date_passed": 1, "no_update_in_cycle": 1, "behind_trajectory": 1,
    "measure_out_of_range": 1, "measure_worsening": 1, "panel_date_missed": 1, "board_follow_up_missed": 1,
    "repeated_slip": 1, "measure_not_yet_significant": 1,
}


@dataclass(frozen=True)
class Finding:
    rule: str
    status: Status
    message: str
    key: str = ""
    settings: dict[str, int | float] = field(default_factory=dict)  # the tolerances it used
    inputs: dict[str, Judged] = field(default_factory=dict)  # what it judged

    def reason(self) -> Reason:
        return Reason(rule=self.rule, status=self.status, message=self.message,
                      rule_version=RULE_VERSIONS[self.rule], settings=self.settings, inputs=self.inputs)

    @property
    def signature(self) -> list[str]:
        return [self.rule, str(self.status), self.key]


@dataclass(frozen=True)
class Tolerances:
    trajectory_at_risk_points: float = 10.0
    trajectory_off_track_points: float = 25.0
    measure_worsening_tolerance: float = 0.0
    repeat_slip_cycles: int = 2
    small_numbers: int = DEFAULT_THRESHOLD  # a figure from fewer people is never quoted (shared/disclosure.py)

    @classmethod
    def from_settings(cls, s: AccountabilitySettings) -> Tolerances:
        return cls(s.trajectory_at_risk_points, s.trajectory_off_track_points,
                   s.measure_worsening_tolerance, s.repeat_slip_cycles, s.small_number_threshold)


@dataclass(frozen=True)
class CycleFacts:
    cycle_id: str
    opens_on: date
    submission_deadline: date


@dataclass(frozen=True)
class DecisionFacts:
    decision_id: str
    meeting_id: str
    kind: str
    due_date: date | None
    recorded_on: date | None


@dataclass(frozen=True)
class ConsequenceFacts:
    consequence_id: str
    follow_up_by: date
    agreed_on: date | None


@dataclass(frozen=True)
class ResponseFacts:
    kind: Literal["explanation", "recovery_plan"]
    received_on: date | None


@dataclass(frozen=True)
class Facts:
    action: ActionSnapshot
    today: date | None
    cycle: CycleFacts | None = None  # the cycle whose deadline passed last, else the current one
    decisions: tuple[DecisionFacts, ...] = ()
    responses: tuple[ResponseFacts, ...] = ()
    consequences: tuple[ConsequenceFacts, ...] = ()  # what the People Board agreed, with follow-up dates
    previous_cycles: tuple[tuple[str, bool], ...] = ()  # closed cycles, latest first: (cycle id, slipped)
    tolerances: Tolerances = field(default_factory=Tolerances)

    @property
    def open(self) -> bool:
        return self.action.lifecycle == "open"


@dataclass(frozen=True)
class Verdict:
    status: Status
    findings: tuple[Finding, ...]

    @property
    def reasons(self) -> list[Reason]:
        return [f.reason() for f in self.findings]

    @property
    def signature(self) -> list[list[str]]:
        return [f.signature for f in self.findings]
