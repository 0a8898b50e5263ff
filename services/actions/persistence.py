"""The actions service's tables: current state and the audit trail it is rebuilt from."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import asyncpg

from shared.contracts import Event, parse_event
from shared.contracts.events import ActionSnapshot

from .domain import Change, Outcome


@dataclass(frozen=True)
class Receipt:
    """Where and from whom an event arrived."""

    sender: str
    topic: str
    partition: int | None
    offset: int | None


async def load_for_update(conn: asyncpg.Connection, action_id: str) -> ActionSnapshot | None:
    raw = await conn.fetchval("SELECT snapshot FROM actions WHERE action_id = $1 FOR UPDATE", action_id)
    return ActionSnapshot.model_validate_json(raw) if raw is not None else None


async def save(conn: asyncpg.Connection, snapshot: ActionSnapshot) -> None:
    await conn.execute(
        """INSERT INTO actions (action_id, system, action_point, lifecycle, version, snapshot)
           VALUES ($1, $2, $3, $4, $5, $6::jsonb)
           ON CONFLICT (action_id) DO UPDATE SET lifecycle = EXCLUDED.lifecycle, version = EXCLUDED.version,
               snapshot = EXCLUDED.snapshot, updated_at = now()""",
        snapshot.action_id, snapshot.system, snapshot.action_point, snapshot.lifecycle, snapshot.version,
        snapshot.model_dump_json(),
    )


async def record(conn: asyncpg.Connection, event: Event, receipt: Receipt, outcome: Outcome) -> None:
    if isinstance(outcome, Change):
        verdict, code, reason, security, changed = "accepted", None, None, False, outcome.changed
    else:
        verdict, code, reason, security, changed = "refused", outcome.code, outcome.reason, outcome.security, []
    await conn.execute(
        """INSERT INTO action_events (event_id, action_id, sender, type, occurred_at, topic, kafka_partition,
               kafka_offset, outcome, code, reason, security, changed, payload)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb)""",
        event.event_id, event.subject, receipt.sender, event.type, event.occurred_at, receipt.topic,
        receipt.partition, receipt.offset, verdict, code, reason, security, changed, event.model_dump_json(),
    )


async def list_actions(conn: asyncpg.Connection, system: str | None, action_point: str | None,
                       lifecycle: str | None) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT snapshot FROM actions
           WHERE ($1::text IS NULL OR system = $1) AND ($2::text IS NULL OR action_point = $2)
             AND ($3::text IS NULL OR lifecycle = $3)
           ORDER BY system, action_point, action_id""",
        system, action_point, lifecycle,
    )
    return [json.loads(r["snapshot"]) for r in rows]


async def get_action(conn: asyncpg.Connection, action_id: str) -> dict[str, Any] | None:
    raw = await conn.fetchval("SELECT snapshot FROM actions WHERE action_id = $1", action_id)
    return json.loads(raw) if raw is not None else None


async def history(conn: asyncpg.Connection, action_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT event_id, type, sender, occurred_at, received_at, outcome, code, reason, changed, payload
           FROM action_events WHERE action_id = $1 ORDER BY seq""",
        action_id,
    )
    return [{**dict(r), "payload": json.loads(r["payload"])} for r in rows]


async def accepted_events(conn: asyncpg.Connection) -> list[tuple[Event, str]]:
    """The audit trail's accepted events in the order they were applied, with their sender."""
    rows = await conn.fetch("SELECT sender, payload FROM action_events WHERE outcome = 'accepted' ORDER BY seq")
    return [(parse_event(r["payload"]), r["sender"]) for r in rows]


async def all_snapshots(conn: asyncpg.Connection) -> dict[str, ActionSnapshot]:
    rows = await conn.fetch("SELECT snapshot FROM actions")
    snaps = [ActionSnapshot.model_validate_json(r["snapshot"]) for r in rows]
    return {s.action_id: s for s in snaps}
