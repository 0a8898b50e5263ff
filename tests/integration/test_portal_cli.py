"""Who is who from the command line: the same rules as the administrator's page, all or none,
and each person queued for notifications' directory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from shared.reference import ReferenceData
from tools.portal_cast import as_json, portal_people

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def portal_cli(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.portal.cli", *args, "--database-url", database_url],
                          cwd=REPO, capture_output=True, text=True, timeout=120, check=False)


async def counts(database_url: str) -> tuple[int, int]:
    conn = await asyncpg.connect(database_url)
    try:
        people = await conn.fetchval("SELECT count(*) FROM people")
        queued = await conn.fetchval("SELECT count(*) FROM outbox WHERE topic = 'notifications.directory'")
        return int(people), int(queued)
    finally:
        await conn.close()


async def test_the_demo_cast_loads_and_each_person_is_queued_for_the_directory(
    database_url: str, reference: ReferenceData, tmp_path: Path,
):
    cast = as_json(portal_people(list(reference.systems)))
    (tmp_path / "people.json").write_text(json.dumps(cast))
    done = portal_cli("people", "load", str(tmp_path / "people.json"), database_url=database_url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{len(cast)} saved"
    assert await counts(database_url) == (len(cast), len(cast))


async def test_one_person_refused_means_none_is_saved(database_url: str, tmp_path: Path):
    (tmp_path / "people.json").write_text(json.dumps([
        {"id": "p-ok", "name": "Fine", "roles": ["leader"]},
        {"id": "p-sro", "name": "No systems", "roles": ["sro"]},
    ]))
    done = portal_cli("people", "load", str(tmp_path / "people.json"), database_url=database_url)
    assert done.returncode == 2
    assert "p-sro: systems: Choose the systems this person's role covers" in done.stderr
    assert await counts(database_url) == (0, 0)


async def test_a_person_is_added_with_the_command(database_url: str):
    done = portal_cli("person", "add", "--id", "p-chair", "--name", "A Chair", "--subject", "a.chair",
                      "--role", "panel_chair", database_url=database_url)
    assert done.returncode == 0, done.stderr
    assert await counts(database_url) == (1, 1)


async def test_a_subject_names_one_person_only(database_url: str, tmp_path: Path):
    (tmp_path / "people.json").write_text(json.dumps([
        {"id": "p-a", "name": "A", "subject": "same", "roles": ["leader"]},
        {"id": "p-b", "name": "B", "subject": "same", "roles": ["leader"]},
    ]))
    done = portal_cli("people", "load", str(tmp_path / "people.json"), database_url=database_url)
    assert done.returncode == 2
    assert "subject same is given to more than one person" in done.stderr
    assert await counts(database_url) == (0, 0)
