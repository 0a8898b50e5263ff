"""Secured mode on the real broker: SCRAM-SHA-512 logins and the project's ACLs."""

from __future__ import annotations

import socket
import ssl
import uuid

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)

from services.platform.acls import scram_users, service_principal, system_principal
from shared.contracts.topics import ACTION_CHANGES, OPS, Groups, dead_letter, system_feedback, system_inbound
from tests.infra import SECURED_SYSTEMS, login, password_for
from tests.kafka_tools import collect, eventually, produce
from tests.samples import commitment
from tools.kafka import KafkaServer
from tools.stack import running_stack

pytestmark = pytest.mark.integration

SYSTEMS = SECURED_SYSTEMS
OURS, THEIRS = SYSTEMS


async def test_a_wrong_password_is_refused(secured_topics: KafkaServer, caplog: pytest.LogCaptureFixture):
    producer = AIOKafkaProducer(bootstrap_servers=secured_topics.sasl_bootstrap,
                                **login(system_principal(OURS), "not-the-password"))
    # aiokafka wraps the refusal in "unable to bootstrap"; the reason is what it logged.
    with pytest.raises(KafkaConnectionError):
        await producer.start()
    await producer.stop()
    assert "SaslAuthenticationFailed" in caplog.text
    assert "invalid credentials" in caplog.text

    right = AIOKafkaProducer(bootstrap_servers=secured_topics.sasl_bootstrap, **login(system_principal(OURS)))
    await right.start()
    await right.stop()


@pytest.mark.parametrize("protocol", ["PLAINTEXT", "SASL_PLAINTEXT"])
async def test_a_connection_without_tls_to_the_sasl_ssl_listener_is_refused_and_sends_no_password(
    secured_topics: KafkaServer, protocol: str,
):
    cleartext = {} if protocol == "PLAINTEXT" else {
        "security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": system_principal(OURS), "sasl_plain_password": password_for(system_principal(OURS))}
    before = secured_topics.log_file.read_text(errors="replace").count("SSL handshake failed")
    producer = AIOKafkaProducer(bootstrap_servers=secured_topics.sasl_bootstrap, request_timeout_ms=5000, **cleartext)
    with pytest.raises(KafkaConnectionError):
        await producer.start()
    await producer.stop()
    # The broker read the client's first bytes as a TLS hello and closed the connection: nothing
    # was authenticated, no topic was reached.
    await eventually(lambda: secured_topics.log_file.read_text(errors="replace").count("SSL handshake failed") > before,
                     timeout=10)


async def test_a_client_that_does_not_trust_the_project_ca_refuses_the_broker(secured_topics: KafkaServer):
    untrusting = login(system_principal(OURS)) | {"ssl_context": ssl.create_default_context()}  # system CAs only
    producer = AIOKafkaProducer(bootstrap_servers=secured_topics.sasl_bootstrap, request_timeout_ms=5000, **untrusting)
    with pytest.raises(KafkaConnectionError):
        await producer.start()
    await producer.stop()


