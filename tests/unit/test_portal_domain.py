"""The portal's rules: who may do what, and what each form must say."""

from __future__ import annotations

from datetime import date

import pytest

from services.portal.domain import (
    ActionFacts,
    EarlierDecision,
    FormProblems,
    Person,
    Role,
    answering_role,
    concern_role,
    consequence_role,
    deciding_role,
    importing_systems,
    may_acknowledge,
    may_administer,
    may_see_action,
    read_concern,
    read_consequence,
    read_contest,
    read_decision,
    read_explanation,
    read_extension,
    read_person,
    read_recovery_plan,
)

TODAY = date(2026, 2, 20)
ACTION = ActionFacts("bc-ap4", "black-country", "p-lead-bc")
LEADER = Person("p-lead-bc", "Leader", roles=frozenset({Role.LEADER}))
OTHER_LEADER = Person("p-lead-lincs", "Other leader", roles=frozenset({Role.LEADER}))


def person(*roles: Role, systems: tuple[str, ...] = (), delegate_for: tuple[str, ...] = (),
           active: bool = True) -> Person:
    return Person("p-x", "Someone", roles=frozenset(roles), systems=systems, delegate_for=delegate_for,
                  active=active)


def problems_of(read, *args) -> dict[str, str]:
    with pytest.raises(FormProblems) as refused:
        read(*args)
    return {p.field: p.message for p in refused.value.problems}


# ---- who may do what --------------------------------------------------------------------

def test_the_accountable_leader_answers_for_their_action_as_its_leader():
    assert answering_role(LEADER, ACTION) is Role.LEADER


def test_a_leader_cannot_answer_for_another_leaders_action():
    assert answering_role(OTHER_LEADER, ACTION) is None


def test_a_delegate_answers_only_for_the_leaders_they_are_named_for():
    assert answering_role(person(Role.DELEGATE, delegate_for=("p-lead-bc",)), ACTION) is Role.DELEGATE
    assert answering_role(person(Role.DELEGATE, delegate_for=("p-lead-lincs",)), ACTION) is None


def test_being_named_for_a_leader_without_the_delegate_role_gives_no_right():
    assert answering_role(person(Role.LEADER, delegate_for=("p-lead-bc",)), ACTION) is None


def test_the_senior_responsible_owner_answers_for_every_action_of_their_system_only():
    assert answering_role(person(Role.SRO, systems=("black-country",)), ACTION) is Role.SRO
    assert answering_role(person(Role.SRO, systems=("lincolnshire",)), ACTION) is None


def test_someone_no_longer_active_can_do_nothing():
    gone = Person("p-lead-bc", "Leader", roles=frozenset(Role), systems=("black-country",), active=False)
    assert answering_role(gone, ACTION) is None
    assert deciding_role(gone) is None and consequence_role(gone) is None and concern_role(gone, ACTION) is None
    assert not may_administer(gone) and not may_acknowledge(gone, "p-lead-bc")


def test_only_panel_members_and_its_chair_record_decisions():
    assert deciding_role(person(Role.PANEL_CHAIR)) is Role.PANEL_CHAIR
    assert deciding_role(person(Role.PANEL_MEMBER)) is Role.PANEL_MEMBER
    assert deciding_role(LEADER) is None
    assert deciding_role(person(Role.BOARD_MEMBER)) is None


def test_only_the_people_board_records_a_consequence():
    assert consequence_role(person(Role.BOARD_MEMBER)) is Role.BOARD_MEMBER
    assert consequence_role(person(Role.BOARD_SECRETARY)) is Role.BOARD_SECRETARY
    assert consequence_role(person(Role.PANEL_CHAIR)) is None


def test_a_staff_network_lead_raises_concerns_about_their_own_systems_actions_only():
    assert concern_role(person(Role.STAFF_NETWORK_LEAD, systems=("black-country",)), ACTION) is Role.STAFF_NETWORK_LEAD
    assert concern_role(person(Role.STAFF_NETWORK_LEAD, systems=("lincolnshire",)), ACTION) is None


def test_who_sees_an_action():
    assert may_see_action(LEADER, ACTION)
    assert may_see_action(person(Role.PANEL_MEMBER), ACTION)
    assert may_see_action(person(Role.STAFF_NETWORK_LEAD, systems=("black-country",)), ACTION)
    assert not may_see_action(person(Role.STAFF_NETWORK_LEAD, systems=("lincolnshire",)), ACTION)
    assert not may_see_action(OTHER_LEADER, ACTION)


