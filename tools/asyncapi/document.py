"""Each service's AsyncAPI 3.0 document, built from its code and the topic registry.

FastStream says which topics the service's app really subscribes to and publishes on (its
subscribers, and the outputs ``shared.service.document_outputs`` declares from the registry);
the registry (``shared/contracts/topics.py``) says what each topic is, how it is keyed and which
events it carries; the events' schemas are the pydantic models ``parse_event`` validates with;
the examples are the samples the tests post (``tests/samples.py``); servers, security and the
reference data's ids come from ``parts``. FastStream's read-API routes are left out: they are
HTTP, not Kafka, and this document's servers are Kafka brokers.
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from faststream.asgi import AsgiFastStream
from pydantic.json_schema import models_json_schema

from shared.contracts import Event
from shared.contracts.topics import (
    DEAD_LETTER_HEADERS,
    OPS,
    PER_SYSTEM_TOPICS,
    SERVICES,
    SHARED_TOPICS,
    SYSTEM,
    Topic,
    dead_letter_topic,
)
from shared.reference import ReferenceData
from shared.settings import DEFAULT_REFERENCE_DATA

from . import parts
from .examples import dead_letter_example, examples_of

DOCS = Path(__file__).resolve().parents[2] / "docs" / "asyncapi"
ASYNCAPI = "3.0.0"
KAFKA_BINDINGS = "0.5.0"
DEAD_LETTER = "DeadLetter"
PARTY = {SYSTEM: "the system itself", OPS: "ops"}


def faststream_app(service: str, **settings: Any) -> AsgiFastStream:
    """The service's app, built but not started. Every service has ``app.build(settings)`` and
    ``settings.<Name>Settings``; fixed settings, so the document does not depend on where it is made
    (nor on secrets a service needs to run, such as the portal's session secret: nothing is validated)."""
    build = importlib.import_module(f"services.{service}.app").build
    settings_class = getattr(importlib.import_module(f"services.{service}.settings"),
                             f"{service.capitalize()}Settings")
    app: AsgiFastStream = build(settings_class.model_construct(
        kafka_bootstrap_servers="kafka:9092", database_url="postgresql://unused/x", **settings))
    return app


def faststream_spec(service: str) -> dict[str, Any]:
    """What FastStream makes of the app."""
    spec: dict[str, Any] = json.loads(faststream_app(service).schema.to_specification().to_json())
    return spec


def registered() -> list[Topic]:
    """Every topic of the registry, in the order the documents list them."""
    return [*PER_SYSTEM_TOPICS, *SHARED_TOPICS, *map(dead_letter_topic, SERVICES)]


def registry_topic(address: str, reference: ReferenceData) -> Topic:
    """The registry's entry for a FastStream channel address: a topic name, a per-system topic's
    template, or the pattern a subscriber uses for every system's topic."""
    known = {t.name: t for t in registered()}
    if address in known:
        return known[address]
    some_system = next(iter(reference.systems))
    for topic in PER_SYSTEM_TOPICS:
        try:
            if re.fullmatch(address, topic.name.format(system=some_system)):
                return topic
        except re.error:
            break
    raise LookupError(f"channel {address!r} is not in the topic registry (shared/contracts/topics.py)")


def channel_id(topic: Topic) -> str:
    words = [w for w in re.split(r"[^A-Za-z0-9]+", topic.name.replace("{system}", "")) if w]
    return words[0] + "".join(w.capitalize() for w in words[1:])


def message_names(topic: Topic) -> list[str]:
    return [cls.__name__ for cls in topic.events] or [DEAD_LETTER]


def channel(topic: Topic) -> dict[str, Any]:
    parties = ", ".join(PARTY.get(p, p) for p in topic.writers), ", ".join(PARTY.get(p, p) for p in topic.readers)
    description = f"{topic.description}\n\nPartition key: {topic.key}. Written by {parties[0]}; read by {parties[1]}."
    out: dict[str, Any] = {
        "address": topic.name,
        "title": topic.name,
        "description": description,
        "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in message_names(topic)},
        "bindings": {"kafka": {"partitions": topic.partitions, "bindingVersion": KAFKA_BINDINGS}},
    }
    if "{system}" in topic.name:
        out["parameters"] = {"system": {"$ref": "#/components/parameters/system"}}
    return out


def operation(action: str, topic: Topic, service: str, handler_doc: str) -> dict[str, Any]:
    cid = channel_id(topic)
    if action == "receive":
        doc = (f"{handler_doc}\n\n" if handler_doc else "") + (
            f"The {service} service reads `{topic.name}` in consumer group `{service}` (all its instances share "
            "it), applies each event once and commits the offset after. Anything here that is not one of the "
            f"messages listed is dead-lettered on `{service}.deadletter` with its reason.")
    elif topic.events:
        doc = (f"The {service} service publishes here once the change each event reports is committed "
               f"(through its outbox), keyed by {topic.key}.")
    else:
        doc = (f"The {service} service puts here every message it could not take, with the reason in "
               "the dlt-* headers, and goes on with the next.")
    out: dict[str, Any] = {
        "action": action,
        "channel": {"$ref": f"#/channels/{cid}"},
        "title": f"{action.capitalize()} {topic.name}",
        "description": doc,
        "messages": [{"$ref": f"#/channels/{cid}/messages/{name}"} for name in message_names(topic)],
    }
    if action == "receive":
        out["bindings"] = {"kafka": {"groupId": {"type": "string", "enum": [service]},
                                     "bindingVersion": KAFKA_BINDINGS}}
    return out


def event_message(cls: type[Event], topic: Topic) -> dict[str, Any]:
    return {
        "name": cls.TYPE,
        "title": cls.TYPE,
        "contentType": "application/json",
        "payload": {"$ref": f"#/components/schemas/{cls.__name__}"},
        "correlationId": {"$ref": "#/components/correlationIds/envelope"},
        "bindings": {"kafka": {"key": {"type": "string", "description": f"the envelope's subject: {topic.key}"},
                               "bindingVersion": KAFKA_BINDINGS}},
        "examples": examples_of(cls),
    }


def dead_letter_message(service: str) -> dict[str, Any]:
    return {
        "name": "dead letter",
        "title": "dead letter",
        "summary": "a message the service could not take, byte for byte",
        "contentType": "application/octet-stream",
        "headers": {"type": "object", "required": list(DEAD_LETTER_HEADERS),
                    "properties": {h: {"type": "string", "description": d} for h, d in DEAD_LETTER_HEADERS.items()}},
        "payload": {"type": "string", "format": "binary", "description": "the original message, unchanged"},
        "bindings": {"kafka": {"key": {"type": "string", "description": "the original message's key"},
                               "bindingVersion": KAFKA_BINDINGS}},
        "examples": [dead_letter_example(service)],
    }


def _faststream_operations(spec: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(action, channel address, the handler's description) for every Kafka operation FastStream found."""
    found = []
    for op in spec["operations"].values():
        if "http" in op.get("bindings", {}):
            continue
        key = unquote(op["channel"]["$ref"].removeprefix("#/channels/"))
        fs_channel = spec["channels"][key]
        found.append((op["action"], fs_channel["address"], fs_channel.get("description", "")))
    return found


def document(service: str) -> dict[str, Any]:
    reference = ReferenceData.load(DEFAULT_REFERENCE_DATA)
    topics: dict[str, Topic] = {}
    operations: dict[str, Any] = {}
    order = [t.name for t in registered()]
    found = [(action, registry_topic(address, reference), doc)
             for action, address, doc in _faststream_operations(faststream_spec(service))]
    # FastStream's order varies from one process to the next: what the service reads comes first.
    for action, topic, handler_doc in sorted(found, key=lambda f: (f[0] != "receive", order.index(f[1].name))):
        topics.setdefault(channel_id(topic), topic)
        operations[f"{action}{channel_id(topic)[:1].upper()}{channel_id(topic)[1:]}"] = operation(
            action, topic, service, handler_doc if action == "receive" else "")
    events = [cls for topic in topics.values() for cls in topic.events]
    _, definitions = models_json_schema([(cls, "validation") for cls in events],
                                        ref_template="#/components/schemas/{model}")
    messages: dict[str, Any] = {cls.__name__: event_message(cls, topic)
                                for topic in topics.values() for cls in topic.events}
    if any(not topic.events for topic in topics.values()):
        messages[DEAD_LETTER] = dead_letter_message(service)
    components: dict[str, Any] = {
        "schemas": parts.with_reference_data(definitions.get("$defs", {}), reference),
        "messages": messages,
        "securitySchemes": parts.security_schemes(),
        "correlationIds": {"envelope": {
            "description": "the envelope's correlation_id: the same for every event that follows from one original",
            "location": "$message.payload#/correlation_id"}},
    }
    if any("{system}" in topic.name for topic in topics.values()):
        components["parameters"] = {"system": parts.system_parameter(reference)}
    return {
        "asyncapi": ASYNCAPI,
        "info": parts.info(service),
        "servers": parts.servers(),
        "defaultContentType": "application/json",
        "channels": {cid: channel(topic) for cid, topic in topics.items()},
        "operations": operations,
        "components": components,
    }


def generate(service: str) -> str:
    return json.dumps(document(service), indent=2, ensure_ascii=False) + "\n"
