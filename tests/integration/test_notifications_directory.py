"""The directory (admin command and events) and bad input, against the real broker and database."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest
from faststream import TestApp

from services.notifications.app import build
from services.notifications.settings import NotificationsSettings
from shared.contracts import events as ev
from shared.contracts.topics import DIRECTORY, NOTICES, dead_letter
from tests.kafka_tools import collect, eventually, header, produce

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


async def test_the_admin_command_adds_a_person_without_echoing_their_details(database_url):
    pid = f"p-sro-{uuid.uuid4().hex[:8]}"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.notifications.cli", "person", "add", "--id", pid, "--name", "Sam Owner",
        "--email", "sam.owner@example.org", "--role", "sro", "--system", "black-country",
        "--channel", "email", "--channel", "webhook", "--webhook-url", "https://hooks.example.org/sro",
        "--database-url", database_url, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert out.decode().strip() == f"person {pid} saved"
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow("SELECT * FROM people WHERE person_id = $1", pid)
    finally:
        await conn.close()
    assert (row["email"], row["roles"], row["systems"], row["channels"]) == (
        "sam.owner@example.org", ["sro"], ["black-country"], ["email", "webhook"])


async def test_the_admin_command_refuses_an_unknown_channel_with_a_clear_error(database_url):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.notifications.cli", "person", "add", "--id", "p-x", "--name", "X",
        "--channel", "pigeon", "--database-url", database_url, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    assert proc.returncode == 2
    assert "channels.0" in err.decode() and "'email' or 'webhook'" in err.decode()


async def test_directory_events_keep_the_newest_entry_and_bad_input_is_dead_lettered_with_its_reason(
        kafka, topics, database_url):
    pid = f"p-{uuid.uuid4().hex[:8]}"
    newer = ev.PersonUpdated.new(source="admin", subject=pid, data=ev.Person(
        person_id=pid, name="New Name", email="new@example.org"))
    older = ev.PersonUpdated.new(source="admin", subject=pid, occurred_at=newer.occurred_at.replace(year=2020),
                                 data=ev.Person(person_id=pid, name="Old Name", email="old@example.org"))
    bogus_ack = ev.NoticeAcknowledged.new(source=pid, subject=f"esc-{pid}", data=ev.NoticeOutcome(
        notice_id=f"n-never-{pid}", recipient=pid, channel="email", about=f"esc-{pid}"))
    no_name = json.loads(newer.to_bytes()) | {"event_id": str(uuid.uuid4())}
    no_name["data"]["name"] = ""
    settings = NotificationsSettings(kafka_bootstrap_servers=kafka, database_url=database_url)
    async with TestApp(build(settings)):
        await produce(kafka, DIRECTORY.name, [newer.to_bytes(), older.to_bytes(), json.dumps(no_name).encode()],
                      key=pid.encode())
        await produce(kafka, NOTICES.name, [bogus_ack.to_bytes()], key=bogus_ack.subject.encode())

        def mine(records):
            return [r for r in records if pid.encode() in (r.value or b"")]
        dead = mine(await collect(kafka, dead_letter("notifications"), lambda rs: len(mine(rs)) >= 2))
        conn = await asyncpg.connect(database_url)
        try:
            name = await eventually(lambda: conn.fetchval("SELECT name FROM people WHERE person_id = $1", pid))
        finally:
            await conn.close()
    assert name == "New Name"
    codes = {header(r, "dlt-code"): header(r, "dlt-reason") for r in dead}
    assert set(codes) == {"schema_invalid", "unknown_notice"}
    assert "data.name" in codes["schema_invalid"]
    assert f"n-never-{pid}" in codes["unknown_notice"]
