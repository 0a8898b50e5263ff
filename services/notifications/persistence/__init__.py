"""The notifications database: directory, notices, their items and the delivery log."""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg

from ..domain import CHANNELS, AckClock, Person, notice_id_for
from ..items import NoticeItem, item_from_json, item_to_json
from .asking import asked_about as asked_about
from .asking import on_the_panels_agenda as on_the_panels_agenda
from .asking import reminded_of_deadline as reminded_of_deadline
from .panel import add_agenda_part as add_agenda_part
from .panel import concerns_raised_by as concerns_raised_by
from .panel import known_action as known_action
from .panel import on_published_agenda as on_published_agenda
from .panel import recipient_of as recipient_of
from .panel import remember_action as remember_action
from .panel import remember_concern as remember_concern
from .reads import delivery_log as delivery_log
from .reads import find_notices as find_notices

# ---- directory -------------------------------------------------------------------------


async def upsert_person(conn: asyncpg.Connection, person: Person, updated_at: datetime) -> bool:
    """Newest wins, so a late redelivery of an old directory event does not undo a newer one."""
    status: str = await conn.execute(
        """INSERT INTO people (person_id, name, email, webhook_url, roles, channels, systems, updated_at, delegate_for)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (person_id) DO UPDATE SET
            name = EXCLUDED.name, email = EXCLUDED.email, webhook_url = EXCLUDED.webhook_url, roles = EXCLUDED.roles,
            channels = EXCLUDED.channels, systems = EXCLUDED.systems, updated_at = EXCLUDED.updated_at,
            delegate_for = EXCLUDED.delegate_for
        WHERE people.updated_at <= EXCLUDED.updated_at""",
        person.person_id, person.name, person.email, person.webhook_url, list(person.roles),
        list(person.channels), list(person.systems), updated_at, list(person.delegate_for))
    return status.endswith("1")


def _person(row: asyncpg.Record) -> Person:
    return Person(person_id=row["person_id"], name=row["name"], email=row["email"],
                  webhook_url=row["webhook_url"], roles=tuple(row["roles"]),
                  channels=tuple(c for c in row["channels"] if c in CHANNELS), systems=tuple(row["systems"]),
                  delegate_for=tuple(row["delegate_for"]))


async def get_person(conn: asyncpg.Connection, person_id: str) -> Person | None:
    row = await conn.fetchrow("SELECT * FROM people WHERE person_id = $1", person_id)
    return _person(row) if row else None


async def get_people(conn: asyncpg.Connection, person_ids: list[str]) -> dict[str, Person]:
    rows = await conn.fetch("SELECT * FROM people WHERE person_id = ANY($1::text[])", person_ids)
    return {r["person_id"]: _person(r) for r in rows}


async def people_with_roles(conn: asyncpg.Connection, roles: list[str]) -> list[Person]:
    rows = await conn.fetch("SELECT * FROM people WHERE roles && $1::text[] ORDER BY person_id", roles)
    return [_person(r) for r in rows]


# ---- notices ----------------------------------------------------------------------------


