"""The actions service's tables: current state and the audit trail it is rebuilt from."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
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


async def load_many_for_update(conn: asyncpg.Connection, action_ids: list[str]) -> dict[str, ActionSnapshot]:
    """A batch's actions, locked in one fixed order (by id), so two batches never wait on each other
    in a circle."""
    rows = await conn.fetch("SELECT action_id, snapshot FROM actions WHERE action_id = ANY($1::text[])"
                            " ORDER BY action_id FOR UPDATE", action_ids)
    return {r["action_id"]: ActionSnapshot.model_validate_json(r["snapshot"]) for r in rows}


async def save_many(conn: asyncpg.Connection, snapshots: list[ActionSnapshot]) -> None:
    """Each action's latest snapshot of a batch, in one statement."""
    if not snapshots:
        return
    await conn.execute(
        """INSERT INTO actions (action_id, system, action_point, lifecycle, version, snapshot)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::jsonb[])
           ON CONFLICT (action_id) DO UPDATE SET lifecycle = EXCLUDED.lifecycle, version = EXCLUDED.version,
               snapshot = EXCLUDED.snapshot, updated_at = now()""",
        [s.action_id for s in snapshots], [s.system for s in snapshots], [s.action_point for s in snapshots],
        [s.lifecycle for s in snapshots], [s.version for s in snapshots],
        [s.model_dump_json() for s in snapshots],
    )


async def record_many(conn: asyncpg.Connection, entries: list[tuple[Event, Receipt, Outcome]]) -> None:
    """A batch's audit trail, by COPY, in the order the events were applied."""
    if entries:
        await conn.copy_records_to_table("action_events", columns=AUDIT_COLUMNS,
                                         records=[_audit_row(*entry) for entry in entries])


AUDIT_COLUMNS = ("event_id", "action_id", "sender", "type", "occurred_at", "topic", "kafka_partition",
                 "kafka_offset", "outcome", "code", "reason", "security", "changed", "payload")


def _audit_row(event: Event, receipt: Receipt, outcome: Outcome) -> tuple[Any, ...]:
    if isinstance(outcome, Change):
        verdict, code, reason, security, changed = "accepted", None, None, False, outcome.changed
    else:
        verdict, code, reason, security, changed = "refused", outcome.code, outcome.reason, outcome.security, []
    return (event.event_id, event.subject, receipt.sender, event.type, event.occurred_at, receipt.topic,
            receipt.partition, receipt.offset, verdict, code, reason, security, list(changed),
            event.model_dump_json())


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


async def accepted_events(conn: asyncpg.Connection, page: int = 5000) -> AsyncIterator[list[tuple[Event, str]]]:
    """The audit trail's accepted events in the order they were applied, with their sender, ``page``
    at a time (a cursor, so the trail is never held whole). Call inside a transaction."""
    cursor = await conn.cursor("SELECT sender, payload FROM action_events WHERE outcome = 'accepted' ORDER BY seq")
    while rows := await cursor.fetch(page):
        yield [(parse_event(r["payload"]), r["sender"]) for r in rows]


async def all_snapshots(conn: asyncpg.Connection) -> dict[str, ActionSnapshot]:
    rows = await conn.fetch("SELECT snapshot FROM actions")
    snaps = [ActionSnapshot.model_validate_json(r["snapshot"]) for r in rows]
    return {s.action_id: s for s in snaps}
