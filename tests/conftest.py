from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from shared.reference import ReferenceData
from shared.settings import DEFAULT_REFERENCE_DATA
from shared.infra.topics import ensure_project_topics
from tests.infra import kafka_bootstrap, postgres_admin_url


@pytest.fixture(scope="session")
def reference() -> ReferenceData:
    return ReferenceData.load(DEFAULT_REFERENCE_DATA)


@pytest.fixture(scope="session")
def kafka() -> Iterator[str]:
    """Bootstrap address of a real Kafka broker shared by the session."""
    with kafka_bootstrap() as bootstrap:
        yield bootstrap


@pytest.fixture(scope="session")
async def topics(kafka: str, reference: ReferenceData) -> list[str]:
    return await ensure_project_topics(kafka, list(reference.systems))


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[str]:
    with postgres_admin_url() as url:
        yield url


@pytest.fixture
async def database_url(postgres_admin: str) -> AsyncIterator[str]:
    """A fresh, empty database per test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(postgres_admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    yield postgres_admin.rsplit("/", 1)[0] + f"/{name}"
    conn = await asyncpg.connect(postgres_admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
