"""Judging many actions at once, from facts loaded once: the engine's one way to judge.

A run of input events (those between two clock ticks, in order) is applied so that every action's
events are judged in order, each as it would be judged alone, while the statements do not grow
with the number of actions:

- the progress updates (``action.changed``) go in rounds (``domain.in_rounds``): round k holds the
  k-th update of each action, so an action that goes off track and back within one batch still
  announces both changes, and the state and the events caused do not depend on where batches end;
- each round checks for stale snapshots, saves the snapshots, narratives and plans, and loads what
  the rules need (the actions' rows, plans in force, decisions, responses, consequences, cycles,
  worst statuses, open escalations) in one statement each over all its actions (``persistence.batch``);
- the pure rules (``rules.judge``, ``domain.status_update``, ``domain.climb``) run per action in
  memory; verdicts, status changes and worst statuses are written by one ``unnest`` statement each,
  the events caused by one COPY into the outbox, in the order judging them one by one would queue them;
- the ladder's moves are rare and keep their per-action statements (``climb``).

People's acts, covers and unacknowledged notices are rare: each is applied alone, in its place, after
the updates before it; they judge through the same ``judge_many`` (with one action). Events that do
not touch what judging reads or writes (``NEUTRAL``) are applied where they are met.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import asyncpg
import structlog

from shared.contracts import Event
from shared.contracts import events as ev
from shared.contracts.topics import ACCOUNTABILITY
from shared.outbox import add_many_to_outbox

from . import baselines, cover, domain, ladder, rules
from .domain import Clock, derived_id
from .persistence import acting, batch, plans, state

if TYPE_CHECKING:
    from .engine import Engine

log = structlog.get_logger("accountability")

# Neither read nor written by judging (a delivered notice, who is who): applied where they are met,
# without ending the run of updates being judged together.
NEUTRAL = (ev.NoticeSent, ev.NoticeFailed, ev.NoticeAcknowledged, ev.NoticeAcknowledgementGiven, ev.PersonUpdated)


@dataclass(frozen=True)
class Judgement:
    """One action to judge, and why: the event that caused it, the progress it reported (an update),
    a Panel referral to the Board, or only if not judged on the clock's date yet (a tick)."""

    action_id: str
    cause: Event
    progress: float | None = None
    board_referral: bool = False
    only_if_behind: bool = False
    saved: ev.ActionSnapshot | None = None  # the update's snapshot, just saved: not read back


async def apply_in_order(engine: Engine, events: Sequence[Event]) -> None:
    """A run of input events with no clock tick among them, in order (each claimed by the caller's batch)."""
    changes: list[ev.ActionChanged] = []
    for event in events:
        if isinstance(event, ev.ActionChanged):
            changes.append(event)
        elif isinstance(event, NEUTRAL):
            await engine.handle(event)
        else:  # it may judge an action: the updates before it are judged first
            await _changes(engine, changes)
            changes = []
            await engine.handle(event)
    await _changes(engine, changes)


async def _changes(engine: Engine, events: list[ev.ActionChanged]) -> None:
    if events:
        async with engine.database.transaction() as conn:
            await apply_changes(engine, conn, events, await state.read_clock(conn, lock="FOR SHARE"))


async def apply_changes(engine: Engine, conn: asyncpg.Connection, events: Sequence[ev.ActionChanged],
                        clock: Clock) -> None:
    """Progress updates already claimed (``first_time``), round after round."""
    for round_ in domain.in_rounds(events, key=lambda e: e.data.snapshot.action_id):
        await _round(engine, conn, round_, clock)


async def _round(engine: Engine, conn: asyncpg.Connection, events: list[ev.ActionChanged], clock: Clock) -> None:
    """At most one update per action: keep what is new, then judge those actions."""
    stored = await batch.versions_for_update(conn, [e.data.snapshot.action_id for e in events])
    fresh = []
    for event in events:
        snap = event.data.snapshot
        version = stored.get(snap.action_id)
        if version is not None and version >= snap.version:
            log.info("stale_snapshot_ignored", action_id=snap.action_id, version=snap.version, stored=version)
        else:
            fresh.append(event)
    if not fresh:
        return
    snaps = [e.data.snapshot for e in fresh]
    await batch.save_snapshots(conn, snaps)
    await batch.keep_narratives(conn, snaps, clock.cycle_id, clock.today)
    # The first plan is the baseline; a different one later is a re-baseline request.
    latest = await batch.latest_plans(conn, [s.action_id for s in snaps])
    new = [(e.data.snapshot, kind, e.data.reason) for e in fresh
           if (kind := baselines.what_is_new(latest.get(e.data.snapshot.action_id),
                                             baselines.Plan.of(e.data.snapshot))) is not None]
    await batch.add_plans(conn, new, clock)
    await judge_many(engine, conn, [Judgement(s.action_id, e, progress=s.percent_complete, saved=s)
                                    for s, e in zip(snaps, fresh, strict=True)], clock)


