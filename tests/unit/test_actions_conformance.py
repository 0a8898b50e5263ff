"""The conformance command (``python -m services.actions.cli check``) answers as the actions service
would, without posting anything. tests/integration/test_actions_service.py compares its answers
with the real service's."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from services.actions.cli import cli
from services.actions.conformance import check, split_messages
from shared.contracts import events as ev
from shared.reference import ReferenceData
from shared.settings import DEFAULT_REFERENCE_DATA
from tests.samples import commitment, integrator_mistakes, progress
from tools.asyncapi import DOCS

REFERENCE = ReferenceData.load(DEFAULT_REFERENCE_DATA)
MISTAKES = integrator_mistakes()


def published_first_posts() -> list[bytes]:
    """The inbound channel's examples as the actions document publishes them, in the order they happened."""
    document = json.loads((DOCS / "actions.json").read_text())
    names = document["channels"]["actionsInbound"]["messages"]
    payloads = [e["payload"] for name in names for e in document["components"]["messages"][name]["examples"]]
    return [json.dumps(p).encode() for p in sorted(payloads, key=lambda p: p["occurred_at"])]


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.code + "-" + str(i) for i, m in enumerate(MISTAKES, 1)])
def test_each_defect_of_the_old_documents_gets_the_services_own_refusal_and_its_fix_is_accepted(mistake):
    [broken] = check([mistake.broken], REFERENCE, system=mistake.posted_as)
    assert broken.refused, broken
    assert (broken.code, bool(broken.reason)) == (mistake.code, True)
    [fixed] = check([mistake.fixed], REFERENCE, system="black-country")
    assert fixed.outcome == "accepted", fixed


def test_the_published_examples_are_accepted_one_after_the_other():
    verdicts = check(published_first_posts(), REFERENCE, system="black-country")
    assert [v.outcome for v in verdicts] == ["accepted"] * len(verdicts)
    assert len(verdicts) == 9


def test_the_rules_apply_to_the_action_as_the_earlier_messages_made_it():
    made = commitment(action_id="bc-1")
    too_far = progress(action_id="bc-1", percent=140)
    backwards = [progress(action_id="bc-1", percent=40), progress(action_id="bc-1", percent=10, as_of=date(2026, 4, 2))]
    verdicts = check([e.to_bytes() for e in (made, too_far, *backwards)], REFERENCE, system="black-country")
    assert [(v.outcome, v.code) for v in verdicts] == [
        ("accepted", ""), ("refused", "percent_out_of_range"), ("accepted", ""), ("refused", "progress_went_backwards")]
    assert verdicts[1].reason == "percent complete is 140.0; it must be 0 to 100"


def test_without_the_action_an_update_is_checked_for_its_form_and_sender_and_said_to_be_unchecked_for_the_rest():
    alone = progress(action_id="bc-2")
    forged = progress(action_id="bc-2", system="lincolnshire")
    verdicts = check([alone.to_bytes(), forged.to_bytes()], REFERENCE, system="black-country")
    assert verdicts[0].outcome == "unchecked" and "--api" in verdicts[0].note
    assert (verdicts[1].outcome, verdicts[1].code) == ("refused", "forged_source")


def test_with_the_live_action_a_commitment_to_an_existing_action_is_a_duplicate_and_a_resend_is_ignored():
    made = commitment(action_id="bc-3")
    live = made.data
    snapshot = ev.ActionSnapshot(
        action_id="bc-3", system="black-country", action_point="AP3", title=live.title, accountable_leader="p",
        start_date=live.start_date, due_date=live.due_date, lifecycle="open", percent_complete=0,
        last_update_on=None, last_update_at=None, milestones=[], trajectory=[], measure=None, measure_values=[],
        narrative=ev.Narrative(), version=1)
    again = commitment(action_id="bc-3")
    verdicts = check([made.to_bytes(), again.to_bytes(), again.to_bytes()], REFERENCE, system="black-country",
                     live=lambda action_id: (snapshot, {made.event_id}))
    assert [(v.outcome, v.code) for v in verdicts] == [
        ("ignored", ""), ("refused", "duplicate_action"), ("ignored", "")]


def test_messages_come_as_a_json_array_one_object_or_one_per_line():
    one, two = commitment(action_id="a").to_bytes(), commitment(action_id="b").to_bytes()
    assert len(split_messages(b"[" + one + b"," + two + b"]")) == 2
    assert split_messages(b"\n" + one + b"\n\n" + two + b"\n") == [one, two]
    assert split_messages(json.dumps(json.loads(one), indent=2).encode()) != []
    assert split_messages(b"not json\n" + one) == [b"not json", one]


def test_the_command_posts_nothing_prints_each_answer_and_exits_1_when_any_is_refused(tmp_path):
    runner = CliRunner()
    mistake = MISTAKES[0]
    file = tmp_path / "messages.ndjson"
    file.write_bytes(mistake.fixed + b"\n" + mistake.broken + b"\n")
    result = runner.invoke(cli, ["check", "--system", "black-country", str(file)])
    assert result.exit_code == 1, result.output
    assert "1: commitment.made" in result.output and "accepted" in result.output
    assert "2: commitment.made" in result.output and "refused missing_version" in result.output
    assert "dead-lettered on actions.deadletter" in result.output

    fine = runner.invoke(cli, ["check", "--json", "-"], input=mistake.fixed.decode())
    assert fine.exit_code == 0 and json.loads(fine.output)["outcome"] == "accepted"

    missing = runner.invoke(cli, ["check", str(tmp_path / "nothing-here.json")])
    assert missing.exit_code == 2 and "no file" in missing.output
