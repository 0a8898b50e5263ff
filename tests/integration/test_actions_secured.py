"""A system posts only for itself: the actions service on the secured broker (SCRAM + ACLs)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import date

import asyncpg
import pytest
from aiokafka.errors import TopicAuthorizationFailedError
from faststream import TestApp

from services.actions.app import build
from services.actions.settings import ActionsSettings
from services.platform.acls import service_principal, system_principal
from shared.contracts import parse_event
from shared.contracts.topics import Groups, system_feedback, system_inbound
from tests.infra import login, password_for
from tests.kafka_tools import collect, eventually, produce
from tests.samples import commitment, progress
from tools.kafka import KafkaServer

pytestmark = pytest.mark.integration
WAIT = 60


@asynccontextmanager
async def actions_as_its_own_principal(server: KafkaServer, database_url: str):
    principal = service_principal(Groups.ACTIONS)
    settings = ActionsSettings(kafka_bootstrap_servers=server.sasl_bootstrap, database_url=database_url,
                               kafka_sasl_username=principal, kafka_sasl_password=password_for(principal),
                               kafka_ssl_cafile=server.ca_file)
    async with TestApp(build(settings)):
        yield


async def test_a_system_cannot_change_another_systems_action_on_the_secured_broker(secured_topics, database_url):
    server = secured_topics
    ours, theirs = login(system_principal("black-country")), login(system_principal("lincolnshire"))
    made = commitment(action_id="bc-secure-1")
    async with actions_as_its_own_principal(server, database_url):
        await produce(server.sasl_bootstrap, system_inbound("black-country"), [made.to_bytes()],
                      key=made.subject.encode(), **ours)
        conn = await asyncpg.connect(database_url)
        try:
            await eventually(lambda: conn.fetchval("SELECT version FROM actions WHERE action_id = $1", made.subject),
                             timeout=WAIT)

            # 1. Lincolnshire's credentials cannot write Black Country's topic at all: the ACL refuses.
            forged = progress(action_id=made.subject, percent=100)
            with pytest.raises(TopicAuthorizationFailedError):
                await produce(server.sasl_bootstrap, system_inbound("black-country"), [forged.to_bytes()],
                              key=made.subject.encode(), **theirs)

            # 2. On its own topic, Lincolnshire posts about Black Country's action: refused,
            #    recorded as a security event, and the action is unchanged.
            on_own_topic = progress(action_id=made.subject, percent=100, as_of=date(2026, 4, 2))
            await produce(server.sasl_bootstrap, system_inbound("lincolnshire"), [on_own_topic.to_bytes()],
                          key=made.subject.encode(), **theirs)
            await eventually(lambda: conn.fetchval(
                "SELECT count(*) FROM action_events WHERE security AND event_id = $1", on_own_topic.event_id),
                timeout=WAIT)
            assert await conn.fetchval("SELECT version FROM actions WHERE action_id = $1", made.subject) == 1
        finally:
            await conn.close()

    # Lincolnshire reads why, on its own feedback topic, with its own credentials.
    told = await collect(server.sasl_bootstrap, system_feedback("lincolnshire"),
                         lambda rs: any(r.key == made.subject.encode() for r in rs),
                         group_id=f"{system_principal('lincolnshire')}-tool", timeout=WAIT, **theirs)
    # the outbox publishes at least once: a copy carries the same event id, and readers drop it
    refusals = {(e := parse_event(r.value)).event_id: e.data.code for r in told if r.key == made.subject.encode()}
    assert list(refusals.values()) == ["forged_source"]
