"""The portal's browser tests share, per module, a running portal whose read model holds two
slipped actions (one for a Black Country leader, one for a Lincolnshire leader) and a notice,
and one chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext

from shared.reference import ReferenceData
from tests.infra import create_database, drop_database
from tests.kafka_tools import eventually
from tests.portal_rig import (
    LEADER,
    MINE,
    OTHER_LEADER,
    THEIRS,
    TODAY,
    RunningPortal,
    add_people,
    agenda_with,
    chromium,
    clock_at,
    notice_to,
    publish,
    read_model_has,
    running_portal,
    slipped_action,
)
from tools.oidc import OidcServer
from tools.portal_cast import portal_people


@pytest.fixture(scope="module")
async def portal(kafka: str, topics: list[str], postgres_admin: str, oidc: OidcServer,
                 reference: ReferenceData) -> AsyncIterator[RunningPortal]:
    database_url = await create_database(postgres_admin)
    async with running_portal(kafka, database_url, oidc) as running:
        await add_people(database_url, portal_people(list(reference.systems)))
        await publish(kafka, [clock_at(TODAY),
                              *slipped_action(MINE, "black-country", LEADER, "Fair interviews for band 8a+", TODAY),
                              *slipped_action(THEIRS, "lincolnshire", OTHER_LEADER, "Diverse panels", TODAY),
                              notice_to(LEADER, MINE),
                              agenda_with(MINE, "black-country", "Fair interviews for band 8a+", TODAY)])
        await eventually(lambda: read_model_has(database_url, MINE), timeout=60)
        await eventually(lambda: read_model_has(database_url, THEIRS), timeout=60)
        yield running
    await drop_database(postgres_admin, database_url)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as found:
        yield found


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    # axe-core is injected as an inline script, which the portal's content security policy forbids.
    found = await browser.new_context(bypass_csp=True, locale="en-GB")
    yield found
    await found.close()


@pytest.fixture
async def browser_contexts(browser: Browser) -> AsyncIterator[Callable[..., Awaitable[BrowserContext]]]:
    """New browser contexts on demand (one per person signed in, or a phone), closed after the test."""
    made: list[BrowserContext] = []

    async def new(**options: Any) -> BrowserContext:
        made.append(await browser.new_context(bypass_csp=True, locale="en-GB", **options))
        return made[-1]

    yield new
    for context in made:
        await context.close()
