"""Cover and delegation: who acts for an accountable leader, when; cover ends by itself."""

from __future__ import annotations

from datetime import date

from services.accountability import cover, domain, ladder, rights
from services.accountability.cover import CoverPeriod
from shared.contracts import events as ev
from shared.contracts.vocabulary import LadderStep

from .test_accountability_rules import snapshot

LEAVE = CoverPeriod("p-cover", "p-leader-1", None, date(2026, 3, 12), date(2026, 3, 20))
DELEGATE = CoverPeriod("p-deputy", "p-leader-1", "bc-ap3-1", date(2026, 1, 1), date(2026, 12, 31))


def test_cover_holds_from_its_first_day_to_its_last_and_then_ends_by_itself():
    assert cover.covering([LEAVE], "p-leader-1", "bc-ap3-1", date(2026, 3, 11)) == []
    assert cover.covering([LEAVE], "p-leader-1", "bc-ap3-1", date(2026, 3, 12)) == ["p-cover"]
    assert cover.covering([LEAVE], "p-leader-1", "bc-ap3-1", date(2026, 3, 20)) == ["p-cover"]
    assert cover.covering([LEAVE], "p-leader-1", "bc-ap3-1", date(2026, 3, 21)) == []
    assert cover.covering([LEAVE], "p-leader-1", "bc-ap3-1", None) == []


def test_a_delegate_named_for_an_action_comes_before_cover_for_all_the_leaders_actions():
    assert cover.covering([LEAVE, DELEGATE], "p-leader-1", "bc-ap3-1", date(2026, 3, 15)) == ["p-deputy", "p-cover"]
    assert cover.covering([LEAVE, DELEGATE], "p-leader-1", "bc-ap1-9", date(2026, 3, 15)) == ["p-cover"]


def test_notices_go_to_the_person_covering_copying_the_leader():
    assert cover.addressed("p-leader-1", ["p-cover"]) == (["p-cover"], ["p-leader-1"])
    assert cover.addressed("p-leader-1", []) == (["p-leader-1"], [])
    move = ladder.Move("raised", LadderStep.LEADER_ASKED, None, date(2026, 3, 29))
    step = domain.escalation_step(snapshot(), "bc-ap3-1/escalation-1", move, [], covers=["p-cover"],
                                  slip="1 day behind plan (the original commitment)")
    assert (step.recipients, step.copy_to, step.slip) == (["p-cover"], ["p-leader-1"],
                                                          "1 day behind plan (the original commitment)")


def _cover(**over) -> ev.Cover:
    data = dict(cover_id="c1", leader="p-leader-1", cover="p-cover", starts_on=date(2026, 3, 12),
                ends_on=date(2026, 3, 20), acting_person="p-leader-1", acting_role="leader") | over
    return ev.Cover(**data)


def test_only_the_leader_names_their_cover_and_it_must_end_after_it_starts():
    assert cover.refusal(_cover()) is None
    assert cover.refusal(_cover(acting_person="p-sro")) == (
        "p-sro is not p-leader-1: only a leader names who covers for them")
    assert cover.refusal(_cover(cover="p-leader-1")) == "a leader cannot cover for themselves"
    assert "before it starts" in cover.refusal(_cover(ends_on=date(2026, 3, 1)))


def test_the_person_covering_may_answer_in_the_role_cover_and_no_one_else_may():
    action = rights.Action("bc-ap3-1", "black-country", "p-leader-1", covered_by=frozenset({"p-cover"}))
    answer = rights.Act("explanation", "bc-ap3-1", "p-cover", "cover")
    assert rights.answer_role(answer, None, action) == "cover"
    ended = rights.Action("bc-ap3-1", "black-country", "p-leader-1")
    refused = rights.answer_role(answer, None, ended)
    assert isinstance(refused, rights.Refusal) and refused.code == "without_the_right"
