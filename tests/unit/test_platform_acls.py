"""The ACLs derived from the topic registry: least privilege, per system and per service."""

from __future__ import annotations

import re

import pytest

from services.platform.acls import (
    DESCRIBE,
    GROUP,
    LITERAL,
    OPS_REDRIVE,
    PREFIXED,
    READ,
    TOPIC,
    WRITE,
    Grant,
    password_variable,
    principals,
    project_acls,
    scram_users,
    service_principal,
    system_principal,
    users_from_environment,
)
from shared.contracts.topics import (
    OPS,
    SERVICES,
    SHARED_TOPICS,
    Groups,
    dead_letter,
    system_feedback,
    system_inbound,
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
    assert prefixed == {service_principal(Groups.ACTIONS), OPS_REDRIVE}


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


def test_redriving_is_a_principal_of_its_own_that_reads_dead_letters_and_writes_only_service_inputs():
    grants = grants_of(OPS_REDRIVE)
    read = {g.name for g in grants if g.operation == READ}
    written = {(g.name, g.pattern) for g in grants if g.operation == WRITE}
    assert read == {dead_letter(s) for s in SERVICES}
    inputs = {(t.name, LITERAL) for t in SHARED_TOPICS if t.readers}
    assert written == inputs | {(system_inbound(""), PREFIXED)}
    assert not any(g.resource == GROUP for g in grants), "it reads by assignment, in no consumer group"
    assert not {g for g in grants if g.operation == WRITE and g.name.startswith(("actions.feedback.", "dlt"))}


def test_ops_who_triage_cannot_redrive():
    assert not [g for g in grants_of(OPS) if g.operation == WRITE]
    assert OPS_REDRIVE in principals(SYSTEMS) and OPS in principals(SYSTEMS)


def test_each_principals_password_comes_from_a_variable_named_after_it():
    assert password_variable(service_principal(Groups.ACTIONS)) == "SCRAM_PASSWORD_SVC_ACTIONS"
    assert password_variable(system_principal("black-country")) == "SCRAM_PASSWORD_SYSTEM_BLACK_COUNTRY"
    assert password_variable(OPS_REDRIVE) == "SCRAM_PASSWORD_OPS_REDRIVE"
    environ = {password_variable(p): f"{p}-pw" for p in principals(SYSTEMS)}
    assert {u.name: u.password for u in users_from_environment(SYSTEMS, environ)} == {
        p: f"{p}-pw" for p in principals(SYSTEMS)}


def test_the_access_job_names_every_missing_password_and_creates_nobody():
    environ = {password_variable(p): "pw" for p in principals(SYSTEMS)}
    del environ["SCRAM_PASSWORD_OPS"]
    environ["SCRAM_PASSWORD_SVC_CLOCK"] = ""
    with pytest.raises(RuntimeError, match="no password for 2 principal") as refused:
        users_from_environment(SYSTEMS, environ)
    assert set(re.findall(r"SCRAM_PASSWORD_\w+", str(refused.value))) == {"SCRAM_PASSWORD_OPS",
                                                                          "SCRAM_PASSWORD_SVC_CLOCK"}
