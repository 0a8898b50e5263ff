"""Who may call a service's HTTP routes: every route but ``/health`` and the published AsyncAPI
document is guarded, once, here.

People reach the data through the portal, which signs them in with OpenID Connect; systems,
tools and the portal itself call the services' APIs with a **machine credential**: a random
bearer token per client, of which each service keeps only the SHA-256 digest (``API_CLIENTS``).
Why tokens and not OAuth2 client credentials: the development identity server hands a token
to any client that asks, so it cannot be what keeps outsiders out; digests need no identity
server on the path of every read, a client is revoked by deleting its digest, and a token is
rotated by listing the new digest beside the old one until the client has switched. The tokens
are 256 random bits, so a fast digest is enough (there is nothing to guess from a dictionary).

Roles (``ApiRole``): a ``system`` reads only its own actions and statuses; the Panel's data
(the agenda) goes to ``panel``, the Board's (the cycle's picture and report) to ``board``;
``ops`` reads the figures (``/metrics``, ``/ready`` in full) and the notices' delivery log; the
``portal`` acts for a signed-in person and says in which of that person's roles
(``X-Acting-Role``; the portal has checked the person holds it).

A refusal is 401 (no or an unknown credential) or 403 (a known one without the right), with a
short reason, and a ``security_event`` log line naming the route and the client, never a token.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs

import structlog
from faststream.asgi import AsgiResponse
from faststream.asgi.handlers import GetHandler
from faststream.asgi.types import Receive, Scope, Send
from pydantic import BaseModel, Field

from .contracts.vocabulary import ID_MAX_LENGTH, ID_PATTERN

log = structlog.get_logger("security")

ACTING_ROLE_HEADER = "x-acting-role"
IDENTIFIER = re.compile(ID_PATTERN)
QUERY_VALUE_MAX = 200
# printable ASCII: a NUL, a control character or anything beyond ASCII is no filter of ours
PRINTABLE = re.compile(r"^[\x20-\x7e]*$")


class ApiRole(StrEnum):
    SYSTEM = "system"
    PANEL = "panel"
    BOARD = "board"
    OPS = "ops"
    PORTAL = "portal"
    PERSON = "person"  # anyone signed in to the portal: what is published to every person (good practice)


# The portal passes a person's role in the directory's words; what it opens here.
ACTING_ROLES: dict[str, ApiRole] = {
    "panel_chair": ApiRole.PANEL, "panel_member": ApiRole.PANEL,
    "board_member": ApiRole.BOARD, "board_secretary": ApiRole.BOARD,
    "leader": ApiRole.PERSON, "sro": ApiRole.PERSON, "delegate": ApiRole.PERSON,
    "staff_network_lead": ApiRole.PERSON, "system_reporter": ApiRole.PERSON, "administrator": ApiRole.PERSON,
    "panel_secretary": ApiRole.PERSON,
}


class ApiClient(BaseModel):
    """One client of the APIs, as a service's ``API_CLIENTS`` lists it (a JSON list of these)."""

    name: str = Field(pattern=ID_PATTERN, max_length=100, description="who, in the security log")
    roles: frozenset[ApiRole] = Field(min_length=1)
    system: str | None = Field(None, pattern=ID_PATTERN, max_length=100,
                               description="the one system a 'system' client reads")
    token_sha256: list[str] = Field(min_length=1, description="hex SHA-256 of each token accepted: two while "
                                    "a token is being rotated, one otherwise")


@dataclass(frozen=True)
class Principal:
    """The caller of a route, as its credential says."""

    name: str
    roles: frozenset[ApiRole]
    system: str | None = None
    acting_role: str | None = None

    def may_read_system(self, system: str | None) -> bool:
        """Everything but a system reads every system; a system only its own."""
        return ApiRole.SYSTEM not in self.roles or (system is not None and system == self.system)


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    reason: str


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_client(name: str, roles: Iterable[ApiRole], system: str | None = None) -> tuple[str, ApiClient]:
    """A fresh token and the entry a service lists for it (the token itself is kept by the client only)."""
    token = secrets.token_urlsafe(32)
    return token, ApiClient(name=name, roles=frozenset(roles), system=system, token_sha256=[digest(token)])


def bearer(token: str) -> dict[str, str]:
    """The header a client sends."""
    return {"authorization": f"Bearer {token}"}


def bearer_from_environment(variable: str = "API_TOKEN") -> dict[str, str]:
    """A command-line tool's header, from its environment (never from its arguments, which other
    users of the machine can read); none when the variable is not set."""
    token = os.environ.get(variable, "").strip()
    return bearer(token) if token else {}


