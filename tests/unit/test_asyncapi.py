"""The committed AsyncAPI documents are the ones the code generates."""

import pytest

from shared.contracts.topics import SERVICES
from tools.asyncapi import DOCS, generate


@pytest.mark.parametrize("service", SERVICES)
def test_committed_asyncapi_document_matches_the_code(service):
    committed = (DOCS / f"{service}.json").read_text()
    assert committed == generate(service), f"regenerate with: python -m tools.asyncapi ({service} drifted)"


def test_every_event_a_service_consumes_is_in_its_document():
    import json

    from shared.contracts.events import SYSTEM_COMMANDS

    schemas = json.loads(generate("actions"))["components"]["schemas"]
    assert {c.__name__ for c in SYSTEM_COMMANDS} <= set(schemas)
