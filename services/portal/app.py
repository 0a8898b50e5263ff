"""The portal, wired in one step.

    faststream run services.portal.app:create_app --factory --port 8004

Like every service it is a FastStream app (``service_app``): the database opens, the broker
connects and the read-model subscriber starts, then the outbox relay; /health, /ready,
/metrics and /asyncapi are the same as everywhere. Every other path goes to the website, a
Starlette app (routing with path parameters, forms, signed session cookies, static files and
templates, none of which FastStream's exact-path routes offer). The website needs no lifespan
of its own: what it uses (the database, the outbox relay) starts and stops with the service.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import structlog
from faststream.asgi import AsgiFastStream
from faststream.asgi.types import ASGIApp, Message, Receive, Scope, Send
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from shared.access import Access
from shared.contracts.topics import Groups
from shared.db import Database
from shared.logging import configure_logging
from shared.messaging import DeadLetterPolicy, make_broker
from shared.outbox import OutboxRelay
from shared.reference import ReferenceData
from shared.service import service_app
from shared.settings import refuse_weak_secrets

from . import api, auth, handlers
from .settings import PortalSettings
from .web import Portal, make_templates, refused

NAME = Groups.PORTAL
MIGRATIONS = Path(__file__).with_name("migrations")
STATIC = Path(__file__).with_name("static")
SESSION_COOKIE = "portal_session"
log = structlog.get_logger("portal")



def security_headers(settings: PortalSettings) -> list[tuple[bytes, bytes]]:
    """No script runs on these pages; styles and images come from the portal itself; no other
    site may frame them (clickjacking); forms post only here (and sign-out goes on to the
    identity provider)."""
    provider = urlsplit(settings.oidc_discovery_url)
    policy = (f"default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
              f"form-action 'self' {provider.scheme}://{provider.netloc}")
    return [(b"content-security-policy", policy.encode()), (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]


def with_headers(app: ASGIApp, headers: list[tuple[bytes, bytes]]) -> ASGIApp:
    """Every response gets ``headers``, unless it set one of those names itself (the Board's report
    sets a policy of its own: its styles are inline, and it still runs no script)."""
    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                own = {name.lower() for name, _ in message.get("headers", [])}
                message = {**message, "headers": [*message.get("headers", []),
                                                  *((n, v) for n, v in headers if n not in own)]}
            await send(message)

        await app(scope, receive, send_with_headers)

    return wrapped


async def _page_not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 405:
        return refused(request, None, "Not allowed", "This address does not take that kind of request.", 405)
    return refused(request, None, "Page not found", "If you typed the address, check it is correct.", status)


def website(portal: Portal) -> ASGIApp:
    """The pages, behind signed session cookies (HTTP-only; Secure outside development mode)."""
    settings = portal.settings
    app = Starlette(
        routes=[*api.routes(), Mount("/assets", StaticFiles(directory=STATIC), name="assets")],
        middleware=[Middleware(SessionMiddleware, secret_key=settings.signing_secret(), session_cookie=SESSION_COOKIE,
                               max_age=int(settings.session_hours * 3600), same_site="lax",
                               https_only=settings.secure_cookies)],
        exception_handlers={HTTPException: _page_not_found},
    )
    app.state.portal = portal
    return with_headers(app, security_headers(settings))


def build(settings: PortalSettings) -> AsgiFastStream:
    """Database, broker (the read model's subscriber; bad input is dead-lettered), outbox relay,
    the identity provider's client and the website."""
    if settings.development_mode:
        log.warning("development_mode", detail="session secret drawn at start, cookies without Secure")
    database = Database(settings.database_url, [MIGRATIONS])
    broker = make_broker(settings, client_id=NAME, middlewares=(DeadLetterPolicy(NAME),))
    broker.include_router(handlers.router())
    portal = Portal(settings=settings, database=database, reference=ReferenceData.load(settings.reference_data_path),
                    identity_provider=auth.identity_provider(settings), templates=make_templates())
    return service_app(NAME, broker, database, access=Access(settings.api_clients),
                       loops=[OutboxRelay(database, broker, NAME)],
                       website=website(portal))


def create_app() -> AsgiFastStream:
    """The process entry point: settings from the environment, JSON logs."""
    settings = PortalSettings()
    configure_logging(NAME, settings.log_level)
    refuse_weak_secrets(NAME, settings)
    return build(settings)
