"""Reported and verified: what a system posts stands as reported until the Panel verifies it (with
its evidence) or disputes it; a verification can be withdrawn, and one of a status covers only
the status it verified."""

from __future__ import annotations

from datetime import date

from services.accountability import verification
from services.accountability.board_report.plans import who_says_lines
from shared.contracts import events as ev

from .test_accountability_rules import snapshot

SNAP = snapshot(milestones=[
    ev.MilestoneState(milestone_id="m1", title="Review panel in place", due=date(2026, 3, 31), state="reached",
                      on=date(2026, 3, 10)),
    ev.MilestoneState(milestone_id="m2", title="Managers trained", due=date(2026, 6, 30))])


def row(kind: str, milestone_id: str | None = None, status: str | None = "on_track", **over) -> dict:
    return {"kind": kind, "milestone_id": milestone_id, "acting_person": "p-chair", "acting_role": "panel_chair",
            "recorded_on": "2026-04-02", "evidence_links": ["https://example.org/terms.pdf"], "note": "",
            "verified_status": status} | over


def decision(kind: str, milestone_id: str | None = None, evidence: tuple[str, ...] = ()) -> ev.PanelDecision:
    return ev.PanelDecision(decision_id="d-1", meeting_id="panel-2026-Q1", action_id="bc-ap3-1", kind=kind,
                            milestone_id=milestone_id, evidence_links=list(evidence))


def test_everything_a_system_posts_stands_as_reported_until_the_panel_checks_it():
    said = verification.who_says(SNAP, "on_track", [])
    assert said == {"status": {"status": "on_track", "says": "reported"},
                    "milestones": [{"milestone_id": "m1", "title": "Review panel in place",
                                    "reached_on": "2026-03-10", "says": "reported"}]}


def test_a_verified_milestone_says_who_verified_it_and_on_what_evidence():
    m1 = verification.who_says(SNAP, "on_track", [row("verified", "m1")])["milestones"][0]
    assert (m1["says"], m1["by"], m1["role"], m1["on"], m1["evidence_links"]) == (
        "verified", "p-chair", "panel_chair", "2026-04-02", ["https://example.org/terms.pdf"])


def test_a_dispute_replaces_a_verification_and_a_withdrawal_goes_back_to_reported():
    disputed = verification.who_says(SNAP, "on_track", [row("verified", "m1"), row("disputed", "m1")])
    assert disputed["milestones"][0]["says"] == "disputed"
    withdrawn = verification.who_says(SNAP, "on_track", [row("verified", "m1"), row("verification_withdrawn", "m1")])
    assert withdrawn["milestones"][0]["says"] == "reported"


def test_a_verified_status_covers_only_the_status_it_verified():
    checked = [row("verified", None, "on_track")]
    assert verification.who_says(SNAP, "on_track", checked)["status"]["says"] == "verified"
    assert verification.who_says(SNAP, "at_risk", checked)["status"] == {"status": "at_risk", "says": "reported"}


def test_what_the_panel_cannot_verify_is_refused_in_words():
    milestones = {"m1": "reached", "m2": "open"}
    evidence = ("https://example.org/terms.pdf",)
    assert verification.refusal(decision("verified", "m1", evidence), milestones, {}) is None
    assert verification.refusal(decision("verified", "m9", evidence), milestones, {}) == "bc-ap3-1 has no milestone m9"
    assert "not reported reached" in verification.refusal(decision("verified", "m2", evidence), milestones, {})
    assert "evidence" in verification.refusal(decision("verified", "m1"), milestones, {})
    assert verification.refusal(decision("disputed", "m2"), milestones, {}) is None  # an open one can be disputed
    assert "nothing to withdraw" in verification.refusal(decision("verification_withdrawn", "m1"), milestones, {})


def test_the_report_says_who_says_so_in_words():
    said = verification.who_says(SNAP, "on_track", [row("verified", "m1")])
    assert who_says_lines(said) == [
        "Status (on track): reported by the system, not checked by the Panel.",
        ("Milestone 'Review panel in place' reached on 10 March 2026: verified by p-chair (panel chair) on "
         "2 April 2026; evidence: https://example.org/terms.pdf.")]