async def add_item(
    conn: asyncpg.Connection, *, kind: str, about: str, step: str, recipient: str, channel: str,
    content: NoticeItem, issued_at: datetime, group_key: str | None = None,
    group_wait: timedelta = timedelta(0), needs_ack: bool = False, reminds: str | None = None,
) -> str | None:
    """Record that ``recipient`` must hear about ``about``/``step`` on ``channel``.

    Returns the notice it joined, or None when this exact item was already recorded: the
    (about, step, recipient, channel) key is what makes a notice happen once. A notice that
    ``needs_ack`` starts waiting for its acknowledgement when it is delivered (``start_ack_clock``).
    """
    if await conn.fetchval(
        "SELECT 1 FROM notice_items WHERE about=$1 AND step=$2 AND recipient=$3 AND channel=$4",
        about, step, recipient, channel,
    ):
        return None
    if group_key is not None:
        notice_id = await conn.fetchval(
            """
            INSERT INTO notices (notice_id, kind, about, recipient, channel, group_key, status, issued_at, flush_at)
            VALUES ($1, $2, $3, $4, $5, $6, 'collecting', $7, $8)
            ON CONFLICT (recipient, channel, group_key) WHERE status = 'collecting'
            DO UPDATE SET flush_at = notices.flush_at
            RETURNING notice_id
            """,
            # named after its first item (a unique key): the same group has the same id on every run
            "g" + notice_id_for(about, step, recipient, f"{channel}:{group_key}")[1:], kind, group_key, recipient,
            channel, group_key, issued_at, issued_at + group_wait,
        )
    else:
        notice_id = notice_id_for(about, step, recipient, channel)
        await conn.execute(
            """INSERT INTO notices (notice_id, kind, about, recipient, channel, status, needs_ack, reminds, issued_at)
            VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8) ON CONFLICT (notice_id) DO NOTHING""",
            notice_id, kind, about, recipient, channel, needs_ack, reminds, issued_at)
    inserted = await conn.execute(
        """INSERT INTO notice_items (about, step, recipient, channel, notice_id, content)
        VALUES ($1, $2, $3, $4, $5, $6::jsonb) ON CONFLICT DO NOTHING""",
        about, step, recipient, channel, notice_id, item_to_json(content))
    return notice_id if inserted == "INSERT 0 1" else None


async def close_acknowledgements(conn: asyncpg.Connection, about: str) -> None:
    """The escalation moved on (climbed, stepped down or resolved): earlier notices about it
    stop reminding and are no longer reported as unanswered."""
    await conn.execute("UPDATE notices SET ack_closed = true WHERE about = $1 AND needs_ack AND NOT ack_closed",
                       about)


async def stop_asking(conn: asyncpg.Connection, action_id: str) -> list[NoticeItem]:
    """The action's leader answered: every notice asking about its escalations stops waiting (no more
    reminders, no silence reported) and reminders not yet sent are not sent. Returns the leader's
    escalation items about the action, latest first (what they were last told, and its date)."""
    abouts = "SELECT about FROM notice_items WHERE content->>'kind' = 'escalation' AND content->>'action_id' = $1"
    await conn.execute(
        f"UPDATE notices SET ack_closed = true WHERE needs_ack AND NOT ack_closed AND about IN ({abouts})", action_id)
    await conn.execute(f"""UPDATE notices SET status = 'withdrawn' WHERE reminds IS NOT NULL AND status = 'pending'
                            AND about IN ({abouts})""", action_id)
    rows = await conn.fetch(
        """SELECT content FROM notice_items WHERE content->>'kind' = 'escalation' AND content->>'action_id' = $1
               AND content->>'role' = 'leader' AND NOT content ? 'reminder_number'
           ORDER BY added_at DESC""", action_id)
    return [item_from_json(r["content"]) for r in rows]


async def answered(conn: asyncpg.Connection, escalation_id: str) -> bool:
    """Whether the leader answered this escalation (a receipt was recorded for it)."""
    sql = "SELECT true FROM notice_items WHERE about = $1 AND step LIKE 'answer:%' LIMIT 1"
    return bool(await conn.fetchval(sql, escalation_id))


