"""What every service's app is made of, assembled in one step by ``service_app``: its broker
(with the dead-letter policy), its database, its background loops, its read routes and the
operational ones, and the values its handlers and routes take by dependency injection.

A service's ``app.build(settings)`` makes the parts and calls ``service_app``; nothing is
set on a part after it is built, and nothing runs until the app starts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, Union

from faststream.asgi import AsgiFastStream
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from .contracts.topics import SHARED_TOPICS, dead_letter
from .db import Database
from .health import HealthSource, Readiness
from .http import operational_routes


class Loop(Protocol):
    """A background loop that starts with the app and stops before the broker does."""

    @property
    def name(self) -> str: ...

    @property
    def running(self) -> bool: ...

    def start(self) -> None: ...

    async def stop(self) -> None: ...


# A topic this service writes beside the registry's shared ones: (name, schema, description).
Output = tuple[str, Any, str]


def service_app(name: str, broker: KafkaBroker, database: Database, *, loops: Sequence[Loop] = (),
                routes: Sequence[tuple[str, Any]] = (), context: Mapping[str, Any] | None = None,
                outputs: Sequence[Output] = (), health: Sequence[HealthSource] = ()) -> AsgiFastStream:
    """The FastStream app of service ``name``. Start order: the database opens, the broker
    connects and its subscribers start, then the loops start; stop order is the reverse, so no
    handler or loop is still using the pool when it closes.

    ``/ready`` and ``/metrics`` check the broker, the database, every loop (a loop that reports
    its own health, like the outbox relay, is asked) and each of ``health`` (the dead-letter
    policy, which watches the consumer).

    ``database`` and every value of ``context`` reach handlers and routes by name through
    FastStream's dependency injection (``database: Annotated[Database, Context()]``)."""
    document_outputs(broker, name, outputs)

    async def start_loops() -> None:  # async: FastStream runs a plain function's hook in a thread
        for loop in loops:
            loop.start()

    async def stop_loops() -> None:
        for loop in reversed(loops):
            await loop.stop()

    app = AsgiFastStream(
        broker,
        asgi_routes=[*operational_routes(broker, Readiness(name, broker, database, loops, health)), *routes],
        on_startup=[database.open],
        after_startup=[start_loops],
        on_shutdown=[stop_loops],
        after_shutdown=[database.close],
        asyncapi_path="/asyncapi",
        specification=AsyncAPI(title=f"Midlands governance: {name} service", version="1.0.0",
                               description=f"Events the {name} service consumes and produces."),
    )
    for key, value in {"database": database, **(context or {})}.items():
        app.context.set_global(key, value)
    return app


def document_outputs(broker: KafkaBroker, name: str, outputs: Sequence[Output] = ()) -> None:
    """Declare what service ``name`` writes, from the topic registry, so the generated AsyncAPI
    document shows outputs too (the outbox relay does the actual publishing)."""
    for topic in SHARED_TOPICS:
        if name in topic.writers:
            schema = topic.events[0] if len(topic.events) == 1 else Union[topic.events]  # noqa: UP007
            broker.publisher(topic.name, title=f"{topic.name}:{name}", schema=schema,
                             description=f"keyed by {topic.key}")
    for topic_name, schema, description in outputs:
        broker.publisher(topic_name, title=f"{topic_name}:{name}", schema=schema, description=description)
    broker.publisher(dead_letter(name), title=f"{dead_letter(name)}:{name}",
                     schema=bytes, description="the original message bytes; the reason in headers "
                     "dlt-code, dlt-reason, dlt-topic, dlt-partition, dlt-offset")
