"""The portal's tables: who is who, the read model built from events, what people sent and
the notices sent to them. Every query of the service is here."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from shared.contracts import Event
from shared.contracts import events as ev
from shared.contracts.vocabulary import VERIFICATION_KINDS

from .domain import ActionFacts, Person, PersonForm, Role

# ---- people -----------------------------------------------------------------------------

_PERSON = "person_id, subject, name, email, roles, systems, delegate_for, active"


def _person(row: asyncpg.Record) -> Person:
    known = {r.value for r in Role}
    return Person(person_id=row["person_id"], name=row["name"], subject=row["subject"], email=row["email"],
                  roles=frozenset(Role(r) for r in row["roles"] if r in known), systems=tuple(row["systems"]),
                  delegate_for=tuple(row["delegate_for"]), active=row["active"])


async def person_signing_in_as(conn: asyncpg.Connection, subject: str) -> Person | None:
    row = await conn.fetchrow(f"SELECT {_PERSON} FROM people WHERE subject = $1", subject)
    return _person(row) if row else None


async def person(conn: asyncpg.Connection, person_id: str) -> Person | None:
    row = await conn.fetchrow(f"SELECT {_PERSON} FROM people WHERE person_id = $1", person_id)
    return _person(row) if row else None


async def everyone(conn: asyncpg.Connection) -> list[Person]:
    return [_person(r) for r in await conn.fetch(f"SELECT {_PERSON} FROM people ORDER BY name, person_id")]


async def person_ids(conn: asyncpg.Connection) -> list[str]:
    return [r["person_id"] for r in await conn.fetch("SELECT person_id FROM people")]


async def subject_taken_by(conn: asyncpg.Connection, subject: str, other_than: str) -> str | None:
    """Who else signs in as ``subject`` (a subject names one person)."""
    found: str | None = await conn.fetchval(
        "SELECT person_id FROM people WHERE subject = $1 AND person_id <> $2", subject, other_than)
    return found


async def save_person(conn: asyncpg.Connection, form: PersonForm, by: str) -> Person:
    row = await conn.fetchrow(
        f"""INSERT INTO people (person_id, subject, name, email, roles, systems, delegate_for, active, updated_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (person_id) DO UPDATE SET subject = EXCLUDED.subject, name = EXCLUDED.name,
               email = EXCLUDED.email, roles = EXCLUDED.roles, systems = EXCLUDED.systems,
               delegate_for = EXCLUDED.delegate_for, active = EXCLUDED.active, updated_by = EXCLUDED.updated_by,
               updated_at = now()
           RETURNING {_PERSON}""",
        form.person_id, form.subject, form.name, form.email, sorted(r.value for r in form.roles),
        list(form.systems), list(form.delegate_for), form.active, by)
    return _person(row)


# ---- the read model ---------------------------------------------------------------------

async def apply_action_changed(conn: asyncpg.Connection, snapshot: ev.ActionSnapshot) -> None:
    """The actions service's latest description of an action (an older version changes nothing)."""
    await conn.execute(
        """INSERT INTO actions (action_id, system, action_point, title, accountable_leader, due_date, lifecycle,
                                version, snapshot)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)
           ON CONFLICT (action_id) DO UPDATE SET system = EXCLUDED.system, action_point = EXCLUDED.action_point,
               title = EXCLUDED.title, accountable_leader = EXCLUDED.accountable_leader,
               due_date = EXCLUDED.due_date, lifecycle = EXCLUDED.lifecycle, version = EXCLUDED.version,
               snapshot = EXCLUDED.snapshot
           WHERE actions.version < EXCLUDED.version""",
        snapshot.action_id, snapshot.system, snapshot.action_point, snapshot.title, snapshot.accountable_leader,
        snapshot.due_date, snapshot.lifecycle, snapshot.version, snapshot.model_dump_json())


async def apply_status(conn: asyncpg.Connection, change: ev.StatusChange, at: datetime) -> None:
    reasons = json.dumps([r.model_dump(mode="json") for r in change.reasons])
    await conn.execute(
        """INSERT INTO actions (action_id, system, action_point, status, status_since, reasons)
           VALUES ($1, $2, $3, $4, $5, $6::jsonb)
           ON CONFLICT (action_id) DO UPDATE SET status = EXCLUDED.status, status_since = EXCLUDED.status_since,
               reasons = EXCLUDED.reasons""",
        change.action_id, change.system, change.action_point, change.status.value, at, reasons)


async def apply_escalation(conn: asyncpg.Connection, step: ev.EscalationStep, resolved: bool) -> None:
    """The ladder step an action stands on, and the date its leader is asked to answer by."""
    where = (None, None, None) if resolved else (step.escalation_id, step.step, step.respond_by)
    await conn.execute(
        """INSERT INTO actions (action_id, system, title, escalation_id, step, respond_by)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (action_id) DO UPDATE SET escalation_id = EXCLUDED.escalation_id, step = EXCLUDED.step,
               respond_by = EXCLUDED.respond_by, title = COALESCE(actions.title, EXCLUDED.title)""",
        step.action_id, step.system, step.action_title, *where)


async def set_today(conn: asyncpg.Connection, today: date) -> None:
    await conn.execute(
        """INSERT INTO clock (today) VALUES ($1)
           ON CONFLICT (only_row) DO UPDATE SET today = GREATEST(clock.today, EXCLUDED.today)""", today)


async def today(conn: asyncpg.Connection) -> date | None:
    found: date | None = await conn.fetchval("SELECT today FROM clock")
    return found


_ACTION = """action_id, system, action_point, title, accountable_leader, due_date, lifecycle, snapshot, status,
             status_since, reasons, escalation_id, step, respond_by"""


def _action(row: asyncpg.Record) -> dict[str, Any]:
    found = dict(row)
    found["snapshot"] = json.loads(row["snapshot"]) if row["snapshot"] else None
    found["reasons"] = json.loads(row["reasons"])
    return found


async def actions_answered_by(conn: asyncpg.Connection, who: Person) -> list[dict[str, Any]]:
    """Every action ``who`` answers for (as its leader, a delegate, or its system's SRO), in one query."""
    delegate_for = list(who.delegate_for) if Role.DELEGATE in who.roles else []
    sro_systems = list(who.systems) if Role.SRO in who.roles else []
    rows = await conn.fetch(
        f"""SELECT {_ACTION} FROM actions
            WHERE title IS NOT NULL AND accountable_leader IS NOT NULL
              AND (accountable_leader = $1 OR accountable_leader = ANY($2::text[]) OR system = ANY($3::text[]))
            ORDER BY CASE status WHEN 'off_track' THEN 0 WHEN 'at_risk' THEN 1 ELSE 2 END, respond_by NULLS LAST,
                     action_id""",
        who.person_id, delegate_for, sro_systems)
    return [_action(r) for r in rows]


async def action(conn: asyncpg.Connection, action_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(f"SELECT {_ACTION} FROM actions WHERE action_id = $1", action_id)
    return _action(row) if row else None


def facts(found: dict[str, Any]) -> ActionFacts:
    return ActionFacts(found["action_id"], found["system"] or "", found["accountable_leader"] or "")


# ---- what people sent --------------------------------------------------------------------

async def record_answer(conn: asyncpg.Connection, event: Event, action_id: str, who: Person, role: Role) -> None:
    await conn.execute(
        "INSERT INTO answers (answer_id, action_id, type, person_id, role, payload) VALUES ($1, $2, $3, $4, $5, $6)",
        event.event_id, action_id, event.type, who.person_id, role.value, event.data.model_dump_json())


async def answers_about(conn: asyncpg.Connection, action_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT a.answer_id, a.type, a.person_id, p.name AS person_name, a.role, a.payload, a.sent_at
           FROM answers a LEFT JOIN people p USING (person_id) WHERE a.action_id = $1 ORDER BY a.sent_at DESC""",
        action_id)
    return [{**dict(r), "payload": json.loads(r["payload"])} for r in rows]


# ---- notices ------------------------------------------------------------------------------

async def apply_notice_sent(conn: asyncpg.Connection, outcome: ev.NoticeOutcome, at: datetime) -> None:
    await conn.execute(
        """INSERT INTO notices (notice_id, recipient, channel, about, sent_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (notice_id) DO NOTHING""",
        outcome.notice_id, outcome.recipient, outcome.channel, outcome.about, at)


async def apply_notice_acknowledged(conn: asyncpg.Connection, outcome: ev.NoticeOutcome, at: datetime) -> None:
    await conn.execute(
        "UPDATE notices SET acknowledged_at = COALESCE(acknowledged_at, $2) WHERE notice_id = $1",
        outcome.notice_id, at)


async def notices_to(conn: asyncpg.Connection, person_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT n.notice_id, n.about, n.channel, n.sent_at, n.acknowledged_at, a.action_id, a.title
           FROM notices n LEFT JOIN actions a ON a.escalation_id = n.about
           WHERE n.recipient = $1 ORDER BY n.sent_at DESC LIMIT 200""", person_id)
    return [dict(r) for r in rows]


async def notice(conn: asyncpg.Connection, notice_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        """SELECT n.notice_id, n.recipient, n.about, n.channel, n.sent_at, n.acknowledged_at, n.acknowledged_by,
                  a.action_id, a.title, (SELECT today FROM clock) AS today,
                  EXISTS (SELECT 1 FROM notices later WHERE later.about = n.about AND later.recipient = n.recipient
                          AND later.sent_at > n.sent_at) AS moved_on
           FROM notices n LEFT JOIN actions a ON a.escalation_id = n.about WHERE n.notice_id = $1""", notice_id)
    return dict(row) if row else None


async def acknowledge(conn: asyncpg.Connection, notice_id: str, who: str, at: datetime) -> bool:
    """Mark the notice acknowledged by ``who``; False when it already was."""
    status: str = await conn.execute(
        """UPDATE notices SET acknowledged_at = $3, acknowledged_by = $2
           WHERE notice_id = $1 AND acknowledged_at IS NULL""", notice_id, who, at)
    return status == "UPDATE 1"


# ---- the Panel's agenda, staff networks and the Board ---------------------------------------

async def apply_agenda(conn: asyncpg.Connection, agenda: ev.Agenda, at: datetime) -> None:
    """One part of a meeting's agenda: the first part starts it afresh, each later one adds its items
    (the parts share the meeting's key, so they arrive in order)."""
    await conn.execute(
        """INSERT INTO agendas (meeting_id, meets_on, chair, items, published_at) VALUES ($1, $2, $3, $4::jsonb, $5)
           ON CONFLICT (meeting_id) DO UPDATE SET meets_on = EXCLUDED.meets_on, chair = EXCLUDED.chair,
               items = CASE WHEN $6 = 1 THEN EXCLUDED.items ELSE agendas.items || EXCLUDED.items END,
               published_at = CASE WHEN $6 = 1 THEN EXCLUDED.published_at ELSE agendas.published_at END""",
        agenda.meeting_id, agenda.meets_on, agenda.chair,
        json.dumps([i.model_dump(mode="json") for i in agenda.items]), at, agenda.part)


async def next_agenda(conn: asyncpg.Connection, today: date) -> dict[str, Any] | None:
    """The agenda of the Panel's next meeting (today's counts), else the latest published."""
    row = await conn.fetchrow(
        """SELECT meeting_id, meets_on, chair, items, published_at FROM agendas
           ORDER BY (meets_on >= $1) DESC, CASE WHEN meets_on >= $1 THEN meets_on END ASC, meets_on DESC
           LIMIT 1""", today)
    return {**dict(row), "items": json.loads(row["items"])} if row else None


async def actions_named(conn: asyncpg.Connection, action_ids: list[str]) -> dict[str, dict[str, Any]]:
    rows = await conn.fetch(f"SELECT {_ACTION} FROM actions WHERE action_id = ANY($1::text[])", action_ids)
    return {r["action_id"]: _action(r) for r in rows}


async def answers_about_each(conn: asyncpg.Connection, action_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """What was sent about each of ``action_ids``, latest first, in one query."""
    rows = await conn.fetch(
        """SELECT a.answer_id, a.action_id, a.type, a.person_id, p.name AS person_name, a.role, a.payload, a.sent_at
           FROM answers a LEFT JOIN people p USING (person_id)
           WHERE a.action_id = ANY($1::text[]) ORDER BY a.sent_at DESC""", action_ids)
    found: dict[str, list[dict[str, Any]]] = {a: [] for a in action_ids}
    for r in rows:
        found[r["action_id"]].append({**dict(r), "payload": json.loads(r["payload"])})
    return found


async def decisions_on(conn: asyncpg.Connection, meeting_id: str, action_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT payload FROM answers WHERE type = 'panel.decision_recorded' AND action_id = $2
               AND payload->>'meeting_id' = $1 ORDER BY sent_at""", meeting_id, action_id)
    return [json.loads(r["payload"]) for r in rows]


async def actions_of_systems(conn: asyncpg.Connection, systems: list[str]) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""SELECT {_ACTION} FROM actions WHERE system = ANY($1::text[]) AND title IS NOT NULL
            ORDER BY CASE status WHEN 'off_track' THEN 0 WHEN 'at_risk' THEN 1 ELSE 2 END, action_id""", systems)
    return [_action(r) for r in rows]


async def referred_to_the_board(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    """Actions on the ladder's top rung, or that a Panel decision referred to the Board."""
    rows = await conn.fetch(
        f"""SELECT {_ACTION} FROM actions
            WHERE title IS NOT NULL AND (step = 'people_board' OR action_id IN (
                SELECT action_id FROM answers WHERE type = 'panel.decision_recorded'
                    AND payload->>'kind' = 'referred_to_board'))
            ORDER BY action_id""")
    return [_action(r) for r in rows]


# ---- the Panel's checks and leaders' cover, as the portal sent them ------------------------------

async def verifications_of(conn: asyncpg.Connection, action_id: str) -> list[dict[str, Any]]:
    """The Panel's verification decisions on the action sent from here, earliest first."""
    rows = await conn.fetch(
        """SELECT payload FROM answers WHERE type = 'panel.decision_recorded' AND action_id = $1
               AND payload->>'kind' = ANY($2::text[]) ORDER BY sent_at""", action_id, list(VERIFICATION_KINDS))
    return [json.loads(r["payload"]) for r in rows]


async def covers_named_by(conn: asyncpg.Connection, leader: str) -> list[dict[str, Any]]:
    """Every cover the leader named from here, with the name of the person covering."""
    rows = await conn.fetch(
        """SELECT a.payload, p.name FROM answers a LEFT JOIN people p ON p.person_id = a.payload->>'cover'
           WHERE a.type = 'cover.arranged' AND a.payload->>'leader' = $1 ORDER BY a.sent_at""", leader)
    return [{**json.loads(r["payload"]), "cover_name": r["name"]} for r in rows]


# ---- uploads for bulk import ------------------------------------------------------------

async def save_upload(conn: asyncpg.Connection, upload_id: str, who: Person, system: str, file_name: str,
                      content: bytes) -> None:
    await conn.execute("INSERT INTO uploads (upload_id, person_id, system, file_name, content) "
                       "VALUES ($1, $2, $3, $4, $5)", upload_id, who.person_id, system, file_name, content)


async def upload(conn: asyncpg.Connection, upload_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT upload_id, person_id, system, file_name, content, posted_at, posted "
                              "FROM uploads WHERE upload_id = $1 FOR UPDATE", upload_id)
    return dict(row) if row else None


async def mark_upload_posted(conn: asyncpg.Connection, upload_id: str, posted: int) -> None:
    await conn.execute("UPDATE uploads SET posted_at = now(), posted = $2 WHERE upload_id = $1", upload_id, posted)


async def actions_as_they_stand(conn: asyncpg.Connection, action_ids: list[str]
                                ) -> dict[str, tuple[ev.ActionSnapshot | None, set[UUID]]]:
    """For a bulk import's check: each action as the read model last heard of it (None: not known)
    and the events the portal already queued for it to a system's inbound topic."""
    found: dict[str, tuple[ev.ActionSnapshot | None, set[UUID]]] = {a: (None, set()) for a in action_ids}
    for row in await conn.fetch("SELECT action_id, snapshot::text FROM actions WHERE action_id = ANY($1::text[]) "
                                "AND snapshot IS NOT NULL", action_ids):
        found[row["action_id"]] = (ev.ActionSnapshot.model_validate_json(row["snapshot"]), set())
    for row in await conn.fetch("SELECT key, event_id FROM outbox WHERE key = ANY($1::text[]) "
                                "AND topic LIKE 'actions.inbound.%'", action_ids):
        found[row["key"]][1].add(row["event_id"])
    return found