async def fold_into(conn: asyncpg.Connection, recipient: str, channel: str, group_key: str, covered: set[str],
                    carrier: str) -> dict[str, datetime]:
    """A person's collecting groups whose every action is covered by a notice they are sent anyway
    (``carrier``, the Panel's agenda) are not sent on their own: each is kept, marked ``folded``, with
    a line in its delivery log naming the notice that carries it. Returns each folded action and when
    it was first told (the agenda says since when it is on it). A group with an action the carrier
    does not cover goes as it would have."""
    rows = await conn.fetch(
        # each item's own day: its step's notice to the leader (not grouped) was issued when it happened
        """SELECT n.notice_id, i.content->>'action_id' AS action_id,
                  coalesce((SELECT min(o.issued_at) FROM notice_items oi JOIN notices o USING (notice_id)
                            WHERE oi.about = i.about AND oi.step = i.step AND o.group_key IS NULL),
                           n.issued_at) AS issued_at
           FROM notices n JOIN notice_items i USING (notice_id)
           WHERE n.recipient = $1 AND n.channel = $2 AND n.group_key = $3
               AND (n.status = 'collecting' OR (n.status = 'pending' AND n.attempts = 0))""",
        recipient, channel, group_key)
    groups: dict[str, list[asyncpg.Record]] = {}
    for r in rows:
        groups.setdefault(r["notice_id"], []).append(r)
    folded: dict[str, datetime] = {}
    for notice_id, items in groups.items():
        if not {r["action_id"] for r in items} <= covered:
            continue
        notice = await conn.fetchrow(  # not one a dispatcher claimed meanwhile: that one is on its way
            """UPDATE notices SET status = 'folded' WHERE notice_id = $1 AND attempts = 0
                   AND status IN ('collecting', 'pending') RETURNING *""", notice_id)
        if notice is None:
            continue
        await log_attempt(conn, notice, "folded", f"carried by notice {carrier}")
        for r in items:
            folded.setdefault(r["action_id"], r["issued_at"])
    return folded


async def fold_notice(conn: asyncpg.Connection, notice_id: str | None, why: str) -> None:
    """A notice recorded but not sent on its own, and why (kept, with its items, as ``folded``)."""
    if notice_id is None:
        return
    notice = await conn.fetchrow(
        "UPDATE notices SET status = 'folded' WHERE notice_id = $1 AND status = 'pending' RETURNING *", notice_id)
    if notice is not None:
        await log_attempt(conn, notice, "folded", why)


async def release_groups(conn: asyncpg.Connection, now: datetime) -> int:
    """Groups whose wait is over (in clock time) become ready to send."""
    status: str = await conn.execute(
        """
        UPDATE notices SET status = CASE WHEN EXISTS (SELECT 1 FROM notice_items i
                                                      WHERE i.notice_id = notices.notice_id)
                                         THEN 'pending' ELSE 'empty' END,
                           next_attempt_at = now()
        WHERE status = 'collecting' AND flush_at <= $1
        """,
        now,
    )
    return int(status.split()[-1])


async def claim_due(conn: asyncpg.Connection, lease: timedelta, limit: int = 20, *,
                    by_day: bool = False) -> list[asyncpg.Record]:
    """Claim notices to send, recording the attempt before anything leaves. ``by_day``: a notice waits
    until the governance clock has left its day, so a person's day is claimed together (one e-mail).
    A claim whose lease ran out without an outcome belongs to an instance that died mid-send;
    it is claimed again and resent with the same notice id, which receivers use to drop the copy.
    """
    rows: list[asyncpg.Record] = await conn.fetch(
        """
        UPDATE notices SET status = 'sending', attempts = attempts + 1, claimed_until = now() + $1::interval
        WHERE notice_id IN (
            SELECT notice_id FROM notices
            WHERE ((status = 'pending' AND next_attempt_at <= now())
                   OR (status = 'sending' AND claimed_until < now()))
              AND (NOT $3 OR issued_at < date_trunc('day', (SELECT now FROM seen_clock), 'UTC'))
            ORDER BY date_trunc('day', issued_at, 'UTC'), recipient, channel, next_attempt_at
            LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING *
        """,
        lease, limit, by_day,
    )
    for row in rows:
        await log_attempt(conn, row, "sending")
    return sorted(rows, key=lambda r: (r["issued_at"], r["recipient"], r["channel"], r["kind"], r["created_at"]))


async def log_attempt(conn: asyncpg.Connection, notice: asyncpg.Record, outcome: str, detail: str = "") -> None:
    await conn.execute(
        "INSERT INTO delivery_log (notice_id, attempt, channel, recipient, outcome, detail)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        notice["notice_id"], notice["attempts"], notice["channel"], notice["recipient"], outcome, detail[:1000],
    )


