"""Schema evolution within v1: a consumer ignores fields it does not know (so adding an optional
field breaks nobody), while the fields it knows stay required and typed."""

from __future__ import annotations

import json

import pytest

from shared.contracts import ContractError, parse_event
from tests.samples import commitment, progress


def test_a_v1_event_with_an_unknown_optional_field_is_accepted_and_the_field_ignored():
    raw = json.loads(progress(percent=40).to_bytes())
    raw["data"]["confidence"] = "high"  # a field a newer producer added
    raw["trace_id"] = "abc"  # and one on the envelope
    event = parse_event(json.dumps(raw))
    assert event.data.percent_complete == 40
    assert "confidence" not in json.loads(event.to_bytes())["data"] and "trace_id" not in json.loads(event.to_bytes())


def test_an_unknown_field_inside_a_nested_part_is_ignored_too():
    raw = json.loads(commitment().to_bytes())
    raw["data"]["milestones"][0]["owner"] = "p-1"
    assert parse_event(json.dumps(raw)).data.milestones[0].title == "Review panel in place"


@pytest.mark.parametrize(("change", "where"), [
    (lambda d: d["data"].pop("percent_complete"), "data.percent_complete"),
    (lambda d: d["data"].update(percent_complete="most"), "data.percent_complete"),
    (lambda d: d.pop("subject"), "subject"),
])
def test_required_fields_and_their_types_are_still_enforced(change, where):
    raw = json.loads(progress().to_bytes())
    change(raw)
    with pytest.raises(ContractError) as info:
        parse_event(json.dumps(raw))
    assert info.value.code == "schema_invalid" and where in info.value.reason
