"""Who may act on an action, as the accountability service checks it against its own state (pure)."""

from __future__ import annotations

from datetime import date

import pytest

from services.accountability import rights
from services.accountability.rights import Act, Action, PanelContext, Person, Refusal
from shared.contracts import events as ev
from shared.contracts.vocabulary import LadderStep

ACTION = Action("bc-ap3", "black-country", "p-lead-bc", LadderStep.PANEL_AGENDA)
LEADER = Person("p-lead-bc", frozenset({"leader"}), frozenset({"black-country"}))
OTHER_LEADER = Person("p-lead-li", frozenset({"leader"}), frozenset({"lincolnshire"}))
DELEGATE = Person("p-deputy", frozenset({"delegate"}), delegate_for=frozenset({"p-lead-bc"}))
SRO = Person("p-sro-bc", frozenset({"sro"}), frozenset({"black-country"}))
OTHER_SRO = Person("p-sro-li", frozenset({"sro"}), frozenset({"lincolnshire"}))
CHAIR = Person("p-chair", frozenset({"panel_chair"}))
MEMBER = Person("p-member", frozenset({"panel_member"}))
BOARD_MEMBER = Person("p-board", frozenset({"board_member"}))
SECRETARY = Person("p-secretary", frozenset({"board_secretary"}))
NETWORK = Person("p-network-bc", frozenset({"staff_network_lead"}), frozenset({"black-country"}))
OTHER_NETWORK = Person("p-network-li", frozenset({"staff_network_lead"}), frozenset({"lincolnshire"}))


def answer(person: Person | None, role: str | None, kind: rights.ActKind = "recovery_plan",
           person_id: str | None = None) -> str | Refusal:
    who = person_id or (person.person_id if person else None)
    return rights.answer_role(Act(kind, ACTION.action_id, who, role), person, ACTION)


# ---- answers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", rights.ANSWERS)
@pytest.mark.parametrize(("person", "role"), [(LEADER, "leader"), (DELEGATE, "delegate"), (SRO, "sro")],
                         ids=["the leader", "a delegate named for the leader", "the system's SRO"])
def test_the_leader_a_delegate_named_for_them_and_the_systems_sro_may_answer(person, role, kind):
    assert answer(person, role, kind) == role


def test_the_leader_answers_even_when_the_directory_does_not_know_them_yet():
    assert answer(None, "leader", person_id="p-lead-bc") == "leader"


@pytest.mark.parametrize("person", [OTHER_LEADER, OTHER_SRO, CHAIR, NETWORK, BOARD_MEMBER],
                         ids=["another leader", "another system's SRO", "the Panel's chair", "a staff network lead",
                              "a Board member"])
def test_no_one_else_may_answer(person):
    refused = answer(person, "leader")
    assert isinstance(refused, Refusal) and refused.code == "without_the_right"
    assert refused.reason == (f"{person.person_id} is not the accountable leader of bc-ap3, a delegate named for its "
                              "leader, covering for its leader today, or the senior responsible owner of black-country")


def test_a_delegate_of_another_leader_or_without_the_delegate_role_may_not_answer():
    elsewhere = Person("p-deputy", frozenset({"delegate"}), delegate_for=frozenset({"p-lead-li"}))
    no_role = Person("p-deputy", frozenset(), delegate_for=frozenset({"p-lead-bc"}))
    assert isinstance(answer(elsewhere, "delegate"), Refusal)
    assert isinstance(answer(no_role, "delegate"), Refusal)


def test_acting_in_a_role_one_does_not_hold_for_the_action_is_refused():
    refused = answer(SRO, "leader")
    assert refused == Refusal("not_in_that_role", "p-sro-bc acted as leader, a role in which they may not send a "
                                                  "recovery plan on this action (they may as sro)")


def test_an_older_answer_naming_no_role_is_taken_in_the_first_role_its_sender_holds():
    assert answer(None, None, "explanation", person_id="p-lead-bc") == "leader"
    assert answer(SRO, None, "explanation") == "sro"


# ---- the Panel ---------------------------------------------------------------------------------

def decision(kind: str = "challenge_issued", replaces: str | None = None) -> ev.PanelDecision:
    return ev.PanelDecision(decision_id="d-2", meeting_id="panel-2026-Q1", action_id="bc-ap3", kind=kind,
                            replaces=replaces, acting_person="p-chair", acting_role="panel_chair")


ON_AGENDA = PanelContext(True)


def decide(person: Person | None, role: str, d: ev.PanelDecision | None = None,
           panel: PanelContext = ON_AGENDA) -> str | Refusal:
    act = Act("decision", "bc-ap3", person.person_id if person else "p-nobody", role)
    return rights.decision_role(act, person, d or decision(), panel)


def test_the_panels_chair_and_members_decide_on_an_item_of_a_published_agenda():
    assert decide(CHAIR, "panel_chair") == "panel_chair"
    assert decide(MEMBER, "panel_member") == "panel_member"


@pytest.mark.parametrize("person", [LEADER, SRO, BOARD_MEMBER, None], ids=["a leader", "an SRO", "a Board member",
                                                                           "someone unknown"])