async def judge_many(engine: Engine, conn: asyncpg.Connection, items: Sequence[Judgement], clock: Clock) -> None:
    """Judge distinct actions at the clock's time, announce changed statuses and move the ladder, in
    the caller's transaction, as judging each alone in ``items``' order would."""
    stored = await batch.judged_for_update(conn, [i.action_id for i in items],
                                           {i.action_id: i.saved for i in items if i.saved is not None})
    todo = [i for i in items if i.action_id in stored
            and not (i.only_if_behind and domain.judged_already(stored[i.action_id].judged_on, clock.today))]
    if not todo:
        return  # unknown actions; or, for a tick, another instance (or delivery) judged them already
    ids = [i.action_id for i in todo]
    in_force = await batch.plans_in_force(conn, ids)  # the approved plan is the one judged
    facts = await batch.facts(conn, {a: baselines.in_force(stored[a].snapshot, in_force.get(a)) for a in ids},
                              clock.today, engine.tolerances)
    worst = await batch.worst_statuses(conn, ids, clock.cycle_id) if clock.cycle_id is not None else {}
    escalations = await batch.open_escalations(conn, ids)
    caused: dict[str, list[Event]] = {a: [] for a in ids}
    verdicts: dict[str, rules.Verdict] = {}
    updates, changes, worse = [], [], []
    for item in todo:
        a = item.action_id
        verdict = verdicts[a] = rules.judge(facts[a])
        update = domain.status_update(stored[a], verdict, clock.today)
        if update.change is not None:
            event = engine.event(ev.ActionStatusChanged, derived_id("status", a, str(update.seq)), a, update.change,
                                 item.cause, clock)
            caused[a].append(event)
            changes.append((update.change, update.seq, event.event_id))
        updates.append((a, update))
        if clock.cycle_id is not None and domain.worse_this_cycle(verdict.status, worst.get(a)):
            worse.append((a, verdict.status))
    await batch.add_status_changes(conn, changes, clock)
    await batch.save_verdicts(conn, updates, clock.today)
    if clock.cycle_id is not None:
        await batch.set_worst_statuses(conn, worse, clock.cycle_id)
    for item in todo:
        a = item.action_id
        step = await climb(engine, conn, stored[a].snapshot, verdicts[a], escalations.get(a), clock, item)
        if step is not None:
            caused[a].append(step)
    await add_many_to_outbox(conn, [(ACCOUNTABILITY.name, e) for a in ids for e in caused[a]])


async def climb(engine: Engine, conn: asyncpg.Connection, snap: ev.ActionSnapshot, verdict: rules.Verdict,
                found: ladder.Escalation | None, clock: Clock, item: Judgement) -> Event | None:
    """Make the ladder's move, once: the step's row is taken first, and only the instance (or delivery)
    that took it gets the event to announce (returned, for the caller to queue)."""
    plan = domain.climb(found, verdict.status, clock.today, engine.grace, progress=item.progress,
                        board_referral=item.board_referral)
    esc, move, today = plan.escalation, plan.move, clock.today
    if plan.improved and esc is not None:
        await state.save_pause(conn, esc)
    if move is None or today is None:
        return None
    cycle = await state.open_cycle(conn, clock.cycle_id) if clock.cycle_id else None
    move = domain.panel_date(move, cycle, today)
    if esc is None:
        episode = await state.next_episode(conn, snap.action_id)
        new = ladder.after(None, move, action_id=snap.action_id, episode=episode, today=today,
                           percent=snap.percent_complete)
        assert new is not None
        escalation_id, seq = new.escalation_id, 1
        taken = await state.add_escalation(conn, new)
    else:
        new = ladder.after(esc, move, action_id=snap.action_id, episode=esc.episode, today=today,
                           percent=snap.percent_complete)
        escalation_id, seq = esc.escalation_id, esc.seq + 1
        taken = await state.move_escalation(conn, escalation_id, seq, new.step if new else None, today,
                                            move.respond_by)
    event_id = derived_id("escalation", escalation_id, str(seq))
    if not taken or not await state.add_escalation_event(conn, escalation_id, seq, move, verdict.reasons,
                                                         clock, event_id):
        return None
    covers = cover.covering(await acting.covers_for(conn, snap.accountable_leader), snap.accountable_leader,
                            snap.action_id, today)
    kept = baselines.record(snap, (await plans.history(conn, [snap.action_id]))[snap.action_id], today)
    log.info("escalation_" + move.kind, escalation_id=escalation_id, step=move.step, previous=move.previous)
    return engine.event(domain.MOVE_EVENTS[move.kind], event_id, snap.action_id,
                        domain.escalation_step(snap, escalation_id, move, verdict.reasons, covers=covers,
                                               slip=kept["slip"] if kept else None), item.cause, clock)
