"""The project's PostgreSQL (tools/postgres.py) takes no login without its password: SCRAM-SHA-256
on TCP and on the socket, no ``trust``, and no ``postgres/postgres``."""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from tools.postgres import PostgresServer, _bin

INIT_SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "postgres" / "init.sh"

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


def test_the_compose_init_script_gives_each_service_a_login_of_its_own_owning_its_database_alone(
        server: PostgresServer, tmp_path):
    """deploy/postgres/init.sh, run as the postgres image runs it (psql as the superuser), on the
    launcher's server: each service logs in with its own password to its own database only."""
    passwords = {s: f"{s}-pw-{uuid.uuid4().hex[:8]}" for s in ("actions", "accountability", "notifications", "portal")}
    server.psql("DROP DATABASE actions")  # the fixture's; the script makes its own
    env = {**os.environ, "POSTGRES_USER": "postgres", "PGHOST": "127.0.0.1", "PGPORT": str(server.port),
           "PGPASSWORD": server.password, "PATH": f"{Path(_bin('psql')).parent}:{os.environ['PATH']}"}
    env |= {f"{s.upper()}_DB_PASSWORD": pw for s, pw in passwords.items()}
    done = subprocess.run(["bash", str(INIT_SCRIPT)], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr

    async def check() -> None:
        for service, password in passwords.items():
            conn = await asyncpg.connect(f"postgresql://{service}:{password}@127.0.0.1:{server.port}/{service}")
            try:
                await conn.execute("CREATE TABLE migrated (id int)")  # it owns its database: migrations run
            finally:
                await conn.close()
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await asyncpg.connect(f"postgresql://portal:{passwords['portal']}@127.0.0.1:{server.port}/actions")

    asyncio.run(check())
