"""Where the tests' Kafka and PostgreSQL come from, in this order:

1. ``KAFKA_BOOTSTRAP_SERVERS`` / ``POSTGRES_URL`` (an admin DSN): servers that already run;
2. Docker reachable: testcontainers starts the official images (not runnable on the
   project's own CI machine, which has no Docker; written for laptops);
3. otherwise the project's native launchers (Maven jars, initdb/pg_ctl).
"""

from __future__ import annotations

import functools
import os
import shutil
import ssl
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from services.platform.acls import ScramUser
from shared.reference import ReferenceData
from shared.settings import DEFAULT_REFERENCE_DATA
from tools.api_keys import REGION, ApiKeys
from tools.certificates import ProjectCA
from tools.kafka import KafkaServer
from tools.postgres import PostgresServer

LOGS = Path(__file__).resolve().parents[1] / "test-logs"
KAFKA_IMAGE = "apache/kafka:4.1.1"
POSTGRES_IMAGE = "postgres:15"


def docker_reachable() -> bool:
    if os.environ.get("GOVERNANCE_NO_DOCKER") or not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0


@contextmanager
def kafka_bootstrap() -> Iterator[str]:
    if url := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield url
    elif docker_reachable():
        from testcontainers.community.kafka import KafkaContainer

        with KafkaContainer(KAFKA_IMAGE).with_kraft() as container:
            yield container.get_bootstrap_server()
    else:
        server = KafkaServer(keep_logs_in=LOGS).start()
        try:
            yield server.bootstrap
        finally:
            server.stop()


SECURED_SYSTEMS = ["black-country", "lincolnshire"]


def password_for(principal: str) -> str:
    return f"{principal}-secret"


@cache
def secured_ca() -> ProjectCA:
    """The CA of the tests' secured brokers, made once per session (the folder is left for the OS
    to clean, as the brokers' own temporary folders are)."""
    return ProjectCA.create(Path(tempfile.mkdtemp(prefix="test-ca-")))


def tls() -> ssl.SSLContext:
    """A client's TLS: only the tests' CA is trusted, host names checked."""
    return secured_ca().client_context()


def login(principal: str, password: str | None = None) -> dict[str, Any]:
    """aiokafka's keyword arguments for a SCRAM-SHA-512 login as ``principal``, over TLS."""
    return {
        "security_protocol": "SASL_SSL",
        "ssl_context": tls(),
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": principal,
        "sasl_plain_password": password or password_for(principal),
    }


@contextmanager
def secured_kafka(users: list[ScramUser]) -> Iterator[KafkaServer]:
    """Secured mode needs SCRAM users at format time, so it is always the native broker."""
    server = KafkaServer(secured=True, users=users, ca=secured_ca(), keep_logs_in=LOGS).start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def postgres_admin_url() -> Iterator[str]:
    if url := os.environ.get("POSTGRES_URL"):
        yield url
    elif docker_reachable():
        from testcontainers.community.postgres import PostgresContainer

        with PostgresContainer(POSTGRES_IMAGE, driver=None) as container:
            yield container.get_connection_url()
    else:
        server = PostgresServer().start(databases=())
        try:
            yield server.dsn()
        finally:
            server.stop()


async def create_database(admin_url: str) -> str:
    """A fresh, empty database on the server ``admin_url`` reaches; returns its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


async def drop_database(admin_url: str, database_url: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database_url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await conn.close()


@functools.cache
def api_keys() -> ApiKeys:
    """The tests' API clients (tools/api_keys.py): ``headers()`` is a client with the Panel's, the
    Board's and ops' rights; the services read the digests from ``API_CLIENTS``, set for the session."""
    return ApiKeys.development(list(ReferenceData.load(DEFAULT_REFERENCE_DATA).systems))


def api_client(app: Any, base_url: str = "http://service.test", client: str = REGION) -> httpx.AsyncClient:
    """An HTTP client of an app in this process, holding ``client``'s token."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url,
                             headers=api_keys().headers(client))