async def items_of(conn: asyncpg.Connection, notice_id: str) -> list[NoticeItem]:
    rows = await conn.fetch("SELECT content FROM notice_items WHERE notice_id = $1 ORDER BY added_at, step",
                            notice_id)
    return [item_from_json(r["content"]) for r in rows]


async def record_outcome(conn: asyncpg.Connection, notice: asyncpg.Record, status: str,
                         outcome: str, detail: str, retry_in: float | None = None) -> bool:
    """Store the outcome of the attempt ``notice`` was claimed for.

    False when another attempt has since taken over the notice (this one's lease ran out),
    so only one outcome, and one event, is recorded per notice.
    """
    updated = await conn.fetchval(
        """
        UPDATE notices SET status = $3, last_error = CASE WHEN $3 = 'sent' THEN NULL ELSE $4 END,
               sent_at = CASE WHEN $3 = 'sent' THEN now() ELSE sent_at END,
               next_attempt_at = CASE WHEN $5::float8 IS NULL THEN next_attempt_at
                                      ELSE now() + make_interval(secs => $5::float8) END,
               claimed_until = NULL
        WHERE notice_id = $1 AND status = 'sending' AND attempts = $2
        RETURNING 1
        """,
        notice["notice_id"], notice["attempts"], status, detail, retry_in,
    )
    if updated:
        await log_attempt(conn, notice, outcome, detail)
    return bool(updated)


async def start_ack_clock(conn: asyncpg.Connection, notice_id: str, clock: AckClock, by_day: bool = False) -> None:
    """A delivered notice that waits for an acknowledgement: its grace and its reminders count from
    delivery, in clock time (the later of the notice's own time and the last tick seen), so nobody is
    counted as silent for a notice that reached them late. ``by_day``: it left when its day ended, so
    they count from the next day (a tick of lag in sending changes nothing: two runs remind alike)."""
    start = """CASE WHEN $4 THEN greatest(date_trunc('day', issued_at, 'UTC') + interval '1 day',
                                   (SELECT now FROM seen_clock) - interval '1 day')
                    ELSE greatest(issued_at, (SELECT now FROM seen_clock)) END"""
    await conn.execute(f"""UPDATE notices SET ack_due_at = {start} + $2::interval,
                           next_reminder_at = {start} + $3::interval
                           WHERE notice_id = $1 AND needs_ack AND ack_due_at IS NULL""",
                       notice_id, clock.grace, clock.reminder_interval, by_day)


async def move_clock(conn: asyncpg.Connection, now: datetime) -> None:
    """The clock time this service has seen; it never goes back."""
    await conn.execute(
        "INSERT INTO seen_clock (only_row, now) VALUES (true, $1)"
        " ON CONFLICT (only_row) DO UPDATE SET now = greatest(seen_clock.now, EXCLUDED.now)", now)


async def clock_now(conn: asyncpg.Connection) -> datetime | None:
    now: datetime | None = await conn.fetchval("SELECT now FROM seen_clock")
    return now


