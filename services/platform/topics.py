"""Create the project's topics (idempotent): docker compose's topics-init job, the native stack
and the tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path
from typing import Annotated

import typer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from shared.contracts.topics import SHARED_TOPICS, all_topic_names
from shared.reference import ReferenceData
from shared.settings import DEFAULT_REFERENCE_DATA


async def ensure_topics(bootstrap: str, names: list[str], partitions: int = 3) -> None:
    by_name = {t.name: t.partitions for t in SHARED_TOPICS}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [NewTopic(n, by_name.get(n, partitions), 1) for n in names if n not in existing]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):  # another process made them meanwhile
                await admin.create_topics(wanted)
    finally:
        await admin.close()


async def ensure_project_topics(bootstrap: str, systems: list[str]) -> list[str]:
    names = all_topic_names(systems)
    await ensure_topics(bootstrap, names)
    return names


# A plain traceback on failure, as before: these run in containers and their output is logs.
cli = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@cli.command()
def main(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the topic names, create nothing")] = False,
) -> None:
    """Create every topic for the systems in the reference data (KAFKA_BOOTSTRAP_SERVERS,
    REFERENCE_DATA_PATH); --dry-run only lists them. The docker compose topics-init job runs this."""
    reference = Path(os.environ.get("REFERENCE_DATA_PATH") or DEFAULT_REFERENCE_DATA)
    systems = list(ReferenceData.load(reference).systems)
    if dry_run:
        print("\n".join(all_topic_names(systems)))
        return
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
    deadline = time.monotonic() + 60
    while True:  # a broker that reports healthy may still be electing its controller
        try:
            names = asyncio.run(ensure_project_topics(bootstrap, systems))
            break
        except KafkaConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)
    print(f"{len(names)} topics ready on {bootstrap} for {len(systems)} systems")


if __name__ == "__main__":
    cli()
