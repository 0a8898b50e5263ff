"""Rebuild every action from the audit trail and compare it with the live state."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from shared.contracts import Event
from shared.contracts.events import ActionSnapshot
from shared.reference import ReferenceData

from . import persistence
from .domain import Change, decide


@dataclass
class Comparison:
    rebuilt: int
    live: int
    differences: dict[str, str] = field(default_factory=dict)

    @property
    def identical(self) -> bool:
        return not self.differences and self.rebuilt == self.live


def replay(events: list[tuple[Event, str]], reference: ReferenceData,
           state: dict[str, ActionSnapshot] | None = None) -> dict[str, ActionSnapshot]:
    """Apply accepted events, in order, by the live service's rules (``domain.decide``) to ``state``."""
    state = {} if state is None else state
    for event, sender in events:
        outcome = decide(state.get(event.subject), event, sender, reference)
        if not isinstance(outcome, Change):
            raise RuntimeError(f"event {event.event_id} was accepted live but is refused on replay: {outcome}")
        state[event.subject] = outcome.snapshot
    return state


async def rebuild_and_compare(conn: asyncpg.Connection, reference: ReferenceData) -> Comparison:
    rebuilt: dict[str, ActionSnapshot] = {}
    async with conn.transaction():
        async for page in persistence.accepted_events(conn):
            replay(page, reference, rebuilt)
    live = await persistence.all_snapshots(conn)
    report = Comparison(rebuilt=len(rebuilt), live=len(live))
    for action_id in sorted(set(rebuilt) | set(live)):
        a, b = rebuilt.get(action_id), live.get(action_id)
        if a != b:
            report.differences[action_id] = f"rebuilt version {a and a.version}, live version {b and b.version}"
    return report
