"""A new version of an event is upcast where it can be: a consumer that reads version 2 still
takes version 1 through its upcaster, and refuses a version it has no path from."""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest

from shared.contracts import ContractError, Event, envelope, parse_event
from shared.contracts.envelope import Payload, upcaster


class Reading(Payload):
    action_id: str
    value: float
    unit: str  # new in version 2; version 1 had only the value, in percent


class ReadingTaken(Event):
    type: Literal["test.reading_taken"]
    data: Reading
    VERSION = 2


@pytest.fixture
def version_2_known(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test's event type, as if the contract had moved to version 2 (undone after the test)."""
    monkeypatch.setattr(ReadingTaken, "TYPE", "test.reading_taken", raising=False)
    monkeypatch.setitem(envelope._REGISTRY, "test.reading_taken", ReadingTaken)


def version_1(value: float) -> dict[str, Any]:
    event = json.loads(ReadingTaken.new(source="black-country", subject="a1",
                                        data=Reading(action_id="a1", value=value, unit="percent")).to_bytes())
    del event["data"]["unit"]
    return event | {"schema_version": 1}


def test_a_version_1_event_without_an_upcaster_is_refused_as_unsupported(version_2_known: None):
    with pytest.raises(ContractError) as refused:
        parse_event(json.dumps(version_1(40)))
    assert refused.value.code == "unsupported_version" and "nothing turns it into version 2" in refused.value.reason


def test_a_version_1_event_is_read_as_version_2_through_its_upcaster(
    version_2_known: None, monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setattr(envelope, "_UPCASTERS", {})

    @upcaster("test.reading_taken", 1)
    def percent_is_the_unit(event: dict[str, Any]) -> dict[str, Any]:
        return event | {"data": event["data"] | {"unit": "percent"}}

    old = version_1(40)
    read = parse_event(json.dumps(old))
    assert isinstance(read, ReadingTaken)
    assert (read.schema_version, read.data.value, read.data.unit) == (2, 40, "percent")
    assert str(read.event_id) == old["event_id"]  # the same event, so applied once however it arrives


def test_an_upcaster_cannot_be_registered_twice(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(envelope, "_UPCASTERS", {})
    upcaster("test.reading_taken", 1)(lambda event: event)
    with pytest.raises(RuntimeError):
        upcaster("test.reading_taken", 1)(lambda event: event)
