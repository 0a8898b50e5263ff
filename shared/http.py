"""Health, readiness and metrics endpoints, and JSON responses for the read APIs.

FastStream's ASGI app matches exact paths, so read APIs take their filters as query
parameters (``/actions?system=black-country&status=off_track``).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from uuid import UUID

from faststream.asgi import AsgiResponse, get, make_ping_asgi
from faststream.kafka import KafkaBroker
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .health import Readiness, report


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
    @get
    async def ready(scope: Any) -> AsgiResponse:
        """200 when every check passes; 503 with every reason while the service cannot do its work.
        Each check is listed with its detail and figures either way."""
        body = report(await readiness.evaluate())
        return json_response(body, 200 if body["ready"] else 503)

    @get
    async def metrics(scope: Any) -> AsgiResponse:
        await readiness.evaluate()  # the readiness gauges and figures, as of this scrape
        return AsgiResponse(generate_latest(), 200, headers={"content-type": CONTENT_TYPE_LATEST})

    return [("/health", make_ping_asgi(broker, timeout=2)), ("/ready", ready), ("/metrics", metrics)]


def query_param(request: Any, name: str) -> str | None:
    """The first value of a query parameter (FastStream's request keeps them as lists)."""
    values = request.query_params.get(name)
    return values[0] if values else None
