"""The parts of every document that do not come from a service's code: what each document is
for, the servers a client connects to with their security, and the reference data's ids.
"""

from __future__ import annotations

from typing import Any

from shared.contracts.events import REFERENCE_DATA
from shared.contracts.topics import SYSTEM_FEEDBACK, SYSTEM_INBOUND, Groups, dead_letter
from shared.reference import ReferenceData

SCRAM = "scramSha512"
REFERENCE_FILE = "shared/reference_data.toml"

INTRO = {
    Groups.ACTIONS: f"""The contract between each of the region's health and care systems and the governance
platform: what a system posts, where, and what it is told back. Everything a system needs to
build its own client is here.

**Posting.** Log in on the `secured` server as `system-<system id>` (SCRAM-SHA-512; the
region's platform team gives each system its password). Post each event as one UTF-8 JSON
object, the envelope below, to `{SYSTEM_INBOUND.name}` with your own system id, keyed by the
action id. Only that topic is writable for you. In the envelope every field but `causation_id`
is required: `event_id` a fresh UUID for each new event (a resend keeps it, and the service
applies an event once), `schema_version` 1, `source` your system id, `subject` the action id
(the same as `data.action_id`), `occurred_at` an RFC 3339 time with its offset, and
`correlation_id` a UUID (your `event_id` will do).

**Answers.** Every refusal comes back on `{SYSTEM_FEEDBACK.name}` as an `input.rejected` event
with a code and a reason; read it with a consumer group whose name starts with
`system-<system id>`. A message that is not a valid event at all is also kept, byte for byte, on
`{dead_letter(Groups.ACTIONS)}` for the platform's operators.

**Before posting.** `python -m services.actions.cli check <file>` (from a checkout of the
project) says for each message whether the service would take it, and if not, the code and
reason the service would give, without posting anything.""",
    Groups.ACCOUNTABILITY: """What the accountability service reads (every accepted change to an
action, people's answers, the clock, what became of notices) and what it decides: each
action's status and the reasons for it, the escalation ladder's steps, the governance cycles,
submission reminders and the Panel's agendas.""",
    Groups.NOTIFICATIONS: """What the notifications service reads (the accountability service's
decisions, the directory of people, the clock, acknowledgements) and what it reports: each
notice sent, failed, acknowledged or left unacknowledged. Contact details travel only on the
directory topic; every other event names people by their opaque person id.""",
    Groups.PORTAL: """What the People Board's website reads to show people the region's picture (every
accepted change to an action, the accountability service's decisions, the clock, what became of
notices) and what it publishes for the acts people do there, each bound to who did it and in
which role: answers and decisions, acknowledgements of notices, and who is who in the directory.""",
}

COMMON = f"""**Ids from the reference data.** `system`, `{{system}}` in a topic name and `action_point`
take the ids listed in `{REFERENCE_FILE}`; the enums here are that list as it stood when the
document was generated (`python -m tools.asyncapi`), and the file is the source.

**Security.** Systems and services use the `secured` server: SASL_SSL, that is SCRAM-SHA-512
logins over TLS, with one principal per system and per service, each allowed only its own topics
(Kafka ACLs). Clients check the broker's certificate: against the project's CA (`ca.pem`, given
with the password) on the project's own stacks, against the organisation's CA in production. A
client without TLS is refused before it can log in. The `development` server has no login at all."""


def info(service: str) -> dict[str, Any]:
    return {
        "title": f"Midlands governance: {service} service",
        "version": "1.0.0",
        "description": f"{INTRO[service]}\n\n{COMMON}",
    }


def servers() -> dict[str, Any]:
    return {
        "secured": {
            "host": "{bootstrap}",
            "protocol": "kafka-secure",
            "title": "Secured listener",
            "summary": "SASL_SSL (SCRAM-SHA-512 over TLS), ACLs: the one systems and services use",
            "description": "Apache Kafka 4.1. Client settings: `security.protocol=SASL_SSL`, "
            "`sasl.mechanism=SCRAM-SHA-512`, `ssl.ca.location` (the CA that signed the broker's certificate) "
            "and the principal's name and password.",
            "variables": {"bootstrap": {
                "description": "host:port of the secured listener, given to each system with its password and "
                "the CA's certificate. In docker compose it is `<host>:29092`; on the project's own stack "
                "(`python -m tools.stack up`) the address printed as `Kafka SASL`, with the CA and the "
                "`credentials.env` file (mode 0600) named there.",
                "examples": ["kafka.example.org:29092"],
            }},
            "security": [{"$ref": f"#/components/securitySchemes/{SCRAM}"}],
        },
        "development": {
            "host": "127.0.0.1:9092",
            "protocol": "kafka",
            "title": "Development broker (no login)",
            "summary": "For development and tests only: no TLS, no login, no ACLs",
            "description": "The broker `python -m tools.stack up --insecure-development` starts, on this "
            "machine's loopback (it prints the address). Anyone who reaches it may read and write every "
            "topic: never give it to a system. Neither docker compose nor the stack's default mode has one.",
        },
    }


def security_schemes() -> dict[str, Any]:
    return {SCRAM: {
        "type": "scramSha512",
        "description": "SASL/SCRAM-SHA-512. A system logs in as `system-<system id>` (for example "
        "`system-black-country`) and may write only `actions.inbound.<system id>` and read only "
        "`actions.feedback.<system id>`, with consumer groups whose names start with its principal; "
        "each service logs in as `svc-<service>`; `ops` may read the dead-letter topics and `ops-redrive` "
        "re-drives them. Always over TLS (SASL_SSL).",
    }}


def system_parameter(reference: ReferenceData) -> dict[str, Any]:
    ids = list(reference.systems)
    return {
        "description": f"The system's id, one of the region's systems in `{REFERENCE_FILE}`: "
        + "; ".join(f"`{s.id}` ({s.name})" for s in reference.systems.values()) + ".",
        "enum": ids,
        "examples": ids[1:2],
    }


def with_reference_data(node: Any, reference: ReferenceData) -> Any:
    """Replace each reference-data marker (``x-reference-data`` in the models) by the ids it stands for."""
    if isinstance(node, list):
        return [with_reference_data(item, reference) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: with_reference_data(value, reference) for key, value in node.items() if key != REFERENCE_DATA}
    kind = node.get(REFERENCE_DATA)
    if kind == "systems":
        out["enum"] = list(reference.systems)
        out["description"] = f"a system's id from `{REFERENCE_FILE}` (the list as it stood when generated)"
    elif kind == "action_points":
        out["enum"] = list(reference.action_points)
        points = "; ".join(f"`{p.id}` {p.name}" for p in reference.action_points.values())
        out["description"] = f"an action point's id from `{REFERENCE_FILE}`: {points}"
    elif kind == "indicators":
        # Described, not enumerated: the field is optional, and an unknown indicator is refused by the
        # service's rules (unknown_indicator) with the list, not dead-lettered as malformed.
        named = "; ".join(f"`{i.id}` {i.name}" for i in reference.indicators.values())
        out["description"] = f"a WRES indicator's id from `shared/wres_indicators.toml`: {named}"
    elif kind is not None:
        raise ValueError(f"unknown reference data {kind!r} in a model's schema")
    return out
