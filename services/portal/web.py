"""What every page shares: the portal's parts, who is signed in, the form token, rendering.

Two ways in, and every route uses one of them:

- ``page(handler)``: a GET page for someone signed in; anyone else is sent to sign in.
- ``form(handler)``: a POST from a page of ours: signed in, and carrying the session's form
  token (the synchronizer-token pattern: the token lives in the signed session cookie and in
  a hidden field; a form from another site cannot know it). Without it, nothing happens.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import structlog
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from shared.contracts.vocabulary import BOARD, PANEL, LadderStep, Status, date_in_words, decision_words
from shared.db import Database
from shared.reference import ReferenceData

from . import persistence
from .domain import Person, Problem, Role
from .settings import PortalSettings

log = structlog.get_logger("portal")
TEMPLATES = Path(__file__).with_name("templates")
CSRF_FIELD = "csrf_token"
SESSION_PERSON, SESSION_SUBJECT, SESSION_CSRF, SESSION_SINCE = "person_id", "subject", "csrf", "since"

PageHandler = Callable[[Request, Person], Awaitable[Response]]
FormHandler = Callable[[Request, Person, FormData], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Portal:
    """The parts the pages use, made once by ``app.build``."""

    settings: PortalSettings
    database: Database
    reference: ReferenceData
    identity_provider: Any  # authlib's Starlette OpenID Connect client (untyped)
    templates: Jinja2Templates


def portal_of(request: Request) -> Portal:
    found: Portal = request.app.state.portal
    return found


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=TEMPLATES)
    env = templates.env
    env.filters["in_words"] = date_in_words
    env.filters["status_label"] = lambda s: Status(s).label if s in set(Status) else "Not judged yet"
    env.filters["step_label"] = lambda s: LadderStep(s).label if s in set(LadderStep) else ""
    env.filters["step_words"] = lambda s: LadderStep(s).words if s in set(LadderStep) else ""
    env.filters["role_words"] = lambda r: Role(r).words if r in set(Role) else r
    env.filters["decision_words"] = decision_words
    env.globals |= {"PANEL": PANEL, "BOARD": BOARD, "Role": Role, "next_step": next_step}
    return templates


def next_step(step: str | None) -> str:
    """What happens when the leader does not answer in time, in words."""
    rungs = list(LadderStep)
    if step not in set(LadderStep):
        return ""
    at = rungs.index(LadderStep(step))
    return rungs[at + 1].words if at + 1 < len(rungs) else "the People Board decides what follows"


def csrf_token(request: Request) -> str:
    token: str | None = request.session.get(SESSION_CSRF)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


def render(request: Request, template: str, person: Person | None, status: int = 200, **context: Any) -> Response:
    return portal_of(request).templates.TemplateResponse(
        request, template, {"person": person, "csrf_token": csrf_token(request), "problems": [],
                            "today": context.pop("today", None), **context},
        status_code=status, headers={"cache-control": "no-store"})


def refused(request: Request, person: Person | None, title: str, message: str, status: int) -> Response:
    """A page that says plainly what was refused and why (403 for a right one does not hold)."""
    return render(request, "refused.html.j2", person, status=status, title=title, message=message)


def outlived(session: dict[str, Any], hours: float, now: float) -> bool:
    """A sign-in lasts ``hours`` from the moment it happened, however busy the session since
    (the cookie itself is renewed on every page, so it alone would never end an active one)."""
    since = session.get(SESSION_SINCE)
    return not isinstance(since, int | float) or now - since > hours * 3600


async def signed_in(request: Request) -> Person | None:
    """The person of this session, if it is still theirs: signed in less than the session's hours
    ago, and they exist, are active and still sign in as the subject they signed in as (an
    administrator's change ends older sessions)."""
    person_id = request.session.get(SESSION_PERSON)
    if not person_id:
        return None
    if outlived(request.session, portal_of(request).settings.session_hours, time.time()):
        request.session.clear()
        return None
    async with portal_of(request).database.pool.acquire() as conn:
        found = await persistence.person(conn, person_id)
    if found is None or not found.active or found.subject != request.session.get(SESSION_SUBJECT):
        request.session.clear()
        return None
    return found


def to_sign_in(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/sign-in?next={quote(target, safe='')}", status_code=303)


def page(handler: PageHandler) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        person = await signed_in(request)
        if person is None:
            return to_sign_in(request)
        return await handler(request, person)

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return endpoint


def form(handler: FormHandler, max_files: int = 0) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        person = await signed_in(request)
        if person is None:
            return to_sign_in(request)
        data = await request.form(max_files=max_files, max_fields=200)
        sent = data.get(CSRF_FIELD)
        expected = request.session.get(SESSION_CSRF)
        if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent, expected):
            log.warning("security_event", kind="form_without_its_token", path=request.url.path,
                        person_id=person.person_id)
            return refused(request, person, "This form has expired",
                           "The form was not sent from this page, or it is too old. Nothing was recorded. "
                           "Go back, reload the page and send it again.", 403)
        return await handler(request, person, data)

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    endpoint.checks_form_token = True  # type: ignore[attr-defined]
    return endpoint


def form_with_a_file(handler: FormHandler) -> Endpoint:
    """``form`` for a page that uploads one file (multipart); the same form token."""
    return form(handler, max_files=1)


def fields(data: FormData) -> dict[str, str]:
    """A form's single-valued text fields."""
    return {k: v for k, v in data.items() if isinstance(v, str)}


def all_values(data: FormData) -> dict[str, list[str]]:
    return {k: [v for v in data.getlist(k) if isinstance(v, str)] for k in data}


def with_problems(request: Request, template: str, person: Person, problems: list[Problem],
                  **context: Any) -> Response:
    """The same form again, every problem listed at the top and by its field, nothing recorded."""
    return render(request, template, person, status=400, problems=problems,
                  problem_for={p.field: p.message for p in problems}, **context)


async def today_of(request: Request) -> date:
    """The governance clock's date (the cycle may run in simulated time); the calendar's before
    the first tick."""
    async with portal_of(request).database.pool.acquire() as conn:
        return await persistence.today(conn) or date.today()
