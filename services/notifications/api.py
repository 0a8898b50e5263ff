"""Read API (notices and their delivery log, for the ``ops`` credential only), and the signed link
of older notices, which now only leads to the notice's page in the portal."""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from faststream import Context
from faststream.asgi import AsgiResponse, Request

from shared.access import ApiRole, guarded, open_route
from shared.db import Database
from shared.http import json_response, query_param

from . import persistence as db
from .domain import ack_link_refusal, ack_signature_valid, notice_page
from .settings import NotificationsSettings

log = structlog.get_logger("notifications.api")
STATUSES = ("collecting", "pending", "sending", "sent", "failed", "empty", "folded", "withdrawn")


def _page(title: str, message: str, status: int) -> AsgiResponse:
    body = f"<!doctype html><html><body style='font-family: Arial'><h1>{title}</h1><p>{message}</p></body></html>"
    return AsgiResponse(body.encode(), status, headers={"content-type": "text/html; charset=utf-8"})


async def acknowledge_by_link(settings: NotificationsSettings, database: Database, notice_id: str,
                              signature: str) -> AsgiResponse:
    """The signed link of notices sent before the portal. It changes nothing (mail scanners open every
    link in an e-mail): it sends the reader on to the notice's page in the portal, where only its
    recipient, signed in, acknowledges it with a button. A link signed with a key no longer accepted,
    for a notice whose escalation has moved on, or older than ``ack_link_days``, is refused."""
    if not notice_id or not signature:
        return _page("Link incomplete", "This link is missing its notice or signature; "
                     "please use the link exactly as it appears in the email.", 400)
    previous = [k.get_secret_value() for k in settings.ack_link_previous_secrets]
    if not ack_signature_valid(settings.ack_link_secret.get_secret_value(), notice_id, signature, previous):
        log.warning("security_event", kind="ack_link_not_ours")
        return _page("Link not valid", "This acknowledgement link has been altered or is not ours.", 403)
    async with database.pool.acquire() as conn:
        facts = await db.link_facts(conn, notice_id)
    why = ("This notice is not one we sent." if facts is None else
           ack_link_refusal(facts["issued_at"], facts["clock_now"], facts["moved_on"], settings.ack_link_days))
    if why is not None:
        log.warning("security_event", kind="ack_link_outlived", notice_id=notice_id)
        return _page("Link no longer valid", why, 403)
    log.info("notice_link_followed", notice_id=notice_id)
    page = notice_page(settings.portal_public_url, notice_id)
    return AsgiResponse(b"", 303, headers={"location": page, "cache-control": "no-store"})


async def ack(request: Request, settings: Annotated[NotificationsSettings, Context()],
              database: Annotated[Database, Context()]) -> AsgiResponse:
    """/ack?notice=<id>&sig=<hmac>: on to the notice's page in the portal (nothing is acknowledged here)."""
    return await acknowledge_by_link(settings, database, query_param(request, "notice") or "",
                                     query_param(request, "sig") or "")


async def notices(request: Request, database: Annotated[Database, Context()]) -> AsgiResponse:
    """Notices, filtered by ?about=, ?recipient= (person id), ?status= (e.g. failed, for ops)."""
    status = query_param(request, "status")
    if status is not None and status not in STATUSES:
        return json_response({"error": "bad_status", "reason": f"status must be one of {', '.join(STATUSES)}"}, 400)
    try:
        limit = int(query_param(request, "limit") or "200")
    except ValueError:
        return json_response({"error": "bad_limit", "reason": "limit must be a whole number"}, 400)
    async with database.pool.acquire() as conn:
        found = await db.find_notices(conn, about=query_param(request, "about"),
                                      recipient=query_param(request, "recipient"),
                                      status=status, limit=max(1, min(limit, 1000)))
    return json_response({"notices": found})


async def deliveries(request: Request, database: Annotated[Database, Context()]) -> AsgiResponse:
    """The delivery log of one notice: /deliveries?notice=<id>."""
    notice_id = query_param(request, "notice")
    if not notice_id:
        return json_response({"error": "missing_notice", "reason": "give ?notice=<notice id>"}, 400)
    async with database.pool.acquire() as conn:
        return json_response({"notice_id": notice_id, "attempts": await db.delivery_log(conn, notice_id)})


def routes() -> list[tuple[str, Any]]:
    """New route objects for each app: FastStream binds a route to the app it is added to."""
    return [("/ack", open_route(ack)), ("/notices", guarded(notices, ApiRole.OPS, ids=("recipient",))),
            ("/deliveries", guarded(deliveries, ApiRole.OPS))]
