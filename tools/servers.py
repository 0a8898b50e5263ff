"""Kafka and PostgreSQL for the stack: the ones already running when told where they are
(arguments, ``KAFKA_BOOTSTRAP_SERVERS`` / ``POSTGRES_URL``), otherwise native ones started
side by side, with every service's database created.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

from tools.kafka import KafkaServer, ScramUser
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