def test_no_one_outside_the_panel_records_its_decisions(person):
    refused = decide(person, "panel_chair")
    assert isinstance(refused, Refusal) and refused.code == "without_the_right"
    assert refused.reason.endswith("is not the Panel's chair or a member")


def test_a_decision_on_an_item_not_on_the_published_agenda_is_refused():
    assert decide(CHAIR, "panel_chair", panel=PanelContext(False)) == Refusal(
        "not_on_the_agenda", "bc-ap3 is not on the published agenda of meeting panel-2026-Q1")


def test_a_decision_contradicting_or_repeating_one_in_force_must_say_it_replaces_it():
    granted = PanelContext(True, [("d-1", "extension_granted")])
    refused = decide(CHAIR, "panel_chair", decision("extension_refused"), granted)
    assert isinstance(refused, Refusal) and refused.code == "contradicts_a_decision"
    assert "the Panel already granted more time on this item (decision d-1)" in refused.reason
    assert decide(CHAIR, "panel_chair", decision("extension_granted"), granted).code == "contradicts_a_decision"
    assert decide(CHAIR, "panel_chair", decision("extension_refused", replaces="d-1"), granted) == "panel_chair"
    assert decide(CHAIR, "panel_chair", decision("support_offered"), granted) == "panel_chair"


def test_a_decision_may_replace_only_a_decision_in_force_on_its_item():
    refused = decide(CHAIR, "panel_chair", decision(replaces="d-9"), PanelContext(True, [("d-1", "flag_upheld")]))
    assert refused == Refusal("replaces_no_decision", "there is no decision d-9 in force on this item to replace")


# ---- the Board and staff networks ------------------------------------------------------------------

def consequence(person: Person | None, role: str, action: Action = ACTION) -> str | Refusal:
    act = Act("consequence", action.action_id, person.person_id if person else "p-x", role)
    return rights.consequence_role(act, person, action)


def test_board_members_and_its_secretary_agree_consequences_on_actions_referred_to_the_board():
    at_board = Action("bc-ap3", "black-country", "p-lead-bc", LadderStep.PEOPLE_BOARD)
    assert consequence(BOARD_MEMBER, "board_member", at_board) == "board_member"
    assert consequence(SECRETARY, "board_secretary", at_board) == "board_secretary"
    assert consequence(CHAIR, "board_member", at_board).code == "without_the_right"
    assert consequence(BOARD_MEMBER, "board_member") == Refusal(
        "not_referred_to_the_board", "bc-ap3 has not been referred to the People Board")


def concern(person: Person | None, role: str, system: str = "black-country") -> str | Refusal:
    act = Act("concern", "bc-ap3", person.person_id if person else "p-x", role)
    return rights.concern_role(act, person, ACTION, system)


def test_a_staff_network_lead_of_the_actions_system_raises_concerns_about_it():
    assert concern(NETWORK, "staff_network_lead") == "staff_network_lead"
    assert concern(OTHER_NETWORK, "staff_network_lead") == Refusal(
        "without_the_right", "p-network-li is not a staff network lead of black-country")
    assert concern(LEADER, "staff_network_lead").code == "without_the_right"
    assert concern(NETWORK, "staff_network_lead", system="lincolnshire") == Refusal(
        "wrong_system", "bc-ap3 belongs to black-country, not lincolnshire")


# ---- the acts events record --------------------------------------------------------------------------

def test_every_act_names_its_action_person_and_role_and_the_older_answers_only_their_sender():
    given = ev.ExplanationGiven.new(source="portal", subject="bc-ap3", data=ev.Explanation(
        action_id="bc-ap3", text="Chair left", acting_person="p-deputy", acting_role="delegate"))
    older = ev.ExplanationReceived.new(source="leaders", subject="bc-ap3", data=ev.LeaderResponse(
        action_id="bc-ap3", from_person="p-lead-bc", text="Chair left"))
    agreed = ev.ConsequenceAgreed.new(source="portal", subject="bc-ap3", data=ev.BoardConsequence(
        consequence_id="c-1", action_id="bc-ap3", consequence="Funding withheld", owner="p-sro-bc",
        follow_up_by=date(2026, 5, 1), acting_person="p-board", acting_role="board_member"))
    assert rights.act_of(given) == Act("explanation", "bc-ap3", "p-deputy", "delegate")
    assert rights.act_of(older) == Act("explanation", "bc-ap3", "p-lead-bc", None)
    assert rights.act_of(agreed) == Act("consequence", "bc-ap3", "p-board", "board_member")
    assert set(rights.KINDS) == {ev.ExplanationReceived, ev.RecoveryPlanReceived, *ev.PEOPLES_ANSWERS,
                                 ev.PanelDecisionRecorded, *ev.GOOD_PRACTICE}


def test_a_decision_naming_no_one_or_an_act_on_an_unknown_action_is_refused_with_its_reason():
    act = Act("decision", "bc-ap3", None, None)
    assert rights.no_one_named(act) == Refusal("no_one_named",
                                               "A Panel decision must name the person who acted and their role")
    assert rights.unknown_action(act).code == "unknown_action"
