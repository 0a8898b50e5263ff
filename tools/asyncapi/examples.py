"""The documents' examples: the samples the tests send (``tests/samples.py``), with ids and times
pinned. What a system posts is shown as a system would write it (the fields it set, the service
applies the defaults); what a service publishes is shown whole, as it goes on the wire."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from shared.contracts import ContractError, Event, parse_event
from shared.contracts.events import SYSTEM_COMMANDS
from shared.contracts.topics import Groups, system_inbound
from tests.samples import published_examples

# What tests/integration/test_actions_service.py posts to see a broken message dead-lettered.
NOT_JSON = b'{"subject": "bc-4f1e0c9a2b", "type": 3'


@cache
def _examples() -> dict[str, list[tuple[str, Event]]]:
    return published_examples()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def payload_of(event: Event) -> dict[str, Any]:
    if type(event) in SYSTEM_COMMANDS:
        written: dict[str, Any] = event.model_dump(mode="json", exclude_unset=True)
        return written
    whole: dict[str, Any] = json.loads(event.to_bytes())
    return whole


def examples_of(cls: type[Event]) -> list[dict[str, Any]]:
    found = _examples().get(cls.TYPE)
    if not found:
        raise LookupError(f"tests/samples.py has no example of {cls.TYPE!r}")
    return [{"name": _slug(summary), "summary": summary, "payload": payload_of(event)} for summary, event in found]


def dead_letter_example(service: str) -> dict[str, Any]:
    """The headers the service's dead-letter policy writes for a message that is not JSON."""
    try:
        parse_event(NOT_JSON)
    except ContractError as refused:
        code, reason = refused.code, refused.reason
    else:
        raise AssertionError("the dead-letter example parsed as an event")
    topic = system_inbound("black-country") if service == Groups.ACTIONS else "governance.clock"
    return {
        "name": "not-json",
        "summary": "a message that is not JSON",
        "headers": {"dlt-code": code, "dlt-reason": reason, "dlt-service": service, "dlt-topic": topic,
                    "dlt-partition": "0", "dlt-offset": "41"},
        "payload": NOT_JSON.decode(),
    }

