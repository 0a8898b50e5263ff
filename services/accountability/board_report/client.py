"""The report's data from a running accountability service's read API, over HTTP: what the
command line and the scripted cycle use (the service's own route reads its database)."""

from __future__ import annotations

from typing import Any

import httpx

from .data import TREND_CYCLES, ReportError


async def fetch(
    api_base_url: str, *, timeout: float = 30.0,  # noqa: ASYNC109 - httpx's limit on each request
    headers: dict[str, str] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every cycle's summary (latest first, as many as the trend shows) and every action's status.
    ``headers``: the caller's credential, a client with the Board's right (``shared/access.py``)."""
    async with httpx.AsyncClient(base_url=api_base_url.rstrip("/"), timeout=timeout, headers=headers) as client:
        async def get(path: str, **params: str) -> Any:
            try:
                response = await client.get(path, params=params)
            except httpx.HTTPError as e:
                raise ReportError(f"cannot reach the accountability API at {api_base_url}{path}: {e}") from e
            if response.status_code != 200:
                raise ReportError(f"{api_base_url}{path} answered {response.status_code}: {response.text[:300]}")
            return response.json()

        cycles = (await get("/cycles"))["cycles"]
        if not cycles:
            raise ReportError("the accountability service has not opened a cycle yet: nothing to report")
        summaries = [await get("/cycle-summary", cycle_id=c["cycle_id"]) for c in cycles[:TREND_CYCLES]]
        status = await get("/status")
        status["measures"] = (await get("/measures"))["measures"]  # already suppressed by the service
    return summaries, status
