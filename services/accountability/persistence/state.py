"""The state the engine keeps, in the caller's connection: the clock, each action and its
verdict, escalations, cycles, reminders and agendas (people's acts are in ``acting``); and the
whole state as rows, for the replay to compare.

Each function takes the caller's connection, so the engine decides what commits together
and which rows are locked (``FOR UPDATE``) in which order. JSONB columns come back as text
(no codec is set) and are parsed here.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any, Literal

import asyncpg

from shared.contracts import events as ev
from shared.contracts.vocabulary import LadderStep, Status

from .. import ladder
from ..cycles import Cycle
from ..domain import Clock

SLIPPING = [s.value for s in Status if s.slipping]


def reasons_json(reasons: list[ev.Reason]) -> str:
    return json.dumps([r.model_dump(mode="json") for r in reasons])


# ---- the clock ----------------------------------------------------------------------------------

async def read_clock(conn: asyncpg.Connection, *, lock: Literal["", "FOR SHARE", "FOR UPDATE"] = "") -> Clock:
    row = await conn.fetchrow(f"SELECT now, today, cycle_id FROM clock WHERE id = 1 {lock}")
    return Clock(row["now"], row["today"], row["cycle_id"])


async def move_clock(conn: asyncpg.Connection, now: datetime, today: date) -> None:
    await conn.execute("UPDATE clock SET now = $1, today = $2 WHERE id = 1", now, today)


async def set_clock_cycle(conn: asyncpg.Connection, cycle_id: str) -> None:
    await conn.execute("UPDATE clock SET cycle_id = $1 WHERE id = 1", cycle_id)


# ---- actions and their verdicts -----------------------------------------------------------------







async def lock_action(conn: asyncpg.Connection, action_id: str) -> bool:
    """Lock the action's row; False when the service has no snapshot of it yet."""
    return await conn.fetchval("SELECT true FROM actions WHERE action_id = $1 FOR UPDATE", action_id) is not None


async def lock_actions(conn: asyncpg.Connection, action_ids: list[str]) -> None:
    """Lock many actions at once, in one fixed order (by id), so a batch or a tick's chunk never
    waits in a circle with another instance's."""
    await conn.execute("SELECT 1 FROM actions WHERE action_id = ANY($1::text[]) ORDER BY action_id FOR UPDATE",
                       action_ids)








async def actions_behind(conn: asyncpg.Connection) -> list[str]:
    """The actions not yet judged on the clock's date."""
    rows = await conn.fetch(
        "SELECT action_id FROM actions WHERE judged_on IS NULL OR judged_on < (SELECT today FROM clock)"
        " ORDER BY action_id")
    return [r["action_id"] for r in rows]




# ---- escalations --------------------------------------------------------------------------------

async def open_escalation(conn: asyncpg.Connection, action_id: str) -> ladder.Escalation | None:
    """The action's open escalation, locked."""
    row = await conn.fetchrow(
        "SELECT * FROM escalations WHERE action_id = $1 AND resolved_on IS NULL FOR UPDATE", action_id)
    if row is None:
        return None
    return ladder.Escalation(
        escalation_id=row["escalation_id"], action_id=row["action_id"], episode=row["episode"],
        step=LadderStep(row["step"]), step_on=row["step_on"], respond_by=row["respond_by"],
        paused_until=row["paused_until"], hurry_by=row["hurry_by"], best_percent=row["best_percent"],
        seq=row["seq"],
    )


async def escalated_action(conn: asyncpg.Connection, escalation_id: str) -> str | None:
    """The action of an escalation that is still open."""
    action_id: str | None = await conn.fetchval(
        "SELECT action_id FROM escalations WHERE escalation_id = $1 AND resolved_on IS NULL", escalation_id)
    return action_id


