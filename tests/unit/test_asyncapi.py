"""The committed AsyncAPI documents are the ones the code generates, the official parser finds
nothing wrong with them, and they hold what the official parser does not check: channel
addresses a client can use, declared parameters, correlation ids in the payload, a description
of its own for every channel, the real servers, and pages rendered from the current documents."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import httpx
import pytest
from jsonschema import Draft7Validator

from shared.contracts.events import SYSTEM_COMMANDS
from shared.contracts.topics import DEAD_LETTER_HEADERS, SERVICES
from shared.messaging import DeadLetterPolicy
from shared.reference import ReferenceData
from shared.settings import DEFAULT_REFERENCE_DATA
from tools.asyncapi import DOCS, generate, official
from tools.asyncapi.document import faststream_app

DOCUMENTS = {service: json.loads((DOCS / f"{service}.json").read_text()) for service in SERVICES}
REFERENCE = ReferenceData.load(DEFAULT_REFERENCE_DATA)
TOPIC_NAME = re.compile(r"^[a-z0-9._-]+(\{[a-z_]+\}[a-z0-9._-]*)*$")


@pytest.mark.parametrize("service", SERVICES)
def test_committed_asyncapi_document_matches_the_code(service):
    committed = (DOCS / f"{service}.json").read_text()
    assert committed == generate(service), f"regenerate with: python -m tools.asyncapi --html ({service} drifted)"


def test_the_official_parser_reports_no_error_no_warning_and_nothing_but_the_newer_version_note():
    if official.node() is None:
        pytest.skip("node is not installed, so the official AsyncAPI parser cannot run "
                    "(Debian: apt-get install nodejs npm)")
    assert official.installed(official.PARSER), "the parser is not installed: bash deploy/setup.sh"
    code, report = official.validate([DOCS / f"{service}.json" for service in SERVICES])
    diagnostics = [(doc, d) for doc, found in report["documents"].items() for d in found]
    said = "\n".join(f"{doc}: {d['severity']} {d['code']} at {d['path']}: {d['message']}" for doc, d in diagnostics)
    assert code == 0, said
    assert all(d["code"] in official.ACCEPTED_REMARKS and d["severity"] == "information" for _, d in diagnostics), said
    assert len(report["documents"]) == len(SERVICES)


@pytest.mark.parametrize("service", SERVICES)
def test_every_page_was_rendered_from_the_committed_document(service):
    page = DOCS / "html" / f"{service}.html"
    assert official.rendered_from(page) == official.source_hash(DOCS / f"{service}.json"), (
        f"{page} is not rendered from {service}.json: python -m tools.asyncapi --html")
    html = page.read_text()
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?://", html), "the page loads something from elsewhere"


@pytest.mark.parametrize("service", SERVICES)
def test_every_channel_address_is_a_topic_name_or_a_template_whose_parameters_are_declared_with_their_values(service):
    document = DOCUMENTS[service]
    for cid, channel in document["channels"].items():
        address = channel["address"]
        assert TOPIC_NAME.match(address), f"{cid}: {address!r} is not a topic name a client can use"
        used = set(re.findall(r"\{(\w+)\}", address))
        declared = set(channel.get("parameters", {}))
        assert used == declared, f"{cid}: {address} uses {used}, declares {declared}"
        for name in used:
            ref = channel["parameters"][name]["$ref"].rsplit("/", 1)[1]
            assert document["components"]["parameters"][ref]["enum"] == list(REFERENCE.systems)


@pytest.mark.parametrize("service", SERVICES)
def test_every_channel_has_a_description_of_its_own_and_every_message_examples(service):
    document = DOCUMENTS[service]
    descriptions = [c.get("description", "") for c in document["channels"].values()]
    assert all(descriptions) and len(set(descriptions)) == len(descriptions)
    assert all(m["examples"] for m in document["components"]["messages"].values())


@pytest.mark.parametrize("service", SERVICES)
def test_correlation_ids_point_at_a_field_every_event_must_carry(service):
    components = DOCUMENTS[service]["components"]
    for name, message in components["messages"].items():
        if "correlationId" not in message:
            assert name == "DeadLetter"
            continue
        location = components["correlationIds"][message["correlationId"]["$ref"].rsplit("/", 1)[1]]["location"]
        assert location == "$message.payload#/correlation_id"
        schema = components["schemas"][message["payload"]["$ref"].rsplit("/", 1)[1]]
        assert "correlation_id" in schema["required"]


@pytest.mark.parametrize("service", SERVICES)
def test_the_servers_are_the_secured_listener_with_its_scheme_and_a_development_one_named_so(service):
    document = DOCUMENTS[service]
    servers = document["servers"]
    assert set(servers) == {"secured", "development"}
    scheme = servers["secured"]["security"][0]["$ref"].rsplit("/", 1)[1]
    assert document["components"]["securitySchemes"][scheme]["type"] == "scramSha512"
    assert "security" not in servers["development"]
    assert "TLS" in document["info"]["description"]


def test_system_and_action_point_ids_are_the_reference_datas():
    schemas = DOCUMENTS["actions"]["components"]["schemas"]
    commitment = schemas["Commitment"]["properties"]
    assert commitment["system"]["enum"] == list(REFERENCE.systems)
    assert commitment["action_point"]["enum"] == list(REFERENCE.action_points)
    assert "x-reference-data" not in json.dumps(DOCUMENTS)


def test_every_event_a_system_posts_is_in_the_actions_document():
    messages = DOCUMENTS["actions"]["channels"]["actionsInbound"]["messages"]
    assert list(messages) == [c.__name__ for c in SYSTEM_COMMANDS]


@pytest.mark.parametrize("service", SERVICES)
async def test_each_service_serves_its_page_at_asyncapi_and_its_document_at_asyncapi_json(service, tmp_path,
                                                                                         monkeypatch):
    app = faststream_app(service)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as client:
        page, document = await client.get("/asyncapi"), await client.get("/asyncapi.json")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.content == (DOCS / "html" / f"{service}.html").read_bytes()
    assert document.json() == DOCUMENTS[service]

    monkeypatch.setenv("ASYNCAPI_DOCS", str(tmp_path))  # a service without its settings in context reads it
    elsewhere = faststream_app(service, asyncapi_docs=tmp_path)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=elsewhere), base_url="http://service") as client:
        missing = await client.get("/asyncapi")
    assert missing.status_code == 404 and "python -m tools.asyncapi --html" in missing.text


@pytest.mark.parametrize("service", SERVICES)
def test_the_dead_letter_example_has_every_header_the_dead_letter_policy_writes(service):
    message = DOCUMENTS[service]["components"]["messages"]["DeadLetter"]
    for example in message["examples"]:
        Draft7Validator(message["headers"]).validate(example["headers"])
        Draft7Validator(message["payload"]).validate(example["payload"])
        assert example["headers"]["dlt-service"] == service


async def test_the_documented_dead_letter_headers_are_the_ones_the_dead_letter_policy_writes():
    published: list[dict[str, str]] = []

    class Broker:
        config = SimpleNamespace(producer=SimpleNamespace(_producer=None))  # no producer to renew

        async def publish(self, value: bytes, *, topic: str, key: bytes | None, headers: dict[str, str] | None = None):
            if topic.endswith(".deadletter"):
                published.append(headers or {})

    record = SimpleNamespace(topic="governance.clock", partition=0, offset=7, key=b"k", value=b"not json")
    await DeadLetterPolicy("accountability").send(Broker(), record, "not_json", "message is not UTF-8 JSON")
    assert [set(h) for h in published] == [set(DEAD_LETTER_HEADERS)]
