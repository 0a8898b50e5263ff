from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.platform.acls import grant_project_acls, scram_users
from services.platform.topics import ensure_project_topics
from tests.infra import SECURED_SYSTEMS, password_for, secured_kafka
from tools.kafka import KafkaServer


@pytest.fixture(scope="session")
def secured() -> Iterator[KafkaServer]:
    """A second, secured broker (SASL SCRAM-SHA-512 + ACLs), shared by the secured tests."""
    with secured_kafka(scram_users(SECURED_SYSTEMS, password_for)) as server:
        yield server


@pytest.fixture(scope="session")
async def secured_topics(secured: KafkaServer) -> KafkaServer:
    await ensure_project_topics(secured.bootstrap, SECURED_SYSTEMS)
    grant_project_acls(secured.bootstrap, SECURED_SYSTEMS)
    return secured