async def notice_delivered(conn: asyncpg.Connection, notice_id: str, about: str) -> None:
    await conn.execute("INSERT INTO delivered_notices (notice_id, about) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                       notice_id, about)


async def was_delivered(conn: asyncpg.Connection, notice_id: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM delivered_notices WHERE notice_id = $1", notice_id))


async def save_pause(conn: asyncpg.Connection, esc: ladder.Escalation) -> None:
    await conn.execute(
        "UPDATE escalations SET paused_until = $2, hurry_by = $3, best_percent = $4 WHERE escalation_id = $1",
        esc.escalation_id, esc.paused_until, esc.hurry_by, esc.best_percent)


async def next_episode(conn: asyncpg.Connection, action_id: str) -> int:
    episode: int = await conn.fetchval(
        "SELECT coalesce(max(episode), 0) + 1 FROM escalations WHERE action_id = $1", action_id)
    return episode


async def add_escalation(conn: asyncpg.Connection, esc: ladder.Escalation) -> bool:
    """Open an episode (its first event, seq 1); False when it already exists."""
    return bool(await conn.fetchval(
        """INSERT INTO escalations (escalation_id, action_id, episode, step, step_on, respond_by,
                                    best_percent, seq, opened_on)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $5) ON CONFLICT DO NOTHING RETURNING true""",
        esc.escalation_id, esc.action_id, esc.episode, esc.step, esc.step_on, esc.respond_by, esc.best_percent))


async def move_escalation(conn: asyncpg.Connection, escalation_id: str, seq: int, step: LadderStep | None,
                          today: date, respond_by: date | None) -> bool:
    """Take the episode's ``seq``-th step (no step: resolved); False when it was taken already."""
    return bool(await conn.fetchval(
        """UPDATE escalations SET step = $3, step_on = $4, respond_by = $5, paused_until = NULL,
               hurry_by = NULL, seq = $2, resolved_on = CASE WHEN $3::text IS NULL THEN $4::date END
           WHERE escalation_id = $1 AND seq = $2 - 1 RETURNING true""",
        escalation_id, seq, step, today, respond_by))


async def add_escalation_event(conn: asyncpg.Connection, escalation_id: str, seq: int, move: ladder.Move,
                               reasons: list[ev.Reason], clock: Clock, event_id: uuid.UUID) -> bool:
    """Record the episode's ``seq``-th event; False when it is recorded already."""
    return bool(await conn.fetchval(
        """INSERT INTO escalation_events (escalation_id, seq, kind, step, previous_step, on_date, respond_by,
                                          reasons, cycle_id, event_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING RETURNING true""",
        escalation_id, seq, move.kind, move.step, move.previous, clock.today, move.respond_by,
        reasons_json(reasons), clock.cycle_id, event_id))


# ---- the cycle ----------------------------------------------------------------------------------

def _cycle(row: asyncpg.Record) -> Cycle:
    return Cycle(row["cycle_id"], row["opens_on"], row["closes_on"], row["submission_deadline"],
                 row["meeting_on"], row["agenda_on"])






async def cycles_passed(conn: asyncpg.Connection, today: date) -> list[Cycle]:
    """The cycles still open that closed before ``today``, earliest first."""
    rows = await conn.fetch("SELECT * FROM cycles WHERE closed_on IS NULL AND closes_on < $1 ORDER BY opens_on",
                            today)
    return [_cycle(r) for r in rows]


async def add_cycle(conn: asyncpg.Connection, cycle: Cycle, today: date) -> bool:
    """Open ``cycle``; False when it is open (or closed) already."""
    return bool(await conn.fetchval(
        """INSERT INTO cycles (cycle_id, opens_on, submission_deadline, closes_on, meeting_on, agenda_on, opened_on)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING true""",
        cycle.cycle_id, cycle.opens_on, cycle.submission_deadline, cycle.closes_on, cycle.meeting_on,
        cycle.agenda_on, today))


async def open_cycle(conn: asyncpg.Connection, cycle_id: str) -> Cycle | None:
    row = await conn.fetchrow("SELECT * FROM cycles WHERE cycle_id = $1 AND closed_on IS NULL", cycle_id)
    return _cycle(row) if row is not None else None


async def record_final_statuses(conn: asyncpg.Connection, cycle_id: str) -> None:
    await conn.execute(
        """UPDATE action_cycles ac SET final_status = a.status FROM actions a
           WHERE ac.cycle_id = $1 AND a.action_id = ac.action_id""", cycle_id)


async def close_cycle(conn: asyncpg.Connection, cycle_id: str, today: date | None, summary: dict[str, Any]) -> None:
    await conn.execute("UPDATE cycles SET closed_on = $2, summary = $3 WHERE cycle_id = $1",
                       cycle_id, today, json.dumps(summary))


async def owing_updates(conn: asyncpg.Connection, cycle: Cycle) -> list[tuple[str, list[str]]]:
    """Each system with open actions that have no update since ``cycle`` opened (and started by
    its deadline), with those actions' leaders."""
    rows = await conn.fetch(
        """SELECT system, array_agg(DISTINCT accountable_leader ORDER BY accountable_leader) AS leaders
           FROM actions
           WHERE lifecycle = 'open' AND (snapshot->>'start_date')::date <= $2
             AND (snapshot->>'last_update_on' IS NULL OR (snapshot->>'last_update_on')::date < $1)
           GROUP BY system ORDER BY system""", cycle.opens_on, cycle.submission_deadline)
    return [(r["system"], list(r["leaders"])) for r in rows]


async def add_reminder(conn: asyncpg.Connection, cycle_id: str, system: str, days_before: int, today: date,
                       recipients: list[str], event_id: uuid.UUID) -> bool:
    """False when this reminder was sent already."""
    return bool(await conn.fetchval(
        """INSERT INTO reminders (cycle_id, system, days_before, due_on, recipients, event_id)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING true""",
        cycle_id, system, days_before, today, json.dumps(recipients), event_id))


async def agenda_exists(conn: asyncpg.Connection, meeting_id: str) -> bool:
    return bool(await conn.fetchval("SELECT true FROM agendas WHERE meeting_id = $1", meeting_id))


async def add_agenda(conn: asyncpg.Connection, cycle: Cycle, published_on: date, agenda: dict[str, Any],
                     event_id: uuid.UUID) -> bool:
    """False when the meeting's agenda was published already."""
    return bool(await conn.fetchval(
        """INSERT INTO agendas (meeting_id, cycle_id, meets_on, published_on, agenda, event_id)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING true""",
        cycle.meeting_id, cycle.cycle_id, cycle.meeting_on, published_on, json.dumps(agenda, default=str),
        event_id))


# ---- the whole state, for the replay ------------------------------------------------------------

# Every table, with the columns that identify a row.
TABLES: dict[str, tuple[str, ...]] = {
    "clock": ("id",), "actions": ("action_id",), "status_changes": ("action_id", "seq"),
    "responses": ("event_id",), "decisions": ("decision_id",), "escalations": ("escalation_id",),
    "escalation_events": ("escalation_id", "seq"), "cycles": ("cycle_id",),
    "action_cycles": ("action_id", "cycle_id"), "reminders": ("cycle_id", "system", "days_before"),
    "agendas": ("meeting_id",), "outbox": ("event_id",), "processed_events": ("consumer", "event_id"),
    "people": ("person_id",), "requests": ("event_id",), "concerns": ("event_id",),
    "consequences": ("consequence_id",), "security_events": ("event_id",),
    "delivered_notices": ("notice_id",), "good_practice": ("nomination_id",), "plans": ("action_id", "n"),
    "covers": ("cover_id",),
}


async def is_empty(conn: asyncpg.Connection) -> bool:
    """No action, no outbox entry and no tick yet: a database a replay may rebuild into."""
    return not await conn.fetchval("SELECT (SELECT count(*) FROM actions) + (SELECT count(*) FROM outbox)"
                                   " + (SELECT count(*) FROM clock WHERE now IS NOT NULL)")


async def table_rows(conn: asyncpg.Connection, table: str) -> list[dict[str, Any]]:
    if table not in TABLES:
        raise ValueError(f"not a table of the accountability service: {table!r}")
    return [dict(r) for r in await conn.fetch(f"SELECT * FROM {table}")]  # a name from TABLES, never from input


async def history_order(conn: asyncpg.Connection) -> list[tuple[str, str]]:
    """(action id, what happened) for everything that happened to any action, in the order it did."""
    rows = await conn.fetch(
        """SELECT action_id, 'status ' || seq AS what, happened FROM status_changes
           UNION ALL SELECT e.action_id, 'step ' || ee.escalation_id || ' ' || ee.seq, ee.happened
                     FROM escalation_events ee JOIN escalations e USING (escalation_id)
           UNION ALL SELECT action_id, 'response ' || event_id, happened FROM responses
           UNION ALL SELECT action_id, 'decision ' || decision_id, happened FROM decisions
           UNION ALL SELECT action_id, 'request ' || event_id, happened FROM requests
           UNION ALL SELECT action_id, 'concern ' || event_id, happened FROM concerns
           UNION ALL SELECT action_id, 'consequence ' || consequence_id, happened FROM consequences
           ORDER BY happened""")
    return [(r["action_id"], r["what"]) for r in rows]
