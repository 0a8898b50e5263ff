"""Where the tests' Kafka and PostgreSQL come from, in this order:

1. ``KAFKA_BOOTSTRAP_SERVERS`` / ``POSTGRES_URL`` (an admin DSN): servers that already run;
2. Docker reachable: testcontainers starts the official images (not runnable on the
   project's own CI machine, which has no Docker; written for laptops);
3. otherwise the project's native launchers (Maven jars, initdb/pg_ctl).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shared.infra.kafka import KafkaServer, ScramUser
from shared.infra.postgres import PostgresServer

LOGS = Path(__file__).resolve().parents[1] / "test-logs"
KAFKA_IMAGE = "apache/kafka:4.1.1"
POSTGRES_IMAGE = "postgres:15"


def docker_reachable() -> bool:
    if os.environ.get("GOVERNANCE_NO_DOCKER") or not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


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


@contextmanager
def secured_kafka(users: list[ScramUser]) -> Iterator[KafkaServer]:
    """Secured mode needs SCRAM users at format time, so it is always the native broker."""
    server = KafkaServer(secured=True, users=users, keep_logs_in=LOGS).start()
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
