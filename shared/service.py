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
from faststream.asgi.types import ASGIApp, Receive, Scope, Send
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from .access import Access
from .contracts.topics import PER_SYSTEM_TOPICS, SHARED_TOPICS, dead_letter_topic
from .db import Database
from .health import HealthSource, Readiness
from .http import asyncapi_routes, operational_routes


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


class _ServiceAsgi(AsgiFastStream):
    """FastStream's ASGI app, whose paths that no route matches go to ``website`` when there is one."""

    website: ASGIApp | None = None

    async def not_found(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.website is not None and scope["type"] == "http":
            await self.website(scope, receive, send)
            return
        await super().not_found(scope, receive, send)


def service_app(name: str, broker: KafkaBroker, database: Database, *, access: Access, loops: Sequence[Loop] = (),
                routes: Sequence[tuple[str, Any]] = (), context: Mapping[str, Any] | None = None,
                outputs: Sequence[Output] = (), website: ASGIApp | None = None,
                health: Sequence[HealthSource] = ()) -> AsgiFastStream:
    """The FastStream app of service ``name``. Start order: the database opens, the broker
    connects and its subscribers start, then the loops start; stop order is the reverse, so no
    handler or loop is still using the pool when it closes.

    ``/ready`` and ``/metrics`` check the broker, the database, every loop (a loop that reports
    its own health, like the outbox relay, is asked) and each of ``health`` (the dead-letter
    policy, which watches the consumer).

    ``access``: the API clients the service knows (``shared/access.py``); every route but
    ``/health``, ``/ready``'s bare answer and ``/asyncapi`` asks for one of them.

    ``database`` and every value of ``context`` reach handlers and routes by name through
    FastStream's dependency injection (``database: Annotated[Database, Context()]``).

    ``website``: an ASGI app (the portal's pages) that serves every path the operational and
    read routes do not; it shares the service's lifecycle and needs no lifespan of its own."""
    document_outputs(broker, name, outputs)

    async def start_loops() -> None:  # async: FastStream runs a plain function's hook in a thread
        for loop in loops:
            loop.start()

    async def stop_loops() -> None:
        for loop in reversed(loops):
            await loop.stop()

    app = _ServiceAsgi(
        broker,
        asgi_routes=[*operational_routes(broker, Readiness(name, broker, database, loops, health)),
                     *asyncapi_routes(name), *routes],
        on_startup=[database.open],
        after_startup=[start_loops],
        on_shutdown=[stop_loops],
        after_shutdown=[database.close],
        asyncapi_path=None,  # /asyncapi serves the committed document's rendering (asyncapi_routes)
        specification=AsyncAPI(title=f"Midlands governance: {name} service", version="1.0.0",
                               description=f"Events the {name} service consumes and produces."),
    )
    app.website = website
    for key, value in {"database": database, "access": access, **(context or {})}.items():
        app.context.set_global(key, value)
    return app


def document_outputs(broker: KafkaBroker, name: str, outputs: Sequence[Output] = ()) -> None:
    """Declare what service ``name`` writes, from the topic registry, so the generated AsyncAPI
    document shows outputs too (the outbox relay does the actual publishing)."""
    for topic in (*SHARED_TOPICS, *PER_SYSTEM_TOPICS, dead_letter_topic(name)):
        if name in topic.writers:
            schema: Any = bytes
            if topic.events:
                schema = topic.events[0] if len(topic.events) == 1 else Union[topic.events]  # noqa: UP007
            broker.publisher(topic.name, title=f"{topic.name}:{name}", schema=schema, description=topic.description)
    for topic_name, schema, description in outputs:
        broker.publisher(topic_name, title=f"{topic_name}:{name}", schema=schema, description=description)
