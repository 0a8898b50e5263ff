"""Health, readiness and metrics endpoints, and JSON responses for the read APIs.

FastStream's ASGI app matches exact paths, so read APIs take their filters as query
parameters (``/actions?system=black-country&status=off_track``).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from faststream import Context
from faststream.asgi import AsgiResponse, Request, get, make_ping_asgi
from faststream.kafka import KafkaBroker
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .access import Access, ApiRole, Principal, guarded
from .health import Readiness, report
from .settings import ServiceSettings


def _default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot serialise {type(value).__name__}")


def json_response(body: Any, status: int = 200) -> AsgiResponse:
    return AsgiResponse(json.dumps(body, default=_default).encode(), status,
                        headers={"content-type": "application/json"})


def operational_routes(broker: KafkaBroker, readiness: Readiness) -> list[tuple[str, Any]]:
    """``/health`` (the broker answers: nothing else) and ``/ready`` (200 or 503) answer anyone, so
    probes need no secret; ``/ready`` gives its reasons and figures, and ``/metrics`` its series,
    only to an ``ops`` credential."""

    @get
    async def ready(request: Request, access: Annotated[Access | None, Context("access", default=None)]
                    ) -> AsgiResponse:
        """200 when every check passes; 503 while the service cannot do its work. With an ``ops``
        credential, every reason and each check with its detail and figures."""
        body = report(await readiness.evaluate())
        status = 200 if body["ready"] else 503
        caller = (access or Access()).decide(request.headers, frozenset({ApiRole.OPS}))
        return json_response(body if isinstance(caller, Principal) else {"ready": body["ready"]}, status)

    async def metrics(principal: Annotated[Principal, Context()]) -> AsgiResponse:
        await readiness.evaluate()  # the readiness gauges and figures, as of this scrape
        return AsgiResponse(generate_latest(), 200, headers={"content-type": CONTENT_TYPE_LATEST})

    return [("/health", make_ping_asgi(broker, timeout=2)), ("/ready", ready),
            ("/metrics", guarded(metrics, ApiRole.OPS))]


def query_param(request: Any, name: str) -> str | None:
    """The first value of a query parameter (FastStream's request keeps them as lists)."""
    values = request.query_params.get(name)
    return values[0] if values else None


def asyncapi_routes(service: str) -> list[tuple[str, Any]]:
    """``/asyncapi``: the service's AsyncAPI document rendered by AsyncAPI's HTML template, one
    self-contained page (nothing loaded from elsewhere); ``/asyncapi.json``: the document itself.
    Both are the committed files in ``docs/asyncapi``, written by ``python -m tools.asyncapi --html``,
    so what is served is what is published. Where they are: the ``asyncapi_docs`` setting of the
    service's settings when it has them in its context, else of the environment (``ASYNCAPI_DOCS``)."""

    def served(settings: ServiceSettings | None, name: str, content_type: str) -> AsgiResponse:
        path = (settings or ServiceSettings()).asyncapi_docs / name
        if not path.is_file():
            return AsgiResponse(f"{path} is not there; write it with: python -m tools.asyncapi --html\n".encode(),
                                404, headers={"content-type": "text/plain; charset=utf-8"})
        return AsgiResponse(path.read_bytes(), 200, headers={"content-type": content_type})

    @get
    async def page(request: Request,
                   settings: Annotated[ServiceSettings | None, Context("settings", default=None)]) -> AsgiResponse:
        return served(settings, f"html/{service}.html", "text/html; charset=utf-8")

    @get
    async def document(request: Request,
                       settings: Annotated[ServiceSettings | None, Context("settings", default=None)]) -> AsgiResponse:
        return served(settings, f"{service}.json", "application/json")

    return [("/asyncapi", page), ("/asyncapi.json", document)]
