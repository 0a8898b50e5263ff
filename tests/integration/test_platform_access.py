"""The access job the compose stack runs (``python -m services.platform.acls``) on a real secured
broker formatted with no users at all: it creates every principal's SCRAM user from the
environment and every ACL; after it, services log in over TLS, and operators triage and re-drive
dead letters each with the least they need."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import ClusterAuthorizationFailedError, KafkaConnectionError, TopicAuthorizationFailedError
from pydantic import SecretStr

from services.platform.acls import OPS_REDRIVE, password_variable, principals, service_principal
from services.platform.deadletters import read_dead_letters, redrive, select
from services.platform.topics import ensure_project_topics
from shared.contracts.topics import ACTION_CHANGES, OPS, Groups, dead_letter, system_inbound
from shared.reference import ReferenceData
from shared.settings import DEFAULT_REFERENCE_DATA, ServiceSettings
from tests.infra import LOGS, login, secured_ca
from tests.kafka_tools import collect, header, produce
from tests.samples import commitment
from tools.kafka import KafkaServer

pytestmark = pytest.mark.integration

SYSTEMS = list(ReferenceData.load(DEFAULT_REFERENCE_DATA).systems)
PASSWORDS = {p: f"{p}-{uuid.uuid4().hex}" for p in principals(SYSTEMS)}


def run_access_job(bootstrap: str, passwords: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAM_PASSWORD_")}
    env |= {password_variable(p): pw for p, pw in passwords.items()}
    return subprocess.run([sys.executable, "-m", "services.platform.acls", "--admin-bootstrap", bootstrap],
                          env=env, capture_output=True, text=True, check=False, timeout=120)


@pytest.fixture(scope="module")
def broker() -> Iterator[KafkaServer]:
    server = KafkaServer(secured=True, users=[], ca=secured_ca(), keep_logs_in=LOGS).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
async def prepared(broker: KafkaServer) -> KafkaServer:
    await ensure_project_topics(broker.bootstrap, SYSTEMS)
    missing = run_access_job(broker.bootstrap, {p: pw for p, pw in PASSWORDS.items() if p != OPS})
    assert missing.returncode == 2
    assert set(re.findall(r"SCRAM_PASSWORD_\w+", missing.stderr)) == {"SCRAM_PASSWORD_OPS"}
    assert not await logs_in(broker, service_principal(Groups.ACTIONS)), "a refused run made no user"
    done = run_access_job(broker.bootstrap, PASSWORDS)
    assert done.returncode == 0, done.stderr
    assert f"{len(PASSWORDS)} SCRAM users" in done.stdout
    return broker


async def logs_in(server: KafkaServer, principal: str, password: str | None = None) -> bool:
    producer = AIOKafkaProducer(bootstrap_servers=server.sasl_bootstrap, request_timeout_ms=5000,
                                **login(principal, password or PASSWORDS[principal]))
    try:
        await producer.start()
    except KafkaConnectionError:
        return False
    finally:
        await producer.stop()
    return True


def settings_of(server: KafkaServer, principal: str) -> ServiceSettings:
    return ServiceSettings(kafka_bootstrap_servers=server.sasl_bootstrap, kafka_sasl_username=principal,
                           kafka_sasl_password=SecretStr(PASSWORDS[principal]), kafka_ssl_cafile=server.ca_file)


async def test_after_the_access_job_a_service_logs_in_over_tls_with_the_password_it_was_given(prepared):
    actions = service_principal(Groups.ACTIONS)
    await produce(prepared.sasl_bootstrap, ACTION_CHANGES.name, [b"{}"], **login(actions, PASSWORDS[actions]))
    assert not await logs_in(prepared, actions, "an-old-password")


async def dead_lettered(server: KafkaServer) -> bytes:
    """A dead letter of the actions service, as it writes them (original bytes, dlt-* headers)."""
    event = commitment(action_id=f"bc-{uuid.uuid4().hex[:8]}", system=SYSTEMS[0])
    producer = AIOKafkaProducer(bootstrap_servers=server.bootstrap)  # the super user, standing in for the service
    await producer.start()
    try:
        await producer.send_and_wait(dead_letter(Groups.ACTIONS), event.to_bytes(), key=event.subject.encode(),
                                     headers=[("dlt-topic", system_inbound(SYSTEMS[0]).encode()),
                                              ("dlt-partition", b"0"), ("dlt-offset", b"0"),
                                              ("dlt-code", b"handler_failed"), ("dlt-reason", b"a test")])
    finally:
        await producer.stop()
    return event.to_bytes()


async def test_ops_reads_dead_letters_but_cannot_redrive_them_and_ops_redrive_can(prepared):
    value = await dead_lettered(prepared)
    event_id = json.loads(value)["event_id"]
    seen = await read_dead_letters(settings_of(prepared, OPS), Groups.ACTIONS)
    letters = [d for d in seen if d.event_id == event_id]
    assert len(letters) == 1, "ops reads the dead-letter topic"

    with pytest.raises((ClusterAuthorizationFailedError, TopicAuthorizationFailedError)):
        await redrive(settings_of(prepared, OPS), Groups.ACTIONS, letters)

    chosen = select(await read_dead_letters(settings_of(prepared, OPS_REDRIVE), Groups.ACTIONS), code="handler_failed")
    report = await redrive(settings_of(prepared, OPS_REDRIVE), Groups.ACTIONS, [d for d in chosen
                                                                                if d.event_id == event_id])
    assert [d.event_id for d in report.sent] == [event_id]
    back = await collect(prepared.bootstrap, system_inbound(SYSTEMS[0]), lambda rs: any(r.value == value for r in rs))
    (redriven,) = [r for r in back if r.value == value]
    assert (header(redriven, "redriven-from") or "").startswith(f"{dead_letter(Groups.ACTIONS)}/")
