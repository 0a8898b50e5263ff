"""The security suite, over HTTP, against the real broker and database: every refusal an outside
tester (or a client beyond its right) meets, each asserting the refusal and that nothing changed.

Who may call what is ``shared/access.py``; the tokens are the tests' (``tests.infra.api_keys``)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from faststream import TestApp

from services.accountability.app import build as build_accountability
from services.accountability.handlers import INPUTS
from services.accountability.settings import AccountabilitySettings
from services.actions.app import build as build_actions
from services.actions.settings import ActionsSettings
from services.notifications.app import build as build_notifications
from services.notifications.domain import ack_signature
from services.notifications.settings import NotificationsSettings
from shared.access import ACTING_ROLE_HEADER, bearer, digest
from shared.contracts.topics import system_inbound
from tests.infra import api_client, api_keys, create_database, drop_database
from tests.integration.test_accountability_service import commit_group, end_offsets
from tests.kafka_tools import eventually, produce
from tests.samples import commitment
from tools.api_keys import PORTAL, REGION, system_client

pytestmark = pytest.mark.integration
WAIT = 60
BC, LI = "black-country", "lincolnshire"
# Every guarded route of the three services, with a harmless query.
ROUTES = {
    "actions": ["/actions", "/action?id=bc-1", "/metrics"],
    "accountability": ["/status", "/status/action?id=bc-1", "/agenda", "/cycles", "/cycle-summary",
                       "/board-report", "/metrics"],
    "notifications": ["/notices", "/deliveries?notice=n-1", "/metrics"],
}


@asynccontextmanager
async def three_services(kafka: str, admin: str) -> AsyncIterator[dict[str, Any]]:
    """actions, accountability and notifications, each on a database of its own."""
    urls = {name: await create_database(admin) for name in ROUTES}
    group = f"acc-sec-{uuid.uuid4().hex[:6]}"  # from the end of its inputs: other tests' events are not ours
    await asyncio.to_thread(commit_group, kafka, group, await end_offsets(kafka, list(INPUTS)))
    apps = {"actions": build_actions(ActionsSettings(kafka_bootstrap_servers=kafka, database_url=urls["actions"])),
            "accountability": build_accountability(AccountabilitySettings(
                kafka_bootstrap_servers=kafka, database_url=urls["accountability"], consumer_group=group)),
            "notifications": build_notifications(NotificationsSettings(
                kafka_bootstrap_servers=kafka, database_url=urls["notifications"],
                webhook_secret="w" * 40, ack_link_secret="a" * 40))}
    try:
        async with TestApp(apps["actions"]), TestApp(apps["accountability"]), TestApp(apps["notifications"]):
            yield {"apps": apps, "urls": urls}
    finally:
        for url in urls.values():
            await drop_database(admin, url)


def outsider(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://outside.test")


async def table_counts(url: str) -> dict[str, int]:
    """Rows per table: what 'nothing changed' is checked against."""
    conn = await asyncpg.connect(url)
    try:
        tables = [r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")]
        return {t: await conn.fetchval(f'SELECT count(*) FROM "{t}"') for t in tables}
    finally:
        await conn.close()


@pytest.fixture
async def stack(kafka: str, topics: list[str], postgres_admin: str) -> AsyncIterator[dict[str, Any]]:
    async with three_services(kafka, postgres_admin) as running:
        yield running


async def test_every_route_refuses_a_caller_without_a_credential_or_with_one_it_does_not_know(stack):
    # (actions and notifications share their consumer groups with other tests, which may leave events behind)
    before = await table_counts(stack["urls"]["accountability"])
    for name, paths in ROUTES.items():
        async with outsider(stack["apps"][name]) as http:
            for path in paths:
                for headers in ({}, bearer("not-a-token"), {"authorization": "Basic dXNlcjpwdw=="}):
                    answer = await http.get(path, headers=headers)
                    assert answer.status_code == 401, (name, path, headers, answer.text)
                    body = answer.json()
                    assert body["error"] in {"no_credential", "unknown_credential"} and body["reason"]
                    assert answer.headers["www-authenticate"].startswith("Bearer")
            # what stays open: the broker's ping, and readiness as a bare yes or no (no figures)
            assert (await http.get("/health")).status_code in (200, 204)
            ready = await http.get("/ready")
            assert set(ready.json()) == {"ready"}
    assert await table_counts(stack["urls"]["accountability"]) == before


async def test_a_systems_credential_reads_only_its_own_actions(stack, kafka):
    ours, theirs = f"bc-{uuid.uuid4().hex[:8]}", f"li-{uuid.uuid4().hex[:8]}"
    await produce(kafka, system_inbound(BC), [commitment(action_id=ours).to_bytes()], key=ours.encode())
    await produce(kafka, system_inbound(LI), [commitment(action_id=theirs, system=LI).to_bytes()], key=theirs.encode())
    actions = stack["apps"]["actions"]
    async with api_client(actions, client=system_client(BC)) as bc, api_client(actions) as region:
        await eventually(lambda: _listed(region, {ours, theirs}), timeout=WAIT)
        before = await table_counts(stack["urls"]["actions"])
        own = (await bc.get("/actions")).json()
        assert {a["system"] for a in own["actions"]} == {BC} and ours in {a["action_id"] for a in own["actions"]}
        assert (await bc.get("/action", params={"id": ours})).status_code == 200
        for path, params in (("/actions", {"system": LI}), ("/action", {"id": theirs})):
            refused = await bc.get(path, params=params)
            assert refused.status_code == 403 and refused.json()["error"] == "not_your_system", refused.text
        assert (await bc.get("/metrics")).status_code == 403
    accountability = stack["apps"]["accountability"]
    async with api_client(accountability, client=system_client(BC)) as bc:
        assert (await bc.get("/status", params={"system": LI})).status_code == 403
        for path in ("/agenda", "/cycle-summary", "/board-report"):  # the Panel's and the Board's
            refused = await bc.get(path)
            assert refused.status_code == 403 and refused.json()["error"] == "not_allowed", (path, refused.text)
    async with api_client(stack["apps"]["notifications"], client=system_client(BC)) as bc:
        assert (await bc.get("/notices")).status_code == 403
    assert await table_counts(stack["urls"]["actions"]) == before


async def _listed(http: httpx.AsyncClient, wanted: set[str]) -> bool:
    found = (await http.get("/actions")).json()["actions"]
    return wanted <= {a["action_id"] for a in found}


async def test_the_panels_and_the_boards_data_go_to_their_roles_and_the_portal_says_whose(stack):
    accountability = stack["apps"]["accountability"]
    async with api_client(accountability, client="panel") as panel, api_client(accountability, client="board") as board:
        assert (await panel.get("/agenda")).status_code in (200, 409)  # 409: no tick yet, not a refusal
        assert (await panel.get("/cycle-summary")).status_code == 403
        assert (await board.get("/cycle-summary")).status_code == 404  # allowed: no cycle has opened
    portal = api_keys().tokens[PORTAL]
    async with outsider(accountability) as http:
        unnamed = await http.get("/board-report", headers=bearer(portal))
        assert unnamed.status_code == 403 and unnamed.json()["error"] == "no_acting_role"
        as_chair = await http.get("/board-report", headers=bearer(portal) | {ACTING_ROLE_HEADER: "panel_chair"})
        assert as_chair.status_code == 403
        as_member = await http.get("/board-report", headers=bearer(portal) | {ACTING_ROLE_HEADER: "board_member"})
        assert as_member.status_code == 404  # through: no cycle to report yet
    async with api_client(stack["apps"]["actions"], client="ops") as ops:
        assert (await ops.get("/metrics")).status_code == 200
        assert (await ops.get("/actions")).status_code == 403
        detail = (await ops.get("/ready")).json()
        assert "checks" in detail or len(detail) > 1


BAD_VALUES = ["bc-a\u00e7\u00e3o-1", "bc\x00x", "BC-1", "bc_1", "-bc", "a" * 101, "\u00e9"]


async def test_a_value_that_is_not_an_id_is_400_with_a_reason_never_500(stack):
    cases = [("actions", "/action", "id"), ("actions", "/actions", "system"), ("accountability", "/status", "system"),
             ("accountability", "/status/action", "id"), ("notifications", "/notices", "recipient")]
    for name, path, param in cases:
        async with api_client(stack["apps"][name]) as http:
            for value in BAD_VALUES:
                answer = await http.get(path, params={param: value})
                assert answer.status_code == 400, (path, value, answer.status_code, answer.text)
                assert answer.json()["error"] in {"bad_identifier", "bad_query_value"} and answer.json()["reason"]
            # any other query value too: a NUL or non-ASCII in a filter that is not an id
            for raw in (b"status=%00", b"action_point=%C3%A7", b"cycle_id=%FF", b"meeting_id=x%0Ay"):
                answer = await http.get(path + "?" + raw.decode())
                assert answer.status_code == 400, (path, raw, answer.status_code, answer.text)


async def test_a_token_is_accepted_with_either_digest_while_it_is_rotated(kafka, topics, postgres_admin):
    old, new = "o" * 43, "n" * 43
    entry = {"name": "board-tool", "roles": ["board"], "token_sha256": [digest(old), digest(new)]}
    url = await create_database(postgres_admin)
    try:
        app = build_accountability(AccountabilitySettings(
            kafka_bootstrap_servers=kafka, database_url=url, consumer_group=f"acc-rot-{uuid.uuid4().hex[:6]}",
            api_clients=[entry]))
        async with TestApp(app), outsider(app) as http:
            for token in (old, new):
                assert (await http.get("/metrics", headers=bearer(token))).status_code == 403  # not ops
                assert (await http.get("/cycle-summary", headers=bearer(token))).status_code == 404
            assert (await http.get("/cycle-summary", headers=bearer("x" * 43))).status_code == 401
    finally:
        await drop_database(postgres_admin, url)


async def test_an_ack_link_is_refused_once_expired_or_once_its_escalation_moved_on(stack):
    url, app = stack["urls"]["notifications"], stack["apps"]["notifications"]
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    rows = {"n-fresh": (now - timedelta(days=1), False), "n-old": (now - timedelta(days=40), False),
            "n-moved": (now - timedelta(days=1), True)}
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("INSERT INTO seen_clock (now) VALUES ($1)", now)
        for notice_id, (issued, closed) in rows.items():
            await conn.execute(
                """INSERT INTO notices (notice_id, kind, about, recipient, channel, status, needs_ack, issued_at,
                                        sent_at, ack_closed) VALUES ($1, 'escalation', 'esc-1', 'p-leader-1', 'email',
                                        'sent', true, $2, $2, $3)""", notice_id, issued, closed)
    finally:
        await conn.close()
    before = await table_counts(url)
    async with outsider(app) as http:
        def link(notice: str, secret: str = "a" * 40) -> dict[str, str]:
            return {"notice": notice, "sig": ack_signature(secret, notice)}

        assert (await http.get("/ack", params=link("n-fresh"))).status_code == 303
        for notice, words in (("n-old", "expired"), ("n-moved", "moved on")):
            refused = await http.get("/ack", params=link(notice))
            assert refused.status_code == 403 and words in refused.text, (notice, refused.text)
        assert (await http.get("/ack", params=link("n-fresh", "forged-key"))).status_code == 403
        assert (await http.get("/ack", params=link("n-unknown"))).status_code == 403
        assert (await http.get("/ack?notice=n-fresh%00&sig=00")).status_code == 400
    assert await table_counts(url) == before


def test_the_tests_api_clients_hold_digests_only():
    listed = json.loads(api_keys().env()["API_CLIENTS"])
    assert listed and all(set(c) == {"name", "roles", "system", "token_sha256"} for c in listed)
    assert not any(token in json.dumps(listed) for token in api_keys().tokens.values())
    assert api_keys().tokens[REGION]
