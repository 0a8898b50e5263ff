"""What the engine decides, as plain functions (services/accountability/domain.py), and the
decisions the one vocabulary's severity scale must not change."""

from __future__ import annotations

from datetime import date

import pytest

from services.accountability import domain, ladder, rules
from shared.contracts.vocabulary import LadderStep, Status
from tests.unit.test_accountability_rules import snapshot

# The scale the rules and the engine used before the one vocabulary: every status that is not
# slipping counted the same.
OLD_SEVERITY = {Status.COMPLETED: 0, Status.WITHDRAWN: 0, Status.ON_TRACK: 0, Status.AT_RISK: 1,
                Status.OFF_TRACK: 2}
FEB16 = date(2026, 2, 16)


@pytest.mark.parametrize("worst", [None, *Status])
@pytest.mark.parametrize("status", list(Status))
def test_a_cycles_worst_status_moves_as_it_did_on_the_old_scale(status: Status, worst: Status | None):
    """On track, completed and withdrawn do not replace one another: the first recorded stands
    until the action slips (the one scale orders them, this decision does not)."""
    before = worst is None or OLD_SEVERITY[status] > OLD_SEVERITY[Status(worst)]
    assert domain.worse_this_cycle(status, worst and worst.value) is before


@pytest.mark.parametrize("statuses", [[], [Status.AT_RISK], [Status.AT_RISK, Status.OFF_TRACK, Status.AT_RISK],
                                      [Status.OFF_TRACK, Status.AT_RISK]])
def test_the_worst_finding_is_the_status_as_on_the_old_scale(statuses: list[Status]):
    before = max(statuses, key=OLD_SEVERITY.__getitem__, default=Status.ON_TRACK)
    assert rules.worst(statuses) == before


def test_each_rung_steps_down_to_the_one_below():
    assert [ladder.one_down(s) for s in LadderStep] == [None, LadderStep.LEADER_ASKED, LadderStep.PANEL_AGENDA]


def judged() -> domain.Judged:
    """An action at risk since 1 February, after three announced changes."""
    return domain.Judged(snapshot=snapshot(), status=Status.AT_RISK, seq=3, since=date(2026, 2, 1),
                         signature=[["behind_trajectory", "at_risk", "at_risk"]], judged_on=None)


def verdict(status: Status, *keys: str) -> rules.Verdict:
    return rules.Verdict(status, tuple(rules.Finding("behind_trajectory", status, "m", key) for key in keys))


def test_the_same_verdict_announces_nothing_and_keeps_its_date():
    update = domain.status_update(judged(), verdict(Status.AT_RISK, "at_risk"), FEB16)
    assert (update.change, update.seq, update.since) == (None, 3, date(2026, 2, 1))


def test_a_new_reason_with_the_same_status_is_announced_but_keeps_the_status_date():
    update = domain.status_update(judged(), verdict(Status.AT_RISK, "at_risk", "other"), FEB16)
    assert update.change is not None and (update.seq, update.since) == (4, date(2026, 2, 1))
    assert (update.change.previous, update.change.status) == (Status.AT_RISK, Status.AT_RISK)


def test_a_new_status_is_announced_from_today():
    update = domain.status_update(judged(), verdict(Status.OFF_TRACK, "off_track"), FEB16)
    assert update.change is not None and (update.seq, update.since, update.change.status) == (4, FEB16,
                                                                                             Status.OFF_TRACK)


def test_a_panel_referral_takes_the_action_to_the_board_and_progress_pauses_the_climb():
    grace = ladder.Grace()
    esc = ladder.Escalation("a/escalation-1", "a", 1, LadderStep.LEADER_ASKED, FEB16, date(2026, 3, 2),
                            best_percent=10.0)
    referred = domain.climb(esc, Status.OFF_TRACK, FEB16, grace, progress=None, board_referral=True)
    assert (referred.improved, referred.move) == (False, ladder.Move(
        "stepped", LadderStep.PEOPLE_BOARD, LadderStep.LEADER_ASKED, date(2026, 3, 16)))
    progressed = domain.climb(esc, Status.OFF_TRACK, date(2026, 3, 3), grace, progress=20.0, board_referral=False)
    assert progressed.improved and progressed.move is None
    assert progressed.escalation is not None and progressed.escalation.paused_until == date(2026, 3, 17)



def test_updates_are_judged_in_rounds_each_action_in_its_own_order_and_no_action_twice_in_a_round():
    updates = [("a", 1), ("b", 1), ("a", 2), ("c", 1), ("a", 3), ("b", 2)]
    rounds = domain.in_rounds(updates, key=lambda u: u[0])
    assert rounds == [[("a", 1), ("b", 1), ("c", 1)], [("a", 2), ("b", 2)], [("a", 3)]]
    assert all(len({k for k, _ in r}) == len(r) for r in rounds)
    assert domain.in_rounds([], key=str) == []