def this_machines_other_address() -> str | None:
    """An address of this machine that is not loopback (what another machine would dial)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.254", 9))  # no packet is sent: this only picks the outgoing interface
        except OSError:
            return None
        address: str = probe.getsockname()[0]
    return None if address.startswith("127.") else address


@pytest.mark.parametrize("listener", ["bootstrap", "controller"])
def test_the_anonymous_super_users_listeners_cannot_be_reached_but_from_loopback(secured_topics, listener):
    address = this_machines_other_address()
    if address is None:
        pytest.skip("this machine has no address but loopback")
    port = secured_topics.port if listener == "bootstrap" else secured_topics.controller_port
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address, port), timeout=5).close()
    socket.create_connection(("127.0.0.1", port), timeout=5).close()  # there, on loopback


async def test_a_system_can_post_to_its_own_inbound_topic_with_an_idempotent_producer(secured_topics):
    # No IdempotentWrite on the cluster is granted: WRITE on the topic is enough on Kafka 4.x.
    marker = uuid.uuid4().bytes
    await produce(secured_topics.sasl_bootstrap, system_inbound(OURS), [marker],
                  **login(system_principal(OURS)))
    seen = await collect(secured_topics.bootstrap, system_inbound(OURS),
                         lambda r: any(x.value == marker for x in r))
    assert any(x.value == marker for x in seen)


async def test_a_system_cannot_post_to_another_systems_inbound_topic(secured_topics):
    with pytest.raises(TopicAuthorizationFailedError):
        await produce(secured_topics.sasl_bootstrap, system_inbound(THEIRS), [b"pretending"],
                      **login(system_principal(OURS)))


async def test_a_system_cannot_post_to_the_services_own_topics(secured_topics):
    with pytest.raises(TopicAuthorizationFailedError):
        await produce(secured_topics.sasl_bootstrap, ACTION_CHANGES.name, [b"forged change"],
                      **login(system_principal(OURS)))


async def test_a_system_reads_its_own_feedback_with_its_own_group_but_not_another_systems(secured_topics):
    marker = uuid.uuid4().bytes
    await produce(secured_topics.bootstrap, system_feedback(OURS), [marker])
    mine = await collect(secured_topics.sasl_bootstrap, system_feedback(OURS),
                         lambda r: any(x.value == marker for x in r),
                         group_id=f"{system_principal(OURS)}-tool", **login(system_principal(OURS)))
    assert any(x.value == marker for x in mine)

    with pytest.raises((TopicAuthorizationFailedError, GroupAuthorizationFailedError)):
        await collect(secured_topics.sasl_bootstrap, system_feedback(THEIRS), lambda r: False, timeout=5,
                      group_id=f"{system_principal(OURS)}-tool", **login(system_principal(OURS)))


async def test_a_system_cannot_use_a_consumer_group_outside_its_prefix(secured_topics):
    with pytest.raises(GroupAuthorizationFailedError):
        await collect(secured_topics.sasl_bootstrap, system_feedback(OURS), lambda r: False, timeout=5,
                      group_id=Groups.ACTIONS, **login(system_principal(OURS)))


async def test_the_actions_service_reads_every_inbound_topic_and_writes_changes_and_feedback(secured_topics):
    svc = login(service_principal(Groups.ACTIONS))
    marker = uuid.uuid4().bytes
    await produce(secured_topics.bootstrap, system_inbound(THEIRS), [marker])
    seen = await collect(secured_topics.sasl_bootstrap, system_inbound(THEIRS),
                         lambda r: any(x.value == marker for x in r), group_id=Groups.ACTIONS, **svc)
    assert any(x.value == marker for x in seen)
    await produce(secured_topics.sasl_bootstrap, ACTION_CHANGES.name, [marker], **svc)
    await produce(secured_topics.sasl_bootstrap, system_feedback(THEIRS), [marker], **svc)
    await produce(secured_topics.sasl_bootstrap, "actions.deadletter", [marker], **svc)


async def test_ops_reads_every_dead_letter_topic_but_writes_none_and_reads_no_systems_input(secured_topics):
    ops = login(OPS)
    for service in (Groups.ACTIONS, Groups.ACCOUNTABILITY, Groups.NOTIFICATIONS):
        marker = uuid.uuid4().bytes
        await produce(secured_topics.bootstrap, dead_letter(service), [marker])
        seen = await collect(secured_topics.sasl_bootstrap, dead_letter(service),
                             lambda r, m=marker: any(x.value == m for x in r), group_id=f"{OPS}-triage", **ops)
        assert any(x.value == marker for x in seen), f"ops could not read {dead_letter(service)}"
    # ops may write nothing at all, so its idempotent producer is refused a producer id first.
    with pytest.raises((TopicAuthorizationFailedError, ClusterAuthorizationFailedError)):
        await produce(secured_topics.sasl_bootstrap, dead_letter(Groups.ACTIONS), [b"forged"], **ops)
    with pytest.raises((TopicAuthorizationFailedError, GroupAuthorizationFailedError)):
        await collect(secured_topics.sasl_bootstrap, system_inbound(OURS), lambda r: False, timeout=5,
                      group_id=f"{OPS}-triage", **ops)


async def test_the_accountability_service_cannot_forge_a_systems_input(secured_topics):
    with pytest.raises(TopicAuthorizationFailedError):
        await produce(secured_topics.sasl_bootstrap, system_inbound(OURS), [b"forged"],
                      **login(service_principal(Groups.ACCOUNTABILITY)))


async def test_a_secured_stack_runs_the_actions_service_and_lets_a_system_post_only_for_itself(
    secured_topics: KafkaServer, postgres_admin: str, tmp_path,
):
    action = f"bc-ap3-{uuid.uuid4().hex[:6]}"
    credentials = {user.name: user.password for user in scram_users(SYSTEMS, password_for)}
    with running_stack(("actions",), secured_broker=(secured_topics, credentials), postgres_url=postgres_admin,
                       with_clock=False, database_suffix=f"_{uuid.uuid4().hex[:8]}", logs_dir=tmp_path) as stack:
        # Ready means the service logged in as svc-actions and its ACLs let it subscribe.
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"{stack.url('actions')}/ready")).status_code == 200
        assert stack.sasl_bootstrap == secured_topics.sasl_bootstrap
        await produce(stack.sasl_bootstrap, system_inbound(OURS),
                      [commitment(action_id=action, system=OURS).to_bytes()], key=action.encode(),
                      **login(system_principal(OURS)))
        changes = await collect(stack.kafka_bootstrap, ACTION_CHANGES.name,
                                lambda r: any(x.key == action.encode() for x in r))
        assert any(x.key == action.encode() for x in changes), "the service took the system's commitment"

        with pytest.raises(TopicAuthorizationFailedError):
            await produce(stack.sasl_bootstrap, system_inbound(THEIRS),
                          [commitment(action_id=action, system=THEIRS).to_bytes()], **login(system_principal(OURS)))
