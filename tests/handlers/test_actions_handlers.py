"""The actions handler in FastStream's in-memory broker, on a real PostgreSQL: fast, and no
Kafka. What only the real broker can show (offsets, redelivery, ACLs) is in tests/integration."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.actions.app import build
from services.actions.settings import ActionsSettings
from shared.contracts import events as ev
from shared.contracts.topics import system_inbound
from tests.handlers.memory import IN_MEMORY, in_memory, rows
from tests.handlers.memory import InMemoryBroker as _Broker
from tests.samples import commitment, progress

pytestmark = pytest.mark.handlers


@pytest.fixture
async def actions(database_url: str) -> AsyncIterator[_Broker]:
    async with in_memory(build(ActionsSettings(kafka_bootstrap_servers=IN_MEMORY,
                                               database_url=database_url))) as broker:
        yield broker


async def audit_trail(database_url: str, action_id: str) -> list[tuple[str, str | None]]:
    found = await rows(database_url, "SELECT outcome, code FROM action_events WHERE action_id = $1 ORDER BY seq",
                       action_id)
    return [(r["outcome"], r["code"]) for r in found]


async def post(broker: _Broker, event: ev.Event, system: str = "black-country") -> None:
    await broker.publish(event.to_bytes(), topic=system_inbound(system), key=event.subject.encode())


async def test_a_commitment_and_its_progress_are_kept_in_the_audit_trail(actions: _Broker, database_url: str):
    await post(actions, commitment(action_id="bc-h-1"))
    await post(actions, progress(action_id="bc-h-1", percent=30))
    assert await audit_trail(database_url, "bc-h-1") == [("accepted", None), ("accepted", None)]


async def test_progress_out_of_range_is_refused_with_its_code_and_kept(actions: _Broker, database_url: str):
    await post(actions, commitment(action_id="bc-h-2"))
    await post(actions, progress(action_id="bc-h-2", percent=140))
    assert await audit_trail(database_url, "bc-h-2") == [("accepted", None), ("refused", "percent_out_of_range")]


async def test_the_same_event_delivered_twice_is_applied_once(actions: _Broker, database_url: str):
    made = commitment(action_id="bc-h-3")
    await post(actions, made)
    await post(actions, made)
    assert await audit_trail(database_url, "bc-h-3") == [("accepted", None)]


async def test_an_update_on_another_systems_topic_is_refused_as_a_security_event(
    actions: _Broker, database_url: str,
):
    await post(actions, commitment(action_id="bc-h-4"))
    await post(actions, progress(action_id="bc-h-4", system="black-country"), system="lincolnshire")
    outcomes = await audit_trail(database_url, "bc-h-4")
    assert outcomes[0] == ("accepted", None)
    assert outcomes[1][0] == "refused"
