"""Applies each input event to the state and queues the events it causes, in one transaction.

Where time comes from: the ``clock`` row, moved only by ``governance.clock`` ticks and
never backwards. Judging never reads the wall clock, so a test (or a replay) can run
months in seconds and get the same answers.

How nothing is told twice:
- every input event is applied once (``first_time``); snapshots older than the stored
  one are ignored;
- every judgement of an action holds the action's row lock (``SELECT ... FOR UPDATE``),
  so two instances judging one action take turns and the second sees the first's step;
- escalation ids are derived (action id + episode) and every step is a row with a unique
  key (escalation, n-th event), inserted with ``ON CONFLICT DO NOTHING``: a step whose row
  already exists is not emitted again;
- emitted events have ids derived from what they announce, so a replay names them the same;
- a tick is safe to apply twice: it judges only the actions not yet judged on its date.

Lock order, everywhere: the clock row (shared; a tick takes it exclusively to move time),
then the action's row, then the action's escalation.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import structlog

from shared.contracts import Event
from shared.contracts import events as ev
from shared.contracts.topics import ACCOUNTABILITY, Groups
from shared.db import first_time
from shared.outbox import add_to_outbox
from shared.reference import ReferenceData

from . import ladder, picture, rules
from .cycles import Cycle, cycle_containing, meeting_id, reminder_due
from .settings import AccountabilitySettings

log = structlog.get_logger("accountability")

CONSUMER = Groups.ACCOUNTABILITY
SOURCE = "accountability"
_IDS = uuid.UUID("6f1c3a52-8d0e-4b8f-9a57-3c1d2e4f5a60")


def derived_id(*parts: str) -> uuid.UUID:
    return uuid.uuid5(_IDS, "/".join(parts))


@dataclass(frozen=True)
class Clock:
    now: datetime | None
    today: date | None
    cycle_id: str | None


async def read_clock(conn: asyncpg.Connection, *, lock: str = "") -> Clock:
    row = await conn.fetchrow(f"SELECT now, today, cycle_id FROM clock WHERE id = 1 {lock}")
    return Clock(row["now"], row["today"], row["cycle_id"])


def _escalation(row: asyncpg.Record | None) -> ladder.Escalation | None:
    if row is None:
        return None
    return ladder.Escalation(
        escalation_id=row["escalation_id"], action_id=row["action_id"], episode=row["episode"],
        step=ev.LadderStep(row["step"]), step_on=row["step_on"], respond_by=row["respond_by"],
        paused_until=row["paused_until"], hurry_by=row["hurry_by"], best_percent=row["best_percent"],
        seq=row["seq"],
    )


class Engine:
    def __init__(self, pool: asyncpg.Pool, settings: AccountabilitySettings, reference: ReferenceData) -> None:
        self.pool = pool
        self.settings = settings
        self.reference = reference
        self.zone = ZoneInfo(settings.timezone)
        self.tolerances = rules.Tolerances.from_settings(settings)
        self.grace = ladder.Grace.from_settings(settings)

    # ---- input events ------------------------------------------------------------------

    async def handle(self, event: Event) -> None:
        """Apply any input event (the subscribers and the replay both come through here)."""
        match event:
            case ev.ActionChanged():
                await self.action_changed(event)
            case ev.ExplanationReceived() | ev.RecoveryPlanReceived():
                await self.response_received(event)
            case ev.PanelDecisionRecorded():
                await self.decision_recorded(event)
            case ev.ClockTicked():
                await self.tick(event)
            case ev.NoticeUnacknowledged():
                await self.notice_unacknowledged(event)
            case _:
                pass  # other notices (sent, failed, acknowledged) change nothing here

    async def action_changed(self, event: ev.ActionChanged) -> None:
        snap = event.data.snapshot
        async with self.pool.acquire() as conn, conn.transaction():
            clock = await read_clock(conn, lock="FOR SHARE")
            if not await first_time(conn, CONSUMER, event.event_id):
                return
            stored = await conn.fetchval("SELECT version FROM actions WHERE action_id = $1 FOR UPDATE",
                                         snap.action_id)
            if stored is not None and stored >= snap.version:
                log.info("stale_snapshot_ignored", action_id=snap.action_id, version=snap.version, stored=stored)
                return
            await conn.execute(
                """INSERT INTO actions (action_id, system, action_point, title, accountable_leader, lifecycle,
                                        version, snapshot)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                   ON CONFLICT (action_id) DO UPDATE SET system = $2, action_point = $3, title = $4,
                       accountable_leader = $5, lifecycle = $6, version = $7, snapshot = $8""",
                snap.action_id, snap.system, snap.action_point, snap.title, snap.accountable_leader,
                snap.lifecycle, snap.version, snap.model_dump_json(),
            )
            await self._judge(conn, snap.action_id, clock, event, progress=snap.percent_complete)

    async def response_received(self, event: ev.ExplanationReceived | ev.RecoveryPlanReceived) -> None:
        kind = "explanation" if isinstance(event, ev.ExplanationReceived) else "recovery_plan"
        r = event.data
        async with self.pool.acquire() as conn, conn.transaction():
            clock = await read_clock(conn, lock="FOR SHARE")
            if not await first_time(conn, CONSUMER, event.event_id):
                return
            await conn.execute(
                """INSERT INTO responses (event_id, action_id, kind, from_person, text, recover_by,
                                          received_on, cycle_id)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
                event.event_id, r.action_id, kind, r.from_person, r.text, r.recover_by, clock.today,
                clock.cycle_id,
            )
            if not await self._lock_action(conn, r.action_id):
                return  # kept: it counts once the action's snapshot arrives
            esc = await self._open_escalation(conn, r.action_id)
            if esc is not None and clock.today is not None:
                await self._save_escalation(conn, ladder.on_response(esc, kind, clock.today, self.grace))
            await self._judge(conn, r.action_id, clock, event)

    async def decision_recorded(self, event: ev.PanelDecisionRecorded) -> None:
        d = event.data
        async with self.pool.acquire() as conn, conn.transaction():
            clock = await read_clock(conn, lock="FOR SHARE")
            if not await first_time(conn, CONSUMER, event.event_id):
                return
            added = await conn.fetchval(
                """INSERT INTO decisions (decision_id, event_id, meeting_id, action_id, kind, note, due_date,
                                          recorded_on, cycle_id)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                   ON CONFLICT (decision_id) DO NOTHING RETURNING decision_id""",
                d.decision_id, event.event_id, d.meeting_id, d.action_id, d.kind, d.note, d.due_date,
                clock.today, clock.cycle_id,
            )
            if added is None:
                log.info("decision_already_recorded", decision_id=d.decision_id)
                return
            if await self._lock_action(conn, d.action_id):
                await self._judge(conn, d.action_id, clock, event, board_referral=d.kind == "referred_to_board")

    async def notice_unacknowledged(self, event: ev.NoticeUnacknowledged) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            clock = await read_clock(conn, lock="FOR SHARE")
            if not await first_time(conn, CONSUMER, event.event_id):
                return
            action_id = await conn.fetchval(
                "SELECT action_id FROM escalations WHERE escalation_id = $1 AND resolved_on IS NULL",
                event.data.about)
            if action_id is None or clock.today is None or not await self._lock_action(conn, action_id):
                return
            esc = await self._open_escalation(conn, action_id)
            if esc is not None and esc.escalation_id == event.data.about:
                await self._save_escalation(conn, ladder.on_unacknowledged(esc, clock.today, self.grace))
                await self._judge(conn, action_id, clock, event)

    async def tick(self, event: ev.ClockTicked) -> None:
        now = event.data.now if event.data.now.tzinfo else event.data.now.replace(tzinfo=UTC)
        async with self.pool.acquire() as conn:
            async with conn.transaction():
                before = await read_clock(conn, lock="FOR UPDATE")
                if before.now is None or now > before.now:
                    await conn.execute("UPDATE clock SET now = $1, today = $2 WHERE id = 1",
                                       now, now.astimezone(self.zone).date())
                await self._roll_cycles(conn, await read_clock(conn), event)
            # The rules work in days: a tick on a day already judged judges nothing. Each action
            # in its own short transaction: a crash part-way leaves the rest behind the clock,
            # and the redelivered tick judges exactly those.
            behind = await conn.fetch(
                "SELECT action_id FROM actions WHERE judged_on IS NULL OR judged_on < (SELECT today FROM clock)"
                " ORDER BY action_id")
            for row in behind:
                async with conn.transaction():
                    clock = await read_clock(conn, lock="FOR SHARE")
                    await self._judge(conn, row["action_id"], clock, event, only_if_behind=True)
            async with conn.transaction():
                clock = await read_clock(conn, lock="FOR SHARE")
                await self._remind(conn, clock, event)
                await self._publish_agenda(conn, clock, event)
                # Recorded last, and only as a fact: "this tick has been fully applied". A tick is
                # applied again on redelivery anyway; every step above finds nothing left to do.
                await first_time(conn, CONSUMER, event.event_id)

    # ---- judging -----------------------------------------------------------------------

    async def _lock_action(self, conn: asyncpg.Connection, action_id: str) -> bool:
        return await conn.fetchval("SELECT true FROM actions WHERE action_id = $1 FOR UPDATE", action_id) is not None

    async def _open_escalation(self, conn: asyncpg.Connection, action_id: str) -> ladder.Escalation | None:
        return _escalation(await conn.fetchrow(
            "SELECT * FROM escalations WHERE action_id = $1 AND resolved_on IS NULL FOR UPDATE", action_id))

    async def _save_escalation(self, conn: asyncpg.Connection, esc: ladder.Escalation) -> None:
        await conn.execute(
            "UPDATE escalations SET paused_until = $2, hurry_by = $3, best_percent = $4 WHERE escalation_id = $1",
            esc.escalation_id, esc.paused_until, esc.hurry_by, esc.best_percent)

    async def facts(self, conn: asyncpg.Connection, snap: ev.ActionSnapshot, clock: Clock) -> rules.Facts:
        # The cycle whose submission deadline passed last (else the current one): an action that
        # missed last cycle's deadline stays missing its update until one arrives.
        row = await conn.fetchrow(
            """SELECT cycle_id, opens_on, submission_deadline FROM cycles WHERE opens_on <= $1
               ORDER BY submission_deadline < $1 DESC, opens_on DESC LIMIT 1""", clock.today)
        cycle = rules.CycleFacts(row["cycle_id"], row["opens_on"], row["submission_deadline"]) if row else None
        decisions = await conn.fetch(
            "SELECT decision_id, meeting_id, kind, due_date, recorded_on FROM decisions WHERE action_id = $1"
            " ORDER BY decision_id", snap.action_id)
        responses = await conn.fetch("SELECT kind, received_on FROM responses WHERE action_id = $1",
                                     snap.action_id)
        previous = await conn.fetch(
            """SELECT c.cycle_id, coalesce(ac.worst_status IN ('at_risk', 'off_track'), false) AS slipped
               FROM cycles c LEFT JOIN action_cycles ac ON ac.cycle_id = c.cycle_id AND ac.action_id = $1
               WHERE c.closed_on IS NOT NULL ORDER BY c.opens_on DESC LIMIT 24""", snap.action_id)
        return rules.Facts(
            action=snap, today=clock.today, cycle=cycle,
            decisions=tuple(rules.DecisionFacts(**dict(d)) for d in decisions),
            responses=tuple(rules.ResponseFacts(**dict(r)) for r in responses),
            previous_cycles=tuple((p["cycle_id"], p["slipped"]) for p in previous),
            tolerances=self.tolerances,
        )

    async def _judge(self, conn: asyncpg.Connection, action_id: str, clock: Clock, cause: Event, *,
                     progress: float | None = None, board_referral: bool = False,
                     only_if_behind: bool = False) -> None:
        """Judge one action at the clock's time, announce a changed status, move the ladder."""
        row = await conn.fetchrow("SELECT * FROM actions WHERE action_id = $1 FOR UPDATE", action_id)
        if row is None:
            return
        if only_if_behind and row["judged_on"] is not None and clock.today is not None \
                and row["judged_on"] >= clock.today:
            return  # another instance (or an earlier delivery of this tick) already did
        snap = ev.ActionSnapshot.model_validate_json(row["snapshot"])
        verdict = rules.judge(await self.facts(conn, snap, clock))
        status, seq, since = row["status"], row["status_seq"], row["status_since"]
        if status != verdict.status or json.loads(row["signature"]) != verdict.signature:
            seq += 1
            since = clock.today if status != verdict.status else since
            change = ev.StatusChange(action_id=action_id, system=snap.system, action_point=snap.action_point,
                                     status=verdict.status, previous=status, reasons=verdict.reasons)
            event = await self._emit(conn, ev.ActionStatusChanged, derived_id("status", action_id, str(seq)),
                                     action_id, change, cause, clock)
            await conn.execute(
                "INSERT INTO status_changes (action_id, seq, status, previous, reasons, on_date, cycle_id, event_id)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                action_id, seq, verdict.status, status, _reasons_json(verdict.reasons), clock.today,
                clock.cycle_id, event.event_id)
        await conn.execute(
            """UPDATE actions SET status = $2, reasons = $3, signature = $4, status_seq = $5, status_since = $6,
                   judged_on = $7 WHERE action_id = $1""",
            action_id, verdict.status, _reasons_json(verdict.reasons), json.dumps(verdict.signature), seq, since,
            clock.today)
        if clock.cycle_id is not None:
            await self._track_cycle(conn, action_id, clock.cycle_id, verdict.status)
        await self._climb(conn, snap, verdict, clock, cause, progress, board_referral)

    async def _track_cycle(self, conn: asyncpg.Connection, action_id: str, cycle_id: str, status: ev.Status) -> None:
        worst = await conn.fetchval(
            "SELECT worst_status FROM action_cycles WHERE action_id = $1 AND cycle_id = $2", action_id, cycle_id)
        if worst is None or rules.SEVERITY[status] > rules.SEVERITY[ev.Status(worst)]:
            await conn.execute(
                "INSERT INTO action_cycles (action_id, cycle_id, worst_status) VALUES ($1, $2, $3)"
                " ON CONFLICT (action_id, cycle_id) DO UPDATE SET worst_status = $3", action_id, cycle_id, status)

    async def _climb(self, conn: asyncpg.Connection, snap: ev.ActionSnapshot, verdict: rules.Verdict,
                     clock: Clock, cause: Event, progress: float | None, board_referral: bool) -> None:
        esc = await self._open_escalation(conn, snap.action_id)
        today = clock.today
        if esc is not None and progress is not None and today is not None:
            improved = ladder.on_progress(esc, progress, today, self.grace)
            if improved != esc:
                await self._save_escalation(conn, improved)
                esc = improved
        move = None
        if board_referral:
            move = ladder.refer_to_board(esc, verdict.status, today, self.grace)
        move = move or ladder.decide(esc, verdict.status, today, self.grace)
        if move is None:
            return
        assert today is not None
        if esc is None:
            episode = await conn.fetchval(
                "SELECT coalesce(max(episode), 0) + 1 FROM escalations WHERE action_id = $1", snap.action_id)
            new = ladder.after(None, move, action_id=snap.action_id, episode=episode, today=today,
                               percent=snap.percent_complete)
            assert new is not None
            taken = await conn.fetchval(
                """INSERT INTO escalations (escalation_id, action_id, episode, step, step_on, respond_by,
                                            best_percent, seq, opened_on)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $5) ON CONFLICT DO NOTHING RETURNING true""",
                new.escalation_id, snap.action_id, episode, new.step, today, new.respond_by, new.best_percent)
            escalation_id, seq = new.escalation_id, 1
        else:
            new = ladder.after(esc, move, action_id=snap.action_id, episode=esc.episode, today=today,
                               percent=snap.percent_complete)
            seq = esc.seq + 1
            taken = await conn.fetchval(
                """UPDATE escalations SET step = $3, step_on = $4, respond_by = $5, paused_until = NULL,
                       hurry_by = NULL, seq = $2, resolved_on = CASE WHEN $3::text IS NULL THEN $4::date END
                   WHERE escalation_id = $1 AND seq = $2 - 1 RETURNING true""",
                esc.escalation_id, seq, new.step if new else None, today, move.respond_by)
            escalation_id = esc.escalation_id
        if not taken:
            return
        event_id = derived_id("escalation", escalation_id, str(seq))
        taken = await conn.fetchval(
            """INSERT INTO escalation_events (escalation_id, seq, kind, step, previous_step, on_date, respond_by,
                                              reasons, cycle_id, event_id)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING RETURNING true""",
            escalation_id, seq, move.kind, move.step, move.previous, today, move.respond_by,
            _reasons_json(verdict.reasons), clock.cycle_id, event_id)
        if not taken:
            return
        kind = {"raised": ev.EscalationRaised, "stepped": ev.EscalationStepped,
                "resolved": ev.EscalationResolved}[move.kind]
        step = ev.EscalationStep(
            escalation_id=escalation_id, action_id=snap.action_id, system=snap.system, action_title=snap.title,
            step=move.step, previous_step=move.previous, reasons=verdict.reasons,
            recipients=[snap.accountable_leader], respond_by=move.respond_by)
        await self._emit(conn, kind, event_id, snap.action_id, step, cause, clock)
        log.info("escalation_" + move.kind, escalation_id=escalation_id, step=move.step, previous=move.previous)

    # ---- the cycle ---------------------------------------------------------------------

    async def _roll_cycles(self, conn: asyncpg.Connection, clock: Clock, cause: Event) -> None:
        """Close every open cycle the clock has passed; open the one it is in. Idempotent."""
        if clock.today is None:
            return
        current = cycle_containing(clock.today, self.settings)
        for row in await conn.fetch("SELECT * FROM cycles WHERE closed_on IS NULL AND closes_on < $1"
                                    " ORDER BY opens_on", clock.today):
            await self._close(conn, row, clock, cause)
        opened = await conn.fetchval(
            """INSERT INTO cycles (cycle_id, opens_on, submission_deadline, closes_on, meeting_on, agenda_on,
                                   opened_on)
               VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING true""",
            current.cycle_id, current.opens_on, current.submission_deadline, current.closes_on,
            current.meeting_on, current.agenda_on, clock.today)
        if clock.cycle_id != current.cycle_id:
            await conn.execute("UPDATE clock SET cycle_id = $1 WHERE id = 1", current.cycle_id)
        if opened:
            await self._emit(conn, ev.CycleOpened, derived_id("cycle", current.cycle_id, "opened"),
                             current.cycle_id, _window(current), cause, clock)
            log.info("cycle_opened", cycle_id=current.cycle_id)

    async def _close(self, conn: asyncpg.Connection, row: asyncpg.Record, clock: Clock, cause: Event) -> None:
        cycle_id = row["cycle_id"]
        await conn.execute(
            """UPDATE action_cycles ac SET final_status = a.status FROM actions a
               WHERE ac.cycle_id = $1 AND a.action_id = ac.action_id""", cycle_id)
        summary = await picture.cycle_summary(conn, cycle_id, self.reference, final=True)
        await conn.execute("UPDATE cycles SET closed_on = $2, summary = $3 WHERE cycle_id = $1",
                           cycle_id, clock.today, json.dumps(summary))
        window = ev.CycleWindow(cycle_id=cycle_id, opens_on=row["opens_on"],
                                submission_deadline=row["submission_deadline"], closes_on=row["closes_on"])
        await self._emit(conn, ev.CycleClosed, derived_id("cycle", cycle_id, "closed"), cycle_id, window,
                         cause, clock)
        log.info("cycle_closed", cycle_id=cycle_id)

    async def _current_cycle(self, conn: asyncpg.Connection, clock: Clock) -> asyncpg.Record | None:
        if clock.cycle_id is None or clock.today is None:
            return None
        return await conn.fetchrow("SELECT * FROM cycles WHERE cycle_id = $1 AND closed_on IS NULL", clock.cycle_id)

    async def _remind(self, conn: asyncpg.Connection, clock: Clock, cause: Event) -> None:
        """One reminder per system with open actions that have no update in the cycle yet,
        to the leaders of those actions, on each reminder day before the deadline."""
        cycle = await self._current_cycle(conn, clock)
        if cycle is None:
            return
        days = reminder_due(cycle["submission_deadline"], clock.today, self.settings.reminder_days_before_deadline)
        if days is None:
            return
        owing = await conn.fetch(
            """SELECT system, array_agg(DISTINCT accountable_leader ORDER BY accountable_leader) AS leaders
               FROM actions
               WHERE lifecycle = 'open' AND (snapshot->>'start_date')::date <= $2
                 AND (snapshot->>'last_update_on' IS NULL OR (snapshot->>'last_update_on')::date < $1)
               GROUP BY system ORDER BY system""", cycle["opens_on"], cycle["submission_deadline"])
        for row in owing:
            event_id = derived_id("reminder", cycle["cycle_id"], row["system"], str(days))
            added = await conn.fetchval(
                """INSERT INTO reminders (cycle_id, system, days_before, due_on, recipients, event_id)
                   VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING true""",
                cycle["cycle_id"], row["system"], days, clock.today, json.dumps(row["leaders"]), event_id)
            if added:
                reminder = ev.Reminder(cycle_id=cycle["cycle_id"], system=row["system"],
                                       submission_deadline=cycle["submission_deadline"], recipients=row["leaders"])
                await self._emit(conn, ev.ReminderDue, event_id, cycle["cycle_id"], reminder, cause, clock)

    async def _publish_agenda(self, conn: asyncpg.Connection, clock: Clock, cause: Event) -> None:
        """On the agenda day (or the first tick after it, up to the meeting), publish the agenda once."""
        cycle = await self._current_cycle(conn, clock)
        if cycle is None or not cycle["agenda_on"] <= clock.today <= cycle["meeting_on"]:
            return
        meeting = meeting_id(cycle["cycle_id"])
        if await conn.fetchval("SELECT true FROM agendas WHERE meeting_id = $1", meeting):
            return
        items = await picture.agenda_items(conn)
        agenda = ev.Agenda(meeting_id=meeting, meets_on=cycle["meeting_on"], chair=self.settings.panel_chair,
                           items=[picture.agenda_item(i) for i in items])
        event_id = derived_id("agenda", meeting)
        added = await conn.fetchval(
            """INSERT INTO agendas (meeting_id, cycle_id, meets_on, published_on, agenda, event_id)
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING true""",
            meeting, cycle["cycle_id"], cycle["meeting_on"], clock.today,
            json.dumps({"meeting_id": meeting, "meets_on": cycle["meeting_on"].isoformat(),
                        "chair": self.settings.panel_chair, "items": items}, default=str), event_id)
        if added:
            await self._emit(conn, ev.AgendaPublished, event_id, meeting, agenda, cause, clock)
            log.info("agenda_published", meeting_id=meeting, items=len(items))

    # ---- output ------------------------------------------------------------------------

    async def _emit(self, conn: asyncpg.Connection, cls: type[Event], event_id: uuid.UUID, subject: str,
                    data: Any, cause: Event, clock: Clock) -> Event:
        """Queue an event in the outbox, in the caller's transaction. It happens at the clock's
        time (the cause's own time before the first tick), so a replay writes the same bytes."""
        event = cls.new(source=SOURCE, subject=subject, data=data, cause=cause,
                        occurred_at=clock.now or cause.occurred_at).model_copy(update={"event_id": event_id})
        await add_to_outbox(conn, ACCOUNTABILITY.name, event)
        return event


def _reasons_json(reasons: list[ev.Reason]) -> str:
    return json.dumps([r.model_dump(mode="json") for r in reasons])


def _window(c: Cycle) -> ev.CycleWindow:
    return ev.CycleWindow(cycle_id=c.cycle_id, opens_on=c.opens_on, submission_deadline=c.submission_deadline,
                          closes_on=c.closes_on)
