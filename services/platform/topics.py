"""Create the project's topics (idempotent): docker compose's topics-init job, the native stack
and the tests."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.contracts.topics import SHARED_TOPICS, all_topic_names


async def ensure_topics(bootstrap: str, names: list[str], partitions: int = 3) -> None:
    by_name = {t.name: t.partitions for t in SHARED_TOPICS}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [NewTopic(n, by_name.get(n, partitions), 1) for n in names if n not in existing]
        if wanted:
            try:
                await admin.create_topics(wanted)
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()


async def ensure_project_topics(bootstrap: str, systems: list[str]) -> list[str]:
    names = all_topic_names(systems)
    await ensure_topics(bootstrap, names)
    return names


def main() -> None:
    """``python -m services.platform.topics``: create every topic for the systems in the reference
    data (``KAFKA_BOOTSTRAP_SERVERS``, ``REFERENCE_DATA_PATH``); ``--dry-run`` only lists them.
    The docker compose topics-init container runs this."""
    import argparse
    import asyncio
    import os
    import time
    from pathlib import Path

    from aiokafka.errors import KafkaConnectionError

    from shared.reference import ReferenceData
    from shared.settings import DEFAULT_REFERENCE_DATA

    parser = argparse.ArgumentParser(prog="python -m services.platform.topics", description=main.__doc__)
    parser.add_argument("--dry-run", action="store_true", help="print the topic names, create nothing")
    args = parser.parse_args()
    reference = Path(os.environ.get("REFERENCE_DATA_PATH") or DEFAULT_REFERENCE_DATA)
    systems = list(ReferenceData.load(reference).systems)
    if args.dry_run:
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
    main()
