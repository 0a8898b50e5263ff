"""The Panel's check and a leader's cover, as forms: every problem at once, in words; nothing
the accountability service would refuse gets through."""

from __future__ import annotations

from datetime import date

import pytest

from services.portal.domain import FormProblems
from services.portal.domain.checking import (
    CoverForm,
    VerificationForm,
    checks_in_words,
    cover_in_force,
    read_cover,
    read_verification,
    still_checked,
)

MILESTONES = {"m1": "reached", "m2": "missed"}
TODAY = date(2026, 2, 20)
PEOPLE = {"p-lead-2": "Leader 2", "p-lead-1": "Leader 1"}


def problems(call) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with pytest.raises(FormProblems) as wrong:
        call()
    return {p.field: p.message for p in wrong.value.problems}


def test_a_verification_names_the_evidence_the_panel_checked() -> None:
    assert problems(lambda: read_verification({"kind": "verified", "target": "m1"}, MILESTONES, set())) == {
        "evidence-links": "Enter at least one link to the evidence the Panel checked"}
    found = read_verification({"kind": "verified", "target": "m1", "evidence-links": " https://a.example.org/x.pdf\n\n"
                               "http://b.example.org/y "}, MILESTONES, set())
    assert found == VerificationForm("verified", "m1", ("https://a.example.org/x.pdf", "http://b.example.org/y"), "")


def test_every_evidence_link_must_be_a_web_address() -> None:
    wrong = problems(lambda: read_verification({"kind": "verified", "target": "status",
                                                "evidence-links": "https://ok.example.org\nminutes.docx"},
                                               MILESTONES, set()))
    assert wrong == {"evidence-links": "Link 2 (minutes.docx) is not a web address: give one like "
                                       "https://www.example.nhs.uk/board-paper.pdf"}


def test_a_milestone_not_reported_reached_cannot_be_verified_but_can_be_disputed() -> None:
    assert problems(lambda: read_verification({"kind": "verified", "target": "m2", "evidence-links": "https://a.org"},
                                              MILESTONES, set()))["target"].startswith(
        "The system has not reported this milestone reached")
    found = read_verification({"kind": "disputed", "target": "m2", "note": "It was reached, late."}, MILESTONES, set())
    assert (found.kind, found.milestone_id, found.note) == ("disputed", "m2", "It was reached, late.")


def test_a_dispute_says_why_and_a_withdrawal_needs_something_checked() -> None:
    assert problems(lambda: read_verification({"kind": "disputed", "target": "status"}, MILESTONES, set())) == {
        "note": "Say why the Panel disputes what the system reported"}
    withdrawn = {"kind": "verification_withdrawn", "target": "status"}
    assert problems(lambda: read_verification(withdrawn, MILESTONES, {"m1": "verified"}))["target"].startswith(
        "The Panel has not verified or disputed")
    assert read_verification({"kind": "verification_withdrawn", "target": "status"}, MILESTONES,
                             {"status": "disputed"}).milestone_id is None


def test_an_empty_check_names_every_problem_at_once() -> None:
    assert set(problems(lambda: read_verification({}, MILESTONES, set()))) == {"kind", "target"}


def test_what_the_panel_still_stands_behind_after_withdrawals() -> None:
    decisions = [{"kind": "verified", "milestone_id": None}, {"kind": "disputed", "milestone_id": "m1"},
                 {"kind": "verification_withdrawn", "milestone_id": None}]
    assert still_checked(decisions) == {"m1": "disputed"}
    assert checks_in_words(still_checked(decisions[:2]), {"m1": "Plan agreed"}) == [
        "verified the status", "disputed milestone 'Plan agreed'"]


def test_a_leader_names_someone_else_from_the_directory_for_a_period() -> None:
    form = {"cover": "p-lead-2", "scope": "all-actions", "starts-on": "2026-02-20", "ends-on": "2026-03-19"}
    assert read_cover(form, "p-lead-1", "bc-ap4", PEOPLE, TODAY) == CoverForm(
        "p-lead-2", None, date(2026, 2, 20), date(2026, 3, 19))
    assert read_cover(form | {"scope": "this-action"}, "p-lead-1", "bc-ap4", PEOPLE, TODAY).action_id == "bc-ap4"


def test_cover_refuses_oneself_a_stranger_the_past_and_an_end_before_the_start() -> None:
    form = {"cover": "p-lead-1", "scope": "all-actions", "starts-on": "2026-02-19", "ends-on": "2026-02-18"}
    assert problems(lambda: read_cover(form, "p-lead-1", "bc-ap4", PEOPLE, TODAY)) == {
        "cover": "You cannot cover for yourself: choose someone else",
        "starts-on": "The first day is in the past: give a date from today on",
        "ends-on": "The last day is before the first day"}
    assert problems(lambda: read_cover({"cover": "p-nobody"}, "p-lead-1", "bc-ap4", PEOPLE, TODAY)) == {
        "cover": "Choose who will act for you, from the directory",
        "scope": "Choose whether they act for you on this action or on all your actions",
        "starts-on": "Enter the first day", "ends-on": "Enter the last day"}


def test_cover_holds_from_its_first_day_to_its_last_and_a_delegate_for_the_action_comes_first() -> None:
    leave = {"cover": "p-b", "action_id": None, "starts_on": "2026-02-20", "ends_on": "2026-03-19"}
    delegate = {"cover": "p-c", "action_id": "bc-ap4", "starts_on": "2026-02-01", "ends_on": "2026-02-28"}
    other = {"cover": "p-d", "action_id": "bc-ap5", "starts_on": "2026-02-01", "ends_on": "2026-12-31"}
    assert cover_in_force([leave, delegate, other], "bc-ap4", TODAY) == [delegate, leave]
    assert cover_in_force([leave, delegate], "bc-ap4", date(2026, 3, 19)) == [leave]
    assert cover_in_force([leave, delegate], "bc-ap4", date(2026, 3, 20)) == []  # it ended by itself
    assert cover_in_force([leave], "bc-ap4", date(2026, 2, 19)) == []