def test_a_systems_reporter_or_sro_imports_its_sheet_and_a_leader_alone_does_not():
    assert importing_systems(person(Role.SYSTEM_REPORTER, systems=("lincolnshire",))) == ("lincolnshire",)
    assert importing_systems(person(Role.SRO, systems=("black-country",))) == ("black-country",)
    assert importing_systems(person(Role.LEADER, systems=("black-country",))) == ()
    assert importing_systems(person(Role.STAFF_NETWORK_LEAD, systems=("black-country",))) == ()
    assert importing_systems(person(Role.SYSTEM_REPORTER, systems=("lincolnshire",), active=False)) == ()


def test_only_administrators_change_who_is_who():
    assert may_administer(person(Role.ADMINISTRATOR))
    assert not may_administer(person(Role.PANEL_CHAIR, Role.SRO))


def test_only_its_recipient_acknowledges_a_notice():
    assert may_acknowledge(LEADER, "p-lead-bc")
    assert not may_acknowledge(OTHER_LEADER, "p-lead-bc")


# ---- what a form must say -------------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "   \n  "])
def test_an_empty_explanation_is_refused_with_a_message(text: str):
    assert problems_of(read_explanation, {"explanation": text}) == {
        "explanation": "Enter your explanation: why the action slipped"}


def test_an_explanation_is_kept_in_the_leaders_words_trimmed():
    assert read_explanation({"explanation": "  The panel lead left.  "}) == "The panel lead left."


def test_an_overlong_explanation_is_refused():
    assert "10,000 characters" in problems_of(read_explanation, {"explanation": "x" * 10001})["explanation"]


def test_a_recovery_plan_step_dated_in_the_past_is_refused():
    wrong = problems_of(read_recovery_plan, {"summary": "Recruit", "step-1-what": "Recruit",
                                             "step-1-by": "2026-02-19"}, TODAY)
    assert wrong == {"step-1-by": "Step 1 is dated in the past: give a date from today on"}


def test_a_recovery_plan_needs_a_summary_and_at_least_one_dated_step():
    assert problems_of(read_recovery_plan, {}, TODAY) == {
        "summary": "Enter what the plan will do",
        "step-1-what": "Enter at least one step, with the date it will be done by"}


def test_a_recovery_plan_step_needs_both_what_and_when():
    wrong = problems_of(read_recovery_plan, {"summary": "s", "step-1-by": "2026-03-01",
                                             "step-2-what": "Train", "step-2-by": "not a date"}, TODAY)
    assert wrong == {"step-1-what": "Enter what step 1 is, or clear its date",
                     "step-2-by": "The date step 2 will be done by must be a real date, like 20 4 2026"}


def test_a_recovery_plan_keeps_its_steps_in_date_order_and_recovers_by_the_last():
    plan = read_recovery_plan({"summary": "s", "step-1-what": "Later", "step-1-by": "2026-04-20",
                               "step-2-what": "Sooner", "step-2-by": "2026-02-20"}, TODAY)
    assert [s.what for s in plan.steps] == ["Sooner", "Later"]
    assert plan.recover_by == date(2026, 4, 20)


def test_more_time_must_go_beyond_the_current_due_date_and_say_why():
    wrong = problems_of(read_extension, {"new-due-date": "2026-12-31"}, date(2026, 12, 31), TODAY)
    assert wrong == {"new-due-date": "The new date must be later than the current due date",
                     "reason": "Enter why the action needs more time"}
    assert read_extension({"new-due-date": "2027-03-31", "reason": "Review moved"}, date(2026, 12, 31), TODAY) == (
        date(2027, 3, 31), "Review moved")


def test_more_time_cannot_be_asked_until_a_date_in_the_past():
    wrong = problems_of(read_extension, {"new-due-date": "2026-01-01", "reason": "r"}, None, TODAY)
    assert wrong == {"new-due-date": "The new date is in the past: give a date from today on"}


def test_contesting_a_flag_needs_a_reason():
    assert problems_of(read_contest, {"reason": ""}) == {"reason": "Enter why the flag is wrong"}


# ---- who is who ------------------------------------------------------------------------------

SYSTEMS = ["black-country", "lincolnshire"]


def test_a_person_needs_an_id_a_name_and_a_role():
    assert problems_of(read_person, {}, SYSTEMS, []) == {
        "person-id": "Enter the person's id, like p-lead-black-country-1", "name": "Enter the person's name",
        "roles": "Choose at least one role"}


def test_a_role_held_for_systems_needs_its_systems():
    wrong = problems_of(read_person, {"person-id": ["p"], "name": ["n"], "roles": ["sro"]}, SYSTEMS, [])
    assert wrong == {"systems": "Choose the systems this person's role covers"}


def test_a_delegate_is_named_for_people_who_exist():
    base = {"person-id": ["p"], "name": ["n"], "roles": ["delegate"]}
    assert problems_of(read_person, base, SYSTEMS, []) == {"delegate-for": "Enter whom this person is a delegate for"}
    assert problems_of(read_person, {**base, "delegate-for": ["p-nobody"]}, SYSTEMS, ["p-lead"]) == {
        "delegate-for": "No one has the id p-nobody"}


