"""What a notice carries besides its words: the cycle's close carries the People Board's report,
read from the accountability service's API with this service's own credential when it is sent (the
notifications service keeps no copy), as the HTML page and, where chromium is installed, its PDF."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import httpx
import structlog

from shared.access import bearer
from shared.chromium import pdf_of

from .items import CycleClosedItem, NoticeItem
from .settings import NotificationsSettings

log = structlog.get_logger("notifications.attachments")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "text/html", "application/pdf"
    data: bytes


class NotYetAttachable(Exception):
    """The report could not be read now (the API is down or refused): the notice is tried again later."""


async def attachments_for(settings: NotificationsSettings, items: Sequence[NoticeItem]) -> list[Attachment]:
    """The report of each closed cycle among ``items`` (none when no accountability API is configured)."""
    closed = [i for i in items if isinstance(i, CycleClosedItem)]
    if not closed or not settings.accountability_url:
        return []
    found: list[Attachment] = []
    for item in closed:
        html = await _report(settings, item.cycle_id)
        name = f"people-board-report-{item.cycle_id}"
        found.append(Attachment(f"{name}.html", "text/html", html.encode()))
        try:  # printing is slow and blocking: in a thread, so the dispatcher goes on
            found.append(Attachment(f"{name}.pdf", "application/pdf", await asyncio.to_thread(pdf_of, html)))
        except (RuntimeError, OSError) as exc:  # no chromium in this image: the HTML is the report
            log.warning("report_pdf_not_printed", cycle_id=item.cycle_id, reason=str(exc)[:200])
    return found


async def _report(settings: NotificationsSettings, cycle_id: str) -> str:
    url = (settings.accountability_url or "").rstrip("/") + "/board-report"
    token = settings.accountability_token.get_secret_value() if settings.accountability_token else ""
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.get(url, params={"cycle_id": cycle_id}, headers=bearer(token))
    except httpx.HTTPError as exc:
        raise NotYetAttachable(f"the Board's report could not be read from {url}: {type(exc).__name__}") from exc
    if response.status_code != 200:
        raise NotYetAttachable(f"the Board's report could not be read from {url}: HTTP {response.status_code}")
    return response.text
