import json

import pytest

from shared.contracts import ContractError, event_types, parse_event
from shared.contracts.events import SYSTEM_COMMANDS, ProgressReported
from tests.samples import one_of_each, progress


def test_every_registered_event_type_has_a_sample():
    assert {e.type for e in one_of_each()} == set(event_types())


@pytest.mark.parametrize("event", one_of_each(), ids=lambda e: e.type)
def test_event_round_trips_through_json(event):
    assert parse_event(event.to_bytes()) == event


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"\x00\xffnot json", "not_json"),
        (b"[1, 2]", "not_an_object"),
        (b'{"schema_version": 1}', "missing_type"),
        (b'{"type": "progress.teleported", "schema_version": 1}', "unknown_type"),
        (b'{"type": "progress.reported"}', "missing_version"),
        (b'{"type": "progress.reported", "schema_version": 2}', "unsupported_version"),
        (b'{"type": "progress.reported", "schema_version": 1, "source": "x"}', "schema_invalid"),
        (b" " * 300_000, "too_large"),
    ],
)
def test_bad_input_is_refused_with_a_specific_code(raw, code):
    with pytest.raises(ContractError) as info:
        parse_event(raw)
    assert info.value.code == code
    assert info.value.reason


def test_schema_error_names_the_field():
    body = json.loads(progress().to_bytes())
    body["data"]["percent_complete"] = "lots"
    with pytest.raises(ContractError, match=r"data\.percent_complete"):
        parse_event(json.dumps(body))


def test_a_consumer_refuses_a_known_type_it_does_not_take():
    cycle = next(e for e in one_of_each() if e.type == "cycle.opened")
    with pytest.raises(ContractError) as info:
        parse_event(cycle.to_bytes(), accept=SYSTEM_COMMANDS)
    assert info.value.code == "unexpected_type"


def test_caused_event_inherits_the_correlation_id():
    first = progress()
    second = ProgressReported.new(source="x", subject="y", data=first.data, cause=first)
    assert second.correlation_id == first.correlation_id
    assert second.causation_id == first.event_id