async def resend(conn: asyncpg.Connection, *, notice_ids: list[str] | None = None,
                 recipient: str | None = None) -> list[asyncpg.Record]:
    """Undeliverable notices (``failed``) made due again, chosen by id or recipient (both None:
    every one). The dispatcher claims them like any other; each keeps its notice id, so its
    Message-ID and idempotency key are the ones it always had."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """
        UPDATE notices SET status = 'pending', next_attempt_at = now(), claimed_until = NULL
        WHERE status = 'failed' AND ($1::text[] IS NULL OR notice_id = ANY($1::text[]))
          AND ($2::text IS NULL OR recipient = $2)
        RETURNING *
        """,
        notice_ids, recipient,
    )
    for row in rows:
        await log_attempt(conn, row, "resend_requested", "an operator asked for it to be sent again")
    return rows


async def delivery_figures(conn: asyncpg.Connection) -> dict[str, float]:
    """What readiness and the metrics show: notices refused for good and waiting for an operator,
    notices being retried after a transient failure and how long the oldest has waited."""
    row = await conn.fetchrow(
        """
        SELECT count(*) FILTER (WHERE status = 'failed') AS undeliverable,
               count(*) FILTER (WHERE status <> 'failed') AS retrying,
               coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE status <> 'failed')), 0)
                   AS oldest_retrying_seconds
        FROM notices
        WHERE status = 'failed' OR (status IN ('pending', 'sending') AND last_error IS NOT NULL)
        """,
    )
    return {k: float(v) for k, v in dict(row).items()}


async def link_facts(conn: asyncpg.Connection, notice_id: str) -> asyncpg.Record | None:
    """What an /ack link's notice is now: when it was issued, whether its escalation moved on (it stopped
    waiting for an answer it never got), and the clock's time."""
    return await conn.fetchrow(
        """SELECT issued_at, (ack_closed AND acknowledged_at IS NULL) AS moved_on,
                  (SELECT now FROM seen_clock) AS clock_now
           FROM notices WHERE notice_id = $1""", notice_id)


async def acknowledge(conn: asyncpg.Connection, notice_id: str, at: datetime) -> asyncpg.Record | None:
    """Acknowledge a notice (a reminder's acknowledgement counts for the notice it reminds of).
    Returns the acknowledged notice when this is news, None when it was already acknowledged."""
    target = await conn.fetchrow("SELECT notice_id, reminds FROM notices WHERE notice_id = $1", notice_id)
    if target is None:
        raise LookupError(notice_id)
    return await conn.fetchrow(
        """
        UPDATE notices SET acknowledged_at = $2, ack_closed = true
        WHERE notice_id = $1 AND acknowledged_at IS NULL RETURNING *
        """,
        target["reminds"] or target["notice_id"], at,
    )


async def reminders_due(conn: asyncpg.Connection, now: datetime, interval: timedelta,
                        most: int = 2) -> list[asyncpg.Record]:
    """Sent, unacknowledged notices whose next reminder time has come (and their grace has not ended),
    reminded fewer than ``most`` times: a person is reminded twice at most about one step, and only
    about the first step of an escalation they were reminded of at all (a later rung's notice is
    itself the renewed ask, with its date; it is not reminded again). Each is moved on to its next
    reminder time in the same statement."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """
        UPDATE notices SET reminders_sent = reminders_sent + 1, next_reminder_at = $1 + $2::interval
        WHERE notice_id IN (
            SELECT notice_id FROM notices
            WHERE needs_ack AND NOT ack_closed AND status = 'sent' AND reminders_sent < $3
              AND next_reminder_at <= $1 AND next_reminder_at < ack_due_at AND ack_due_at > $1
              AND NOT EXISTS (SELECT 1 FROM notices earlier
                              WHERE earlier.about = notices.about AND earlier.recipient = notices.recipient
                                AND earlier.reminds IS NOT NULL AND earlier.reminds <> notices.notice_id)
            FOR UPDATE SKIP LOCKED)
        RETURNING *
        """,
        now, interval, most,
    )
    return rows


async def silence_due(conn: asyncpg.Connection, now: datetime) -> list[asyncpg.Record]:
    """Delivered notices still unacknowledged at the end of their grace (which counts from delivery):
    closed and returned to report, once. A notice never delivered is never among them."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """
        UPDATE notices SET ack_closed = true, unack_reported_at = $1
        WHERE notice_id IN (
            SELECT notice_id FROM notices
            WHERE needs_ack AND NOT ack_closed AND status = 'sent' AND ack_due_at <= $1
            FOR UPDATE SKIP LOCKED)
        RETURNING *
        """,
        now,
    )
    return rows


async def first_step_of(conn: asyncpg.Connection, notice_id: str) -> str:
    sql = "SELECT step FROM notice_items WHERE notice_id = $1 ORDER BY step LIMIT 1"
    return str(await conn.fetchval(sql, notice_id))
