"""How long the portal takes to render its two long pages, and how many database queries each
takes, with 2,000 actions and their histories (not a timed test; nothing asserts a figure).

    .venv/bin/python -m bench.portal_pages [--actions 2000] [--requests 40]

- "your actions" for a senior responsible owner who answers for every one of the actions;
- the Panel's agenda with every action on it, each with three things sent about it (an
  explanation, a recovery plan with two steps, a staff network's concern);
- one action's page, for scale.

The read model is filled through the portal's own persistence functions (as its handlers do),
and the pages are requested in-process through the website's ASGI app (no network), signed in
with a session cookie made with the bench's own secret. Queries are counted by an asyncpg
query logger on every pooled connection. Starts its own PostgreSQL unless POSTGRES_URL is set.
Prints a table and writes bench/results/portal_pages.json.
"""

from __future__ import annotations

import asyncio
import base64
import json
import platform
import statistics
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import httpx
import typer
from itsdangerous import TimestampSigner
from pydantic import SecretStr

from services.portal import persistence
from services.portal.app import MIGRATIONS, SESSION_COOKIE, website
from services.portal.domain import PersonForm, Role
from services.portal.handlers import apply
from services.portal.settings import PortalSettings
from services.portal.web import Portal, make_templates
from shared.contracts import events as ev
from shared.db import Database
from shared.reference import ReferenceData
from tests.infra import create_database, drop_database, postgres_admin_url
from tests.portal_rig import agenda_with, slipped_action
from tests.samples import peoples_answers

RESULTS = Path(__file__).with_name("results") / "portal_pages.json"
SECRET = "bench-only-session-secret-not-used-anywhere-else"
TODAY = date(2026, 2, 20)
SYSTEM = "black-country"


async def fill(conn: asyncpg.Connection, actions: int) -> None:
    """People, ``actions`` slipped actions with three things sent about each, and an agenda of them all."""
    for pid, role in (("p-sro", Role.SRO), ("p-chair", Role.PANEL_CHAIR)):
        await persistence.save_person(conn, PersonForm(pid, pid, pid, None, frozenset({role}), (SYSTEM,), (), True),
                                      by="bench")
    sro = await persistence.person(conn, "p-sro")
    assert sro is not None
    sent = [e for e in peoples_answers() if e.type in ("explanation.given", "recovery_plan.sent", "concern.raised")]
    published = agenda_with("a-0", SYSTEM, "t", TODAY)[1]
    assert isinstance(published, ev.AgendaPublished)
    items = []
    for n in range(actions):
        action_id = f"a-{n}"
        for _, event in slipped_action(action_id, SYSTEM, f"p-lead-{n}", f"Action {n}", TODAY):
            await apply(conn, event)
        for answer in sent:
            await persistence.record_answer(conn, answer.model_copy(update={"subject": action_id,
                                                                            "event_id": uuid.uuid4()}),
                                            action_id, sro, Role.SRO)
        items.append(published.data.items[0].model_copy(update={"action_id": action_id, "title": f"Action {n}"}))
    await persistence.apply_agenda(conn, published.data.model_copy(update={"items": items}), published.occurred_at)
    await persistence.set_today(conn, TODAY)


def session_cookie(person_id: str) -> str:
    """What Starlette's SessionMiddleware would have set after this person signed in."""
    data = base64.b64encode(json.dumps({"person_id": person_id, "subject": person_id, "csrf": "x",
                                        "since": int(time.time())}).encode())
    return TimestampSigner(SECRET).sign(data).decode()


class QueryCounter:
    """An asyncpg query logger: counts every query any pooled connection runs."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, record: Any) -> None:
        self.count += 1


def nearest_rank(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * percent // 100) - 1).__int__()]


async def measure(client: httpx.AsyncClient, path: str, requests: int, counter: QueryCounter) -> dict[str, Any]:
    timings, queries, size = [], [], 0
    for _ in range(requests):
        counter.count = 0
        started = time.perf_counter()
        answer = await client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            raise RuntimeError(f"{path} answered {answer.status_code}")
        queries.append(counter.count)
        size = len(answer.content)
    return {"page": path, "requests": requests, "median_ms": round(statistics.median(timings), 1),
            "p99_ms": round(nearest_rank(timings, 99), 1), "min_ms": round(min(timings), 1),
            "queries_per_request": sorted(set(queries)), "bytes": size}


async def run(admin_url: str, actions: int, requests: int) -> dict[str, Any]:
    url = await create_database(admin_url)
    counter = QueryCounter()

    async def log_queries(conn: asyncpg.Connection) -> None:
        conn.add_query_logger(counter)

    try:
        database = Database(url, [MIGRATIONS], max_size=4, init=log_queries)
        await database.open()
        started = time.perf_counter()
        async with database.transaction() as conn:
            await fill(conn, actions)
        filled = time.perf_counter() - started
        settings = PortalSettings(database_url=url, session_secret=SecretStr(SECRET))
        web = website(Portal(settings=settings, database=database, reference=ReferenceData.load(
            settings.reference_data_path), identity_provider=None, templates=make_templates()))
        figures = []
        for person, path in (("p-sro", "/my-actions"), ("p-chair", "/panel"), ("p-sro", "/actions/a-7")):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://portal",
                                         cookies={SESSION_COOKIE: session_cookie(person)}) as client:
                await measure(client, path, 2, counter)  # warm the templates and the plans
                figures.append(await measure(client, path, requests, counter))
        await database.close()
    finally:
        await drop_database(admin_url, url)
    return {"actions": actions, "answers_per_action": 3, "fill_seconds": round(filled, 1), "pages": figures}


def main(
    actions: Annotated[int, typer.Option(help="actions in the read model, all answered for and on the agenda")] = 2000,
    requests: Annotated[int, typer.Option(help="requests per page")] = 30,
) -> None:
    """Render 'your actions', the Panel's agenda and an action's page; print and save the figures."""
    with postgres_admin_url() as admin_url:
        result = asyncio.run(run(admin_url, actions, requests))
    result["machine"] = {"python": platform.python_version(), "system": f"{platform.system()} {platform.release()}",
                         "cores": __import__("os").cpu_count()}
    result["measured_on"] = time.strftime("%Y-%m-%d")
    print(f"{'page':<16} {'median ms':>10} {'p99 ms':>8} {'queries':>8} {'bytes':>10}")
    for f in result["pages"]:
        print(f"{f['page']:<16} {f['median_ms']:>10} {f['p99_ms']:>8} {','.join(map(str, f['queries_per_request'])):>8}"
              f" {f['bytes']:>10}")
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    typer.run(main)
