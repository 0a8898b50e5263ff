"""The ACLs derived from the topic registry: least privilege, per system and per service."""

from __future__ import annotations

from shared.contracts.topics import (
    OPS,
    SERVICES,
    SHARED_TOPICS,
    Groups,
    dead_letter,
    system_feedback,
    system_inbound,
)
from tools.acls import (
    DESCRIBE,
    GROUP,
    PREFIXED,
    READ,
    TOPIC,
    WRITE,
    Grant,
    principals,
    project_acls,
    scram_users,
    service_principal,
    system_principal,
)

SYSTEMS = ["black-country", "lincolnshire", "shropshire-telford-wrekin"]
GRANTS = project_acls(SYSTEMS)


def grants_of(principal: str) -> set[Grant]:
    return {g for g in GRANTS if g.principal == principal}


def test_a_system_may_write_only_its_inbound_topic_and_read_only_its_feedback_topic():
    for system in SYSTEMS:
        who = system_principal(system)
        assert grants_of(who) == {
            Grant(who, TOPIC, system_inbound(system), WRITE),
            Grant(who, TOPIC, system_inbound(system), DESCRIBE),
            Grant(who, TOPIC, system_feedback(system), READ),
            Grant(who, TOPIC, system_feedback(system), DESCRIBE),
            Grant(who, GROUP, who, READ, PREFIXED),
        }


def test_no_grant_is_a_wildcard_and_no_one_but_the_actions_service_has_a_prefixed_topic_grant():
    assert all(g.name not in ("", "*") for g in GRANTS)
    prefixed = {g.principal for g in GRANTS if g.resource == TOPIC and g.pattern == PREFIXED}
    assert prefixed == {service_principal(Groups.ACTIONS)}


def test_each_service_reads_its_registry_inputs_and_writes_its_outputs_and_dead_letter_topic():
    for topic in SHARED_TOPICS:
        for reader in topic.readers:
            assert Grant(service_principal(reader), TOPIC, topic.name, READ) in GRANTS
        for writer in topic.writers:
            assert Grant(service_principal(writer), TOPIC, topic.name, WRITE) in GRANTS
    for service in SERVICES:
        assert Grant(service_principal(service), TOPIC, dead_letter(service), WRITE) in GRANTS
        assert Grant(service_principal(service), GROUP, service, READ) in GRANTS


def test_a_service_cannot_write_a_topic_the_registry_does_not_name_it_a_writer_of():
    accountability = service_principal(Groups.ACCOUNTABILITY)
    written = {g.name for g in grants_of(accountability) if g.operation == WRITE}
    assert written == {"accountability.events", dead_letter(Groups.ACCOUNTABILITY)}


def test_the_actions_service_reads_every_systems_input_and_answers_on_every_feedback_topic():
    actions = service_principal(Groups.ACTIONS)
    assert Grant(actions, TOPIC, system_inbound(""), READ, PREFIXED) in GRANTS
    assert Grant(actions, TOPIC, system_feedback(""), WRITE, PREFIXED) in GRANTS
    assert Grant(actions, TOPIC, "actions.changes", WRITE) in GRANTS


def test_ops_may_read_every_dead_letter_topic_with_its_own_groups_and_nothing_else():
    assert grants_of(OPS) == {
        *(Grant(OPS, TOPIC, dead_letter(s), op) for s in SERVICES for op in (READ, DESCRIBE)),
        Grant(OPS, GROUP, OPS, READ, PREFIXED),
    }


def test_there_is_one_scram_user_per_system_and_per_registry_party():
    users = scram_users(SYSTEMS, lambda name: f"{name}!")
    names = [u.name for u in users]
    assert len(names) == len(set(names)) == len(principals(SYSTEMS))
    assert {system_principal(s) for s in SYSTEMS} <= set(names)
    assert {service_principal(s) for s in SERVICES} | {service_principal("clock"), OPS} <= set(names)
    assert all(u.password == f"{u.name}!" for u in users)
