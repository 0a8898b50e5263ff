"""The good practice forms of the portal: what a nomination and the Panel's step must say."""

import pytest

from services.portal.domain import FormProblems
from services.portal.domain.practice import read_nomination, read_review


def test_a_nomination_needs_what_was_done_and_what_changed_each_said_by_its_field():
    with pytest.raises(FormProblems) as wrong:
        read_nomination({"what_was_done": "  ", "evidence": "x"})
    assert [(p.field, p.message) for p in wrong.value.problems] == [
        ("what_was_done", "Enter what was done"), ("what_changed", "Enter what changed because of it")]
    said = read_nomination({"what_was_done": " Reviews first ", "what_changed": "Fewer cases", "evidence": ""})
    assert (said.what_was_done, said.what_changed, said.evidence) == ("Reviews first", "Fewer cases", "")


def test_the_panels_step_is_a_review_or_an_awards_step():
    assert read_review({"step": "endorsed", "note": " Share it "}) == ("endorsed", "Share it")
    assert read_review({"step": "put_forward"}) == ("put_forward", "")
    with pytest.raises(FormProblems, match="Choose what the Panel decided"):
        read_review({"step": "promoted"})
