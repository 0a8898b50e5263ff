"""The project's PostgreSQL (tools/postgres.py) takes no login without its password: SCRAM-SHA-256
on TCP and on the socket, no ``trust``, and no ``postgres/postgres``."""

from __future__ import annotations

from collections.abc import Iterator

import asyncpg
import pytest

from tools.postgres import PostgresServer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server() -> Iterator[PostgresServer]:
    started = PostgresServer().start(databases=("actions",))
    yield started
    started.stop()


def test_every_line_of_the_servers_access_rules_asks_for_a_scram_password(server: PostgresServer):
    rules = [line.split() for line in (server.data_dir / "pg_hba.conf").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert rules, "pg_hba.conf has rules"
    assert {rule[-1] for rule in rules} == {"scram-sha-256"}


@pytest.mark.parametrize("password", [None, "postgres", "not-the-password"])
async def test_a_login_without_the_drawn_password_is_refused(server: PostgresServer, password: str | None):
    given = f":{password}" if password else ""
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(f"postgresql://postgres{given}@127.0.0.1:{server.port}/actions")


async def test_the_dsn_the_services_are_given_carries_the_password_and_logs_in(server: PostgresServer):
    assert f"postgres:{server.password}@" in server.dsn("actions")
    conn = await asyncpg.connect(server.dsn("actions"))
    try:
        assert await conn.fetchval("SELECT current_database()") == "actions"
    finally:
        await conn.close()
