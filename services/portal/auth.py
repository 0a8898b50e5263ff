"""Sign-in through the identity provider (OpenID Connect, authorization code flow with PKCE)
and sign-out.

authlib's Starlette client does the protocol: it reads the provider's discovery document,
sends the person there with a fresh state, nonce and PKCE challenge (S256), kept in the
session; on the way back it checks the state, swaps the code with its verifier, and checks the
ID token against the provider's published keys (JWKS): signature, issuer, audience, expiry,
nonce. The portal then looks up who that subject is in its own people; a subject it does not
know is not signed in.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import httpx
from authlib.integrations.starlette_client import OAuth, OAuthError
from joserfc.errors import JoseError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from . import persistence
from .settings import PortalSettings
from .web import (
    SESSION_PERSON,
    SESSION_SINCE,
    SESSION_SUBJECT,
    csrf_token,
    form,
    log,
    portal_of,
    refused,
    render,
    signed_in,
)

NEXT = "next"


def identity_provider(settings: PortalSettings) -> Any:
    """The OpenID Connect client of the identity provider named by the settings."""
    oauth = OAuth()
    return oauth.register(
        "identity_provider", client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret.get_secret_value(),
        server_metadata_url=settings.oidc_discovery_url,
        client_kwargs={"scope": "openid", "code_challenge_method": "S256", "timeout": 10},
    )


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute address, a scheme-relative one or a backslash
    trick (an open redirect would let a link send people elsewhere after signing in)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


async def sign_in(request: Request) -> Response:
    """Send the person to the identity provider; they come back to /signed-in."""
    if await signed_in(request) is not None:
        return RedirectResponse(safe_next(request.query_params.get(NEXT)), status_code=303)
    portal = portal_of(request)
    request.session[NEXT] = safe_next(request.query_params.get(NEXT))
    try:
        redirect: Response = await portal.identity_provider.authorize_redirect(
            request, portal.settings.redirect_uri)
    except httpx.HTTPError as exc:
        log.error("identity_provider_unreachable", error=repr(exc))
        return refused(request, None, "Sign-in is not available",
                       "The identity provider could not be reached. Try again in a few minutes.", 503)
    return redirect


async def signed_in_callback(request: Request) -> Response:
    """The identity provider sends the person back here with a code."""
    portal = portal_of(request)
    try:
        token = await portal.identity_provider.authorize_access_token(request)
    except (OAuthError, JoseError, httpx.HTTPError, KeyError, ValueError) as exc:
        log.warning("sign_in_failed", error=type(exc).__name__, detail=str(exc)[:300])
        return refused(request, None, "Sign-in did not complete",
                       "Your sign-in could not be checked, or it took too long. Nothing was changed. "
                       "Start again from the sign-in page.", 400)
    claims = token.get("userinfo") or {}
    subject = str(claims.get("sub") or "")
    async with portal.database.pool.acquire() as conn:
        person = await persistence.person_signing_in_as(conn, subject) if subject else None
    target = safe_next(request.session.get(NEXT))
    request.session.clear()
    if person is None or not person.active:
        log.warning("security_event", kind="unknown_subject_signed_in", known=person is not None)
        return refused(request, None, "You do not have access to this service",
                       "The identity provider signed you in, but the People Board's portal has no active "
                       "record of you. Ask the portal's administrator to add you.", 403)
    request.session.update({SESSION_PERSON: person.person_id, SESSION_SUBJECT: subject, SESSION_SINCE: int(time.time()),
                            "id_token": token.get("id_token", "")})
    csrf_token(request)
    log.info("signed_in", person_id=person.person_id)
    return RedirectResponse(target, status_code=303)


@form
async def sign_out(request: Request, person: Any, data: Any) -> Response:
    """End the session here, then at the identity provider when it offers that."""
    portal = portal_of(request)
    id_token = request.session.get("id_token")
    request.session.clear()
    log.info("signed_out", person_id=person.person_id)
    signed_out_url = f"{portal.settings.public_url.rstrip('/')}/signed-out"
    try:
        metadata = await portal.identity_provider.load_server_metadata()
    except httpx.HTTPError:
        metadata = {}
    if not metadata.get("end_session_endpoint"):
        return RedirectResponse("/signed-out", status_code=303)
    ended: Response = await portal.identity_provider.logout_redirect(
        request, post_logout_redirect_uri=signed_out_url, id_token_hint=id_token)
    request.session.clear()  # logout_redirect kept a state for a callback this portal does not need
    ended.status_code = 303
    return ended


async def signed_out(request: Request) -> Response:
    return render(request, "signed_out.html.j2", None, title="You have signed out")
