from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest

from services.platform.topics import ensure_project_topics
from shared.reference import ReferenceData
from shared.settings import DEFAULT_REFERENCE_DATA
from tests.infra import api_keys, create_database, drop_database, kafka_bootstrap, postgres_admin_url
from tools.oidc import OidcServer
from tools.portal_cast import demo_users, portal_people


@pytest.fixture(scope="session", autouse=True)
def api_clients() -> Iterator[None]:
    """Every service the tests build knows the tests' API clients (``tests.infra.api_keys``)."""
    before = os.environ.get("API_CLIENTS")
    os.environ.update(api_keys().env())
    yield
    if before is None:
        os.environ.pop("API_CLIENTS", None)
    else:
        os.environ["API_CLIENTS"] = before


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
    url = await create_database(postgres_admin)
    yield url
    await drop_database(postgres_admin, url)


@pytest.fixture(scope="session")
def oidc() -> Iterator[OidcServer]:
    """A real OpenID Connect provider (navikt's mock-oauth2-server) shared by the session; its
    sign-in page lists the demonstration's people."""
    cast = portal_people(list(ReferenceData.load(DEFAULT_REFERENCE_DATA).systems))
    server = OidcServer(users=demo_users(cast)).start()
    try:
        yield server
    finally:
        server.stop()