@dataclass
class Access:
    """The clients a service knows, by token digest."""

    clients: list[ApiClient] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_digest = {d.lower(): c for c in self.clients for d in c.token_sha256}

    def principal(self, headers: dict[str, str]) -> Principal | Refusal:
        """Who the request's credential names, or why it names no one."""
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return Refusal(401, "no_credential", "this route needs a bearer token (Authorization: Bearer ...)")
        presented = digest(token.strip())
        client = next((c for d, c in self._by_digest.items() if hmac.compare_digest(d, presented)), None)
        if client is None:
            return Refusal(401, "unknown_credential", "the bearer token is not one this service accepts")
        if ApiRole.PORTAL not in client.roles:
            return Principal(client.name, client.roles, client.system)
        acting = headers.get(ACTING_ROLE_HEADER, "")
        if acting not in ACTING_ROLES:
            return Refusal(403, "no_acting_role", "the portal must say in which role its person acts (X-Acting-Role)")
        return Principal(client.name, frozenset({ACTING_ROLES[acting]}), None, acting)

    def decide(self, headers: dict[str, str], allowed: frozenset[ApiRole]) -> Principal | Refusal:
        found = self.principal(headers)
        if isinstance(found, Principal) and not found.roles & allowed:
            return Refusal(403, "not_allowed", "this credential does not give the right to this route")
        return found


def refusal_response(refusal: Refusal) -> AsgiResponse:
    headers = {"content-type": "application/json", "cache-control": "no-store"}
    if refusal.status == 401:
        headers["www-authenticate"] = 'Bearer realm="midlands-governance"'
    body = json.dumps({"error": refusal.code, "reason": refusal.reason}).encode()
    return AsgiResponse(body, refusal.status, headers=headers)


def refuse(path: str, refusal: Refusal, principal: str | None = None) -> AsgiResponse:
    """The answer to a refused request, and its line in the security log (no token, no query)."""
    log.warning("security_event", kind=refusal.code, route=path, status=refusal.status, client=principal)
    return refusal_response(refusal)


def headers_of(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def query_of(scope: Scope) -> dict[str, list[str]]:
    """The query's parameters as FastStream's request gives them (each byte one character)."""
    # decoded before parsing: parse_qs of bytes refuses a raw byte beyond ASCII with an exception (a 500)
    raw = scope.get("query_string", b"").decode("latin-1")
    return parse_qs(raw, keep_blank_values=True, encoding="latin-1")


def query_problem(params: Mapping[str, list[str]], ids: Iterable[str]) -> Refusal | None:
    """Why a query is not one any route takes: a value that is not short printable ASCII (a NUL, a
    control character, anything beyond ASCII), or a parameter named in ``ids`` that is not an
    identifier. None when it is fine."""
    for name, values in params.items():
        for value in values:
            if not PRINTABLE.match(name) or not PRINTABLE.match(value) or len(value) > QUERY_VALUE_MAX:
                return Refusal(400, "bad_query_value", f"query values are printable ASCII of at most "
                               f"{QUERY_VALUE_MAX} characters; {name[:40]!r} is not")
            if name in ids and value and (len(value) > ID_MAX_LENGTH or not IDENTIFIER.match(value)):
                return Refusal(400, "bad_identifier", f"{name} must be an id: lower-case letters, digits and "
                               f"hyphens, at most {ID_MAX_LENGTH} characters")
    return None


class GuardedGet(GetHandler):
    """A GET route that runs only for a credential holding one of ``allowed``; the handler takes the
    caller as ``principal: Annotated[Principal, Context()]``. The service's ``Access`` is the
    app's ``access`` context value."""

    def __init__(self, func: Any, allowed: Iterable[ApiRole] | None, ids: Iterable[str] = ()) -> None:
        super().__init__(func)
        self.allowed = frozenset(allowed) if allowed is not None else None
        self.ids = frozenset(ids)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found: Principal | Refusal | None = None
        if self.allowed is not None:
            access: Access = self.fd_config.context.get("access") or Access()
            found = access.decide(headers_of(scope), self.allowed)
            if isinstance(found, Refusal):
                await refuse(scope.get("path", ""), found)(scope, receive, send)
                return
        bad = query_problem(query_of(scope), self.ids)
        if bad is not None:
            await refusal_response(bad)(scope, receive, send)
            return
        with self.fd_config.context.scope("principal", found):
            await super().__call__(scope, receive, send)


def open_route(func: Any, ids: Iterable[str] = ()) -> GuardedGet:
    """``func`` as a GET route anyone may call (a signed link), its query checked as every route's is."""
    return GuardedGet(func, None, ids)


def guarded(func: Any, *allowed: ApiRole, ids: Iterable[str] = ()) -> GuardedGet:
    """``func`` as a GET route for the roles ``allowed``; the query parameters named in ``ids`` must be
    identifiers (every other value must still be short printable ASCII)."""
    return GuardedGet(func, allowed, ids)


def forbidden(path: str, principal: Principal, reason: str) -> AsgiResponse:
    """A route's own refusal once it has seen what is asked (another system's action)."""
    return refuse(path, Refusal(403, "not_your_system", reason), principal.name)
