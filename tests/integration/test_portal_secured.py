"""The portal on the secured broker, logged in as svc-portal with the ACLs the registry
derives: its consumer group reads its inputs into the read model, and its outbox relay writes
what people do (here, who is who on the directory)."""

from __future__ import annotations

import json

import asyncpg
import pytest
from pydantic import SecretStr

from services.platform.acls import service_principal
from shared.contracts.topics import DIRECTORY
from tests.infra import create_database, drop_database, password_for
from tests.kafka_tools import collect, eventually, produce
from tests.portal_rig import TODAY, add_people, running_portal, slipped_action
from tools.kafka import KafkaServer
from tools.oidc import OidcServer
from tools.portal_cast import CastMember

pytestmark = pytest.mark.integration
PORTAL = service_principal("portal")


async def escalated(database_url: str, action_id: str) -> bool:
    conn = await asyncpg.connect(database_url)
    try:
        return bool(await conn.fetchval("SELECT step IS NOT NULL FROM actions WHERE action_id = $1", action_id))
    finally:
        await conn.close()


async def test_the_portal_reads_and_writes_its_topics_under_its_own_login(
    secured_topics: KafkaServer, postgres_admin: str, oidc: OidcServer,
):
    database_url = await create_database(postgres_admin)
    try:
        async with running_portal(secured_topics.sasl_bootstrap, database_url, oidc,
                                  kafka_sasl_username=PORTAL, kafka_sasl_password=SecretStr(password_for(PORTAL)),
                                  kafka_ssl_cafile=secured_topics.ca_file):
            for topic, event in slipped_action("bc-secured", "black-country", "p-lead", "Secured", TODAY):
                await produce(secured_topics.bootstrap, topic, [event.to_bytes()], key=event.subject.encode())
            await eventually(lambda: escalated(database_url, "bc-secured"), timeout=60)
            await add_people(database_url, [CastMember("p-secured", "Sec Ured", "s@example.org", ("leader",))])
            records = await collect(secured_topics.bootstrap, DIRECTORY.name, timeout=60, until=lambda rs: any(
                json.loads(r.value)["subject"] == "p-secured" for r in rs))
            assert any(json.loads(r.value)["source"] == "portal" for r in records)
    finally:
        await drop_database(postgres_admin, database_url)
