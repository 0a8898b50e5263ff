"""The scripted cycle's people, in the portal: who is who loaded as an administrator's script would
(``services.portal.cli``: saved in the portal and published on the directory), and every human
step taken through the portal's pages over HTTP, signed in through the identity server as that
person (``tools.portal_visitor``). Nothing a person does reaches Kafka any other way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg

from services.portal.cli import save_all
from shared.settings import DEFAULT_REFERENCE_DATA
from tools.portal_cast import CastMember, as_json, portal_people
from tools.portal_visitor import PortalVisitor

WAIT_SECONDS = 60.0


async def until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Poll ``check`` until it holds, for WAIT_SECONDS at most."""
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                if await check():
                    return
                await asyncio.sleep(0.2)
    except TimeoutError:
        raise RuntimeError(f"timed out waiting for {what}") from None


@dataclass
class PortalPeople:
    """The demonstration's people and the portal they use."""

    portal_url: str
    database_url: str
    systems: list[str]
    cast: list[CastMember] = field(init=False)

    def __post_init__(self) -> None:
        self.cast = portal_people(self.systems)

    def member(self, person_id: str) -> CastMember:
        return next(c for c in self.cast if c.person_id == person_id)

    async def load(self) -> None:
        """Everyone, as ``python -m services.portal.cli people load`` saves them; then wait until the
        portal has published them on the directory (where accountability and notifications read them)."""
        problems = await save_all(as_json(self.cast), self.database_url, DEFAULT_REFERENCE_DATA)
        if problems:
            raise RuntimeError("the portal refused the demonstration's people: " + "; ".join(problems))
        await until(self._published, "the portal to publish who is who")

    async def _published(self) -> bool:
        conn = await asyncpg.connect(self.database_url)
        try:
            return bool(await conn.fetchval("SELECT count(*) = 0 FROM outbox WHERE published_at IS NULL"))
        finally:
            await conn.close()

    async def act(self, person_id: str, path: str, fields: dict[str, str]) -> str:
        """Sign in as the person, wait until the portal shows them the form (its read model follows the
        other services' events), send it; where the portal sent them next."""
        async with PortalVisitor.signed_in(self.portal_url, self.member(person_id).username) as visitor:
            await until(lambda: visitor.can_open(path), f"{path} to open for {person_id} in the portal")
            return await visitor.send(path, fields)

    def how_to_sign_in(self, story: dict[str, str]) -> list[str]:
        """The people of the story first (``story``: person id -> their part), then how many more."""
        lines = [f"  {'username':<28} {'who':<34} part in the story"]
        for person_id, part in story.items():
            c = self.member(person_id)
            lines.append(f"  {c.username:<28} {c.name:<34} {part}")
        lines.append(f"  ... and {len(self.cast) - len(story)} more people (every system's leaders, SRO and staff "
                     "network lead), listed on the sign-in page")
        return lines
