"""Kafka and PostgreSQL for the stack: the ones already running when told where they are
(arguments, ``KAFKA_BOOTSTRAP_SERVERS`` / ``POSTGRES_URL``), otherwise native ones started
side by side, with every service's database created; and an SMTP server that keeps every
e-mail as a file, when none is named (``SMTP_HOST``).
"""

from __future__ import annotations

import asyncio
import email
import os
import threading
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from email import policy
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from aiosmtpd.controller import Controller

from services.platform.acls import ScramUser
from tools.kafka import KafkaServer
from tools.ports import free_port
from tools.postgres import PostgresServer

T = TypeVar("T")


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even inside a running event loop
    (an async test using the context manager): then it runs in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    result: list[T] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coro))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            error.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]


async def _ensure_databases(admin_url: str, names: list[str]) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        existing = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
        for name in names:
            if name not in existing:
                await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def database_url(admin_url: str, name: str) -> str:
    base, _, query = admin_url.partition("?")
    return base.rsplit("/", 1)[0] + f"/{name}" + (f"?{query}" if query else "")


def _start_kafka(given: str | KafkaServer | None, users: list[ScramUser] | None, logs: Path, started: float,
                 timings: dict[str, float]) -> tuple[str, KafkaServer | None]:
    if isinstance(given, KafkaServer):
        return given.bootstrap, None
    if users is not None:
        kafka = KafkaServer(secured=True, users=users, keep_logs_in=logs).start()
        timings["kafka"] = time.monotonic() - started
        return kafka.bootstrap, kafka
    if bootstrap := given or os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return bootstrap, None
    kafka = KafkaServer(keep_logs_in=logs).start()
    timings["kafka"] = time.monotonic() - started
    return kafka.bootstrap, kafka


def _start_postgres(given: str | None, databases: list[str], started: float,
                    timings: dict[str, float]) -> tuple[str, PostgresServer | None]:
    if admin_url := given or os.environ.get("POSTGRES_URL"):
        run_sync(_ensure_databases(admin_url, databases))
        return admin_url, None
    postgres = PostgresServer().start(databases=tuple(databases))
    timings["postgres"] = time.monotonic() - started
    return postgres.dsn(), postgres


def start_servers(cleanup: ExitStack, kafka_given: str | KafkaServer | None, users: list[ScramUser] | None,
                  postgres_url: str | None, databases: list[str], logs: Path, started: float,
                  timings: dict[str, float]) -> tuple[str, KafkaServer | None, str]:
    """Kafka (the slow one) and PostgreSQL, side by side; each one started here is stopped on the way out."""
    with ThreadPoolExecutor(2) as pool:
        kafka_started = pool.submit(_start_kafka, kafka_given, users, logs, started, timings)
        postgres_started = pool.submit(_start_postgres, postgres_url, databases, started, timings)
    for future in (kafka_started, postgres_started):
        if future.exception() is None and (server := future.result()[1]) is not None:
            cleanup.callback(server.stop)
    kafka_bootstrap, kafka = kafka_started.result()
    return kafka_bootstrap, kafka, postgres_started.result()[0]


@dataclass
class NoticeFolder:
    """An SMTP server that writes every e-mail it receives to a folder."""

    folder: Path
    received: list[dict[str, Any]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        n = len(self.received) + 1
        path = self.folder / f"{n:03d}.eml"
        path.write_bytes(envelope.content)
        self.received.append({"file": path.name, "to": list(envelope.rcpt_tos),
                              "subject": str(message["subject"]).strip(), "message_id": message["message-id"],
                              "governance_date": message["x-governance-date"],
                              "kind": message["x-governance-kind"], "action": message["x-governance-action"]})
        return "250 OK"


def start_mail_folder(cleanup: ExitStack, folder: Path) -> dict[str, str]:
    """An SMTP server on a free port that keeps each e-mail in ``folder``; the settings that point
    the notifications service at it. Stopped on the way out."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    controller = Controller(NoticeFolder(folder), hostname="127.0.0.1", port=port)
    controller.start()
    cleanup.callback(controller.stop)
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port)}
