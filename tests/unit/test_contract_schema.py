"""The published schema of every event and ``parse_event`` say the same thing, so an integrator
who builds from docs/asyncapi/*.json alone is never surprised by the service.

Checked both ways on the documents as committed: every example (the samples the tests send) is
valid by its schema and accepted; the same example with any one field taken away, any one value
swapped for a value of another JSON type, or an unknown field added, is refused by both or
accepted by both. (hypothesis-jsonschema, which would generate events from the schemas, does not
run with this project's hypothesis 6.170: it calls an internal that is gone.) The ids that come from the reference
data (systems, action points) are enums in the documents but are checked by the services' rules,
after ``parse_event`` (``unknown_system``, ``unknown_action_point``), so they are left out here.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft7Validator, FormatChecker

from shared.contracts import ContractError, event_types, parse_event
from shared.contracts.topics import SERVICES
from shared.reference import ReferenceData
from shared.settings import DEFAULT_REFERENCE_DATA
from tools.asyncapi import DOCS

REFERENCE = ReferenceData.load(DEFAULT_REFERENCE_DATA)
REFERENCE_ENUMS = [list(REFERENCE.systems), list(REFERENCE.action_points)]
PROBES: list[Any] = ["x", 7, 7.5, True, None, [], {}]


def without_reference_enums(node: Any) -> Any:
    if isinstance(node, list):
        return [without_reference_enums(item) for item in node]
    if isinstance(node, dict):
        return {k: without_reference_enums(v) for k, v in node.items()
                if not (k == "enum" and v in REFERENCE_ENUMS)}
    return node


def published() -> dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each event type's schema (a root that can resolve the document's references) and examples."""
    found: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    for service in SERVICES:
        document = json.loads((DOCS / f"{service}.json").read_text())
        components = without_reference_enums(document["components"])
        for message in components["messages"].values():
            ref = message["payload"].get("$ref")
            if ref is None:
                continue  # a dead letter: bytes, not an event
            schema = {"$ref": ref, "components": components}
            found[message["name"]] = (schema, [e["payload"] for e in message["examples"]])
    return found


PUBLISHED = published()
VALIDATORS = {name: Draft7Validator(schema, format_checker=FormatChecker()) for name, (schema, _) in PUBLISHED.items()}
EXAMPLES = [(name, i, example) for name, (_, examples) in PUBLISHED.items() for i, example in enumerate(examples)]


def accepted(event: Any) -> bool:
    try:
        parse_event(json.dumps(event))
    except ContractError:
        return False
    return True


def variants(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[str, Any]]:
    """Every way of changing one thing in ``node``: a field removed, a value of another JSON type,
    an unknown field added (with where it was done)."""
    if isinstance(node, dict):
        yield f"{'.'.join(map(str, path)) or 'event'} + unexpected", {**node, "unexpected": 1}
        for key, value in node.items():
            yield ".".join(map(str, (*path, key))) + " removed", {k: v for k, v in node.items() if k != key}
            for where, changed in variants(value, (*path, key)):
                yield where, {**node, key: changed}
    elif isinstance(node, list):
        for i, value in enumerate(node):
            for where, changed in variants(value, (*path, i)):
                yield where, [*node[:i], changed, *node[i + 1:]]
    for probe in PROBES:
        if type(probe) is not type(node) and path:
            yield f"{'.'.join(map(str, path))} = {probe!r}", copy.deepcopy(probe)


def test_every_event_type_is_published_with_examples():
    assert set(PUBLISHED) == set(event_types())
    assert all(examples for _, examples in PUBLISHED.values())


@pytest.mark.parametrize(("name", "n", "example"), EXAMPLES, ids=[f"{name}-{n}" for name, n, _ in EXAMPLES])
def test_every_published_example_is_valid_by_its_schema_and_accepted_as_that_type(name, n, example):
    VALIDATORS[name].validate(example)
    assert parse_event(json.dumps(example)).type == name


@pytest.mark.parametrize(("name", "n", "example"), EXAMPLES, ids=[f"{name}-{n}" for name, n, _ in EXAMPLES])
def test_the_schema_and_parse_event_agree_on_every_one_change_to_an_example(name, n, example):
    disagreements = []
    for where, changed in variants(example):
        by_schema = VALIDATORS[name].is_valid(changed)
        if by_schema != accepted(changed):
            disagreements.append(f"{where}: schema {'valid' if by_schema else 'invalid'}, "
                                 f"parse_event {'accepts' if not by_schema else 'refuses'}")
    assert not disagreements, "\n".join(disagreements)


def test_without_any_required_field_an_event_is_refused_by_both():
    for name, (schema, examples) in PUBLISHED.items():
        required = schema["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]["required"]
        assert {"event_id", "schema_version", "occurred_at", "correlation_id"} <= set(required), name
        for field in required:
            missing = {k: v for k, v in examples[0].items() if k != field}
            assert not VALIDATORS[name].is_valid(missing), f"{name} without {field}"
            with pytest.raises(ContractError):
                parse_event(json.dumps(missing))