def test_a_person_form_keeps_only_known_roles_and_systems():
    read = read_person({"person-id": ["p-1"], "name": ["A Lead"], "roles": ["sro", "emperor"],
                        "systems": ["black-country", "atlantis"], "email": ["a@nhs.net"], "subject": ["a.lead"],
                        "active": ["yes"]}, SYSTEMS, [])
    assert read.roles == frozenset({Role.SRO}) and read.systems == ("black-country",)
    assert (read.subject, read.email, read.active) == ("a.lead", "a@nhs.net", True)


def test_an_email_address_must_look_like_one():
    wrong = problems_of(read_person, {"person-id": ["p"], "name": ["n"], "roles": ["leader"], "email": ["nope"]},
                        SYSTEMS, [])
    assert wrong == {"email": "Enter an e-mail address like name@nhs.net"}


# ---- the Panel, staff networks and the Board ------------------------------------------------

KINDS = ["challenge_issued", "support_offered", "recovery_plan_due", "penalty_agreed", "referred_to_board",
         "extension_granted", "extension_refused", "flag_upheld", "flag_withdrawn"]
GRANTED = EarlierDecision("d-1", "extension_granted", "granted more time")


def test_a_decision_needs_its_kind():
    assert problems_of(read_decision, {}, KINDS, TODAY, []) == {"kind": "Choose what the Panel decided"}
    assert problems_of(read_decision, {"kind": "sacked"}, KINDS, TODAY, []) == {
        "kind": "Choose what the Panel decided"}


def test_a_decision_that_sets_a_date_needs_one_from_today_on():
    assert problems_of(read_decision, {"kind": "recovery_plan_due"}, KINDS, TODAY, []) == {
        "due-date": "Enter the date the recovery plan is due"}
    assert problems_of(read_decision, {"kind": "extension_granted", "due-date": "2026-02-01"}, KINDS, TODAY, []) == {
        "due-date": "The date is in the past: give a date from today on"}
    assert read_decision({"kind": "recovery_plan_due", "due-date": "2026-04-20"}, KINDS, TODAY, []).due_date == date(
        2026, 4, 20)


def test_a_challenge_or_a_penalty_says_what_it_is():
    assert problems_of(read_decision, {"kind": "penalty_agreed"}, KINDS, TODAY, []) == {
        "note": "Say what the penalty is"}


def test_a_decision_contradicting_an_earlier_one_must_say_it_replaces_it():
    wrong = problems_of(read_decision, {"kind": "extension_refused"}, KINDS, TODAY, [GRANTED])
    assert wrong == {"replaces": "The Panel already granted more time on this item: say that this decision "
                                 "replaces it, or record nothing"}
    assert read_decision({"kind": "extension_refused", "replaces": "d-1"}, KINDS, TODAY, [GRANTED]).replaces == "d-1"


def test_the_same_decision_twice_must_say_it_replaces_the_first():
    assert "replaces" in problems_of(read_decision, {"kind": "extension_granted", "due-date": "2026-05-01"}, KINDS,
                                     TODAY, [GRANTED])


def test_a_further_decision_that_does_not_contradict_needs_no_replacing():
    assert read_decision({"kind": "challenge_issued", "note": "Why so slow?"}, KINDS, TODAY, [GRANTED]).replaces is None


def test_only_an_earlier_decision_on_the_item_can_be_replaced():
    assert problems_of(read_decision, {"kind": "flag_upheld", "replaces": "d-9"}, KINDS, TODAY, [GRANTED]) == {
        "replaces": "There is no earlier decision on this item to replace"}


def test_a_staff_network_says_which_kind_of_word_and_what_it_is():
    assert problems_of(read_concern, {}) == {"kind": "Choose a concern, a challenge or support",
                                             "text": "Enter what the staff network wants the Panel to hear"}
    assert read_concern({"kind": "support", "text": " We back the plan. "}) == ("support", "We back the plan.")


def test_a_consequence_names_what_who_and_a_follow_up_date_from_today_on():
    assert problems_of(read_consequence, {"owner": "p-nobody", "follow-up-by": "2026-01-01"}, TODAY, ["p-sro"]) == {
        "consequence": "Enter the consequence the Board agreed", "owner": "No one has the id p-nobody",
        "follow-up-by": "The follow-up date is in the past: give a date from today on"}
    assert read_consequence({"consequence": "Report monthly", "owner": "p-sro", "follow-up-by": "2026-03-31"}, TODAY,
                            ["p-sro"]) == ("Report monthly", "p-sro", date(2026, 3, 31))
