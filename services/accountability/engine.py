"""Applies each input event to the state and queues the events it causes, in one unit of work.

The engine orchestrates: it opens the transactions, takes the locks in order, loads the
facts (``persistence``), asks the domain (``rules``, ``ladder``, ``cycles``, ``domain``,
``picture``) what follows, stores the answers and queues the events. It decides nothing itself.

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

import uuid
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import structlog

from shared.contracts import ContractError, Event
from shared.contracts import events as ev
from shared.contracts.topics import ACCOUNTABILITY, Groups
from shared.db import Database, already_applied, first_time
from shared.outbox import add_to_outbox
from shared.reference import ReferenceData

from . import domain, judging, ladder, picture, rules
from .acting import PeopleActing
from .cycles import Cycle, cycle_containing, meeting_id, reminder_due
from .domain import Clock, derived_id
from .persistence import reading, state
from .settings import AccountabilitySettings

log = structlog.get_logger("accountability")

CONSUMER = Groups.ACCOUNTABILITY


class Engine:
    def __init__(self, database: Database, settings: AccountabilitySettings, reference: ReferenceData) -> None:
        self.database = database
        self.settings = settings
        self.reference = reference
        self.zone = ZoneInfo(settings.timezone)
        self.tolerances = rules.Tolerances.from_settings(settings)
        self.grace = ladder.Grace.from_settings(settings)
        self.people = PeopleActing(self)

    # ---- input events ------------------------------------------------------------------

    async def handle(self, event: Event) -> None:
        """Apply any input event (the subscriber and the replay both come through here)."""
        match event:
            case ev.ActionChanged():
                await self.action_changed(event)
            case (ev.ExplanationReceived() | ev.RecoveryPlanReceived() | ev.ExplanationGiven() | ev.RecoveryPlanSent()
                  | ev.ExtensionRequested() | ev.FlagContested() | ev.ConcernRaised() | ev.PanelDecisionRecorded()
                  | ev.ConsequenceAgreed() | ev.GoodPracticeNominated() | ev.GoodPracticeReviewed()
                  | ev.AwardEntryUpdated()):
                await self.people.act(event)
            case ev.CoverArranged():
                await self.people.cover_arranged(event)
            case ev.PersonUpdated():
                await self.people.person_updated(event)
            case ev.ClockTicked():
                await self.tick(event)
            case ev.NoticeSent():
                await self.notice_sent(event)
            case ev.NoticeUnacknowledged():
                await self.notice_unacknowledged(event)
            case _:
                pass  # other notices (failed, acknowledged, acknowledgements given) change nothing here

    async def action_changed(self, event: ev.ActionChanged) -> None:
        """One update alone: the batch's path (``judging``) with a batch of one."""
        async with self.database.transaction() as conn:
            clock = await state.read_clock(conn, lock="FOR SHARE")
            if await first_time(conn, CONSUMER, event.event_id):
                await judging.apply_changes(self, conn, [event], clock)

    async def notice_sent(self, event: ev.NoticeSent) -> None:
        async with self.database.transaction() as conn:
            if await first_time(conn, CONSUMER, event.event_id):
                await state.notice_delivered(conn, event.data.notice_id, event.data.about)

    async def notice_unacknowledged(self, event: ev.NoticeUnacknowledged) -> None:
        """Silence hurries the leader's rung, but only about a notice that reached them (its
        ``notice.sent`` comes first: same topic, same key)."""
        async with self.database.transaction() as conn:
            clock = await state.read_clock(conn, lock="FOR SHARE")
            if not await first_time(conn, CONSUMER, event.event_id):
                return
            if not await state.was_delivered(conn, event.data.notice_id):
                log.warning("unacknowledged_notice_never_delivered", notice_id=event.data.notice_id,
                            about=event.data.about)
                return
            action_id = await state.escalated_action(conn, event.data.about)
            if action_id is None or clock.today is None or not await state.lock_action(conn, action_id):
                return
            esc = await state.open_escalation(conn, action_id)
            if esc is not None and esc.escalation_id == event.data.about:
                await state.save_pause(conn, ladder.on_unacknowledged(esc, clock.today, self.grace))
                await self.judge(conn, action_id, clock, event)

    async def tick(self, event: ev.ClockTicked) -> None:
        """Move the clock, within its bounds (a refused tick is dead-lettered and changes nothing), then
        judge what the new date makes due."""
        now = domain.instant(event.data.now)
        async with self.database.transaction() as conn:
            clock = await state.read_clock(conn, lock="FOR UPDATE")
            if await already_applied(conn, CONSUMER, event.event_id):
                # Applied whole before (a batch re-applied one by one after a later event failed, or
                # redelivered): nothing is left to do, and it is not "backwards" for having been overtaken.
                return
            refused = domain.tick_refusal(clock, event.data, now, timedelta(days=self.settings.clock_max_step_days),
                                          timedelta(seconds=self.settings.clock_backwards_tolerance_seconds))
            if refused is not None:
                log.warning("security_event", kind=refused[0], event_id=str(event.event_id))
                raise ContractError(*refused)
            if event.data.moved_on_by is not None and domain.moves_time(clock, now):
                log.warning("clock_moved_on_by_an_operator", by=event.data.moved_on_by, reason=event.data.reason,
                            moved_to=now.isoformat())
            if domain.moves_time(clock, now):
                await state.move_clock(conn, now, now.astimezone(self.zone).date())
            await self._roll_cycles(conn, await state.read_clock(conn), event)
        # The rules work in days: a tick on a day already judged judges nothing. The actions in
        # bounded chunks, each its own transaction, locked in id order: a crash part-way leaves
        # the rest behind the clock, and the redelivered tick judges exactly those.
        async with self.database.pool.acquire() as conn:
            behind = await state.actions_behind(conn)
        size = self.settings.tick_chunk_actions
        for chunk in (behind[i:i + size] for i in range(0, len(behind), size)):
            async with self.database.transaction() as conn:
                clock = await state.read_clock(conn, lock="FOR SHARE")
                await judging.judge_many(self, conn, [judging.Judgement(a, event, only_if_behind=True)
                                                      for a in chunk], clock)
        async with self.database.transaction() as conn:
            clock = await state.read_clock(conn, lock="FOR SHARE")
            await self._remind(conn, clock, event)
            await self._publish_agenda(conn, clock, event)
            # Recorded last, and only as a fact: "this tick has been fully applied". A tick is
            # applied again on redelivery anyway; every step above finds nothing left to do.
            await first_time(conn, CONSUMER, event.event_id)

    # ---- judging -----------------------------------------------------------------------

    async def judge(self, conn: asyncpg.Connection, action_id: str, clock: Clock, cause: Event, *,
                    board_referral: bool = False) -> None:
        """Judge one action at the clock's time, announce a changed status, move the ladder (in the
        caller's transaction; people's acts come through here): ``judging`` with one action."""
        await judging.judge_many(self, conn, [judging.Judgement(action_id, cause, board_referral=board_referral)],
                                 clock)

    # ---- the cycle ---------------------------------------------------------------------

    async def _roll_cycles(self, conn: asyncpg.Connection, clock: Clock, cause: Event) -> None:
        """Close every open cycle the clock has passed; open the one it is in. Idempotent."""
        if clock.today is None:
            return
        current = cycle_containing(clock.today, self.settings)
        for passed in await state.cycles_passed(conn, clock.today):
            await self._close(conn, passed, clock, cause)
        opened = await state.add_cycle(conn, current, clock.today)
        if clock.cycle_id != current.cycle_id:
            await state.set_clock_cycle(conn, current.cycle_id)
        if opened:
            await self._emit(conn, ev.CycleOpened, derived_id("cycle", current.cycle_id, "opened"),
                             current.cycle_id, domain.window(current), cause, clock)
            log.info("cycle_opened", cycle_id=current.cycle_id)

    async def _close(self, conn: asyncpg.Connection, cycle: Cycle, clock: Clock, cause: Event) -> None:
        await state.record_final_statuses(conn, cycle.cycle_id)
        summary = await reading.cycle_summary(conn, cycle.cycle_id, self.reference, final=True)
        await state.close_cycle(conn, cycle.cycle_id, clock.today, summary)
        await self._emit(conn, ev.CycleClosed, derived_id("cycle", cycle.cycle_id, "closed"), cycle.cycle_id,
                         domain.window(cycle), cause, clock)
        log.info("cycle_closed", cycle_id=cycle.cycle_id)

    async def _remind(self, conn: asyncpg.Connection, clock: Clock, cause: Event) -> None:
        """One reminder per system with open actions that have no update in the cycle yet,
        to the leaders of those actions, on each reminder day before the deadline."""
        if clock.cycle_id is None or clock.today is None:
            return
        cycle = await state.open_cycle(conn, clock.cycle_id)
        if cycle is None:
            return
        days = reminder_due(cycle.submission_deadline, clock.today, self.settings.reminder_days_before_deadline)
        if days is None:
            return
        for system, leaders in await state.owing_updates(conn, cycle):
            event_id = derived_id("reminder", cycle.cycle_id, system, str(days))
            if await state.add_reminder(conn, cycle.cycle_id, system, days, clock.today, leaders, event_id):
                reminder = ev.Reminder(cycle_id=cycle.cycle_id, system=system,
                                       submission_deadline=cycle.submission_deadline, recipients=leaders)
                await self._emit(conn, ev.ReminderDue, event_id, cycle.cycle_id, reminder, cause, clock)

    async def _publish_agenda(self, conn: asyncpg.Connection, clock: Clock, cause: Event) -> None:
        """On the agenda day (or the first tick after it, up to the meeting), publish the agenda once."""
        if clock.cycle_id is None or clock.today is None:
            return
        cycle = await state.open_cycle(conn, clock.cycle_id)
        if cycle is None or not domain.agenda_due(cycle, clock.today):
            return
        meeting = meeting_id(cycle.cycle_id)
        if await state.agenda_exists(conn, meeting):
            return
        items = await reading.agenda_items(conn)
        parts = domain.agenda_in_parts(meeting, cycle.meeting_on, self.settings.panel_chair,
                                       [picture.agenda_item(i) for i in items])
        event_id = derived_id("agenda", meeting)
        stored = {"meeting_id": meeting, "meets_on": cycle.meeting_on.isoformat(), "chair": self.settings.panel_chair,
                  "items": items}
        if await state.add_agenda(conn, cycle, clock.today, stored, event_id):
            for part in parts:  # one key (the meeting), so the parts arrive in order
                part_id = event_id if part.part == 1 else derived_id("agenda", meeting, str(part.part))
                await self._emit(conn, ev.AgendaPublished, part_id, meeting, part, cause, clock)
            log.info("agenda_published", meeting_id=meeting, items=len(items), parts=len(parts))

    # ---- output ------------------------------------------------------------------------

    def event(self, cls: type[Event], event_id: uuid.UUID, subject: str, data: Any, cause: Event,
              clock: Clock) -> Event:
        """An event this service announces. It happens at the clock's time (the cause's own time before
        the first tick), so a replay writes the same bytes."""
        return cls.new(source=domain.SOURCE, subject=subject, data=data, cause=cause,
                       occurred_at=clock.now or cause.occurred_at).model_copy(update={"event_id": event_id})

    async def _emit(self, conn: asyncpg.Connection, cls: type[Event], event_id: uuid.UUID, subject: str,
                    data: Any, cause: Event, clock: Clock) -> Event:
        """Queue an event in the outbox, in the caller's transaction."""
        event = self.event(cls, event_id, subject, data, cause, clock)
        await add_to_outbox(conn, ACCOUNTABILITY.name, event)
        return event
