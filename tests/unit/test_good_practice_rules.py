"""Good practice: who may nominate an action's work, who endorses it, and how it goes forward for
the region's MIDAS awards (pure rules)."""

from services.accountability.practice_rules import Nomination, award_role, nomination_role, review_role
from services.accountability.rights import Act, Action, Person, Refusal
from shared.contracts import events as ev

ACTION = Action("bc-ap3", "black-country", "p-lead")
NETWORK_LEAD = Person("p-net", frozenset({"staff_network_lead"}), frozenset({"black-country"}))
OTHER_NETWORK = Person("p-net-2", frozenset({"staff_network_lead"}), frozenset({"lincolnshire"}))
CHAIR = Person("p-chair", frozenset({"panel_chair"}))
NOMINATED = Nomination("gp-1", "bc-ap3", "nominated")


def review(decision: str = "endorsed") -> ev.GoodPracticeReview:
    return ev.GoodPracticeReview(nomination_id="gp-1", action_id="bc-ap3", decision=decision,
                                 acting_person="p-chair", acting_role="panel_chair")


def entry(status: str) -> ev.AwardEntry:
    return ev.AwardEntry(nomination_id="gp-1", action_id="bc-ap3", status=status, acting_person="p-chair",
                         acting_role="panel_chair")


def test_the_leader_or_a_staff_network_lead_of_the_system_may_nominate():
    assert nomination_role(Act("nomination", "bc-ap3", "p-lead", "leader"), None, ACTION, None) == "leader"
    assert nomination_role(Act("nomination", "bc-ap3", "p-net", "staff_network_lead"), NETWORK_LEAD, ACTION,
                           None) == "staff_network_lead"


def test_a_staff_network_lead_of_another_system_may_not_nominate():
    refused = nomination_role(Act("nomination", "bc-ap3", "p-net-2", "staff_network_lead"), OTHER_NETWORK,
                              ACTION, None)
    assert isinstance(refused, Refusal) and refused.code == "without_the_right"


def test_only_the_panel_reviews_and_only_once():
    act = Act("practice_review", "bc-ap3", "p-chair", "panel_chair")
    assert review_role(act, CHAIR, review(), NOMINATED) == "panel_chair"
    assert review_role(Act("practice_review", "bc-ap3", "p-lead", "leader"), None, review(),
                       NOMINATED).code == "without_the_right"
    endorsed = Nomination("gp-1", "bc-ap3", "endorsed")
    assert review_role(act, CHAIR, review("declined"), endorsed) == Refusal(
        "already_reviewed", "the Panel already endorsed nomination gp-1")


def test_only_endorsed_practice_goes_forward_for_midas_one_step_at_a_time():
    act = Act("award_entry", "bc-ap3", "p-chair", "panel_chair")
    assert award_role(act, CHAIR, entry("put_forward"), NOMINATED).code == "not_endorsed"
    endorsed = Nomination("gp-1", "bc-ap3", "endorsed")
    assert award_role(act, CHAIR, entry("put_forward"), endorsed) == "panel_chair"
    assert award_role(act, CHAIR, entry("awarded"), endorsed) == Refusal(
        "award_out_of_order", "nomination gp-1 is not entered for MIDAS; next it can be put forward")
    forward = Nomination("gp-1", "bc-ap3", "endorsed", "put_forward")
    assert award_role(act, CHAIR, entry("shortlisted"), forward) == "panel_chair"
    assert award_role(act, CHAIR, entry("put_forward"), Nomination("gp-1", "bc-ap3", "endorsed", "awarded")).code \
        == "award_out_of_order"


def test_a_review_of_a_nomination_of_another_action_is_unknown():
    act = Act("practice_review", "bc-other", "p-chair", "panel_chair")
    assert review_role(act, CHAIR, review(), NOMINATED).code == "unknown_nomination"
