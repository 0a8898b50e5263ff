"""The portal's rules, without I/O: who is who and who may do what (``rights``), and what each
form must say (``forms``)."""

from .forms import (
    CONCERN_KINDS,
    CONTRADICTS,
    DECISIONS_WITH_A_DATE,
    MAX_PLAN_STEPS,
    DecisionForm,
    EarlierDecision,
    FormProblems,
    PersonForm,
    PlanStep,
    Problem,
    RecoveryPlanForm,
    read_concern,
    read_consequence,
    read_contest,
    read_decision,
    read_explanation,
    read_extension,
    read_person,
    read_recovery_plan,
)
from .rights import (
    ActionFacts,
    Person,
    Role,
    answering_role,
    concern_role,
    consequence_role,
    deciding_role,
    importing_systems,
    leaders_actions,
    may_acknowledge,
    may_administer,
    may_see_action,
    notice_link_refusal,
)

__all__ = [
    "CONCERN_KINDS", "CONTRADICTS", "DECISIONS_WITH_A_DATE", "MAX_PLAN_STEPS", "ActionFacts", "DecisionForm",
    "EarlierDecision", "FormProblems", "Person", "PersonForm", "PlanStep", "Problem", "RecoveryPlanForm", "Role",
    "answering_role", "concern_role", "consequence_role", "deciding_role", "importing_systems", "leaders_actions",
    "may_acknowledge",
    "may_administer", "may_see_action", "notice_link_refusal", "read_concern", "read_consequence", "read_contest",
    "read_decision", "read_explanation", "read_extension", "read_person", "read_recovery_plan",
]
