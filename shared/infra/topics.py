"""Create the project's topics (idempotent): used by the native stack and the tests."""

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
