"""People acting on an action: answers (an explanation, a recovery plan, a request for more time,
a contest of the flag), the Panel's decisions, staff networks' concerns and the People Board's
consequences; and the directory they are checked against.

Every act is checked first (``rights``, against this service's own state, never the sender's
word): an act without the right is refused with its reason, kept as a security event (a row in
``security_events`` and a ``security_event`` log line) and changes nothing else. An accepted
answer pauses the ladder's climb as an explanation or a recovery plan always has; a decision or
a consequence is kept and its date tracked; a concern is kept and shown on the agenda.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import asyncpg
import structlog

from shared.contracts import events as ev
from shared.contracts.topics import Groups
from shared.db import first_time

from . import cover, ladder, practice_rules, rights
from .baselines import REBASELINE_KINDS
from .domain import Clock
from .persistence import acting, plans, practice, state

if TYPE_CHECKING:
    from .engine import Engine

log = structlog.get_logger("accountability")
CONSUMER = Groups.ACCOUNTABILITY


class PeopleActing:
    """The engine's part for people: it uses the engine's database, grace periods and judgement."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def person_updated(self, event: ev.PersonUpdated) -> None:
        """Who is who: roles, systems and delegates, from the directory (no contact details kept)."""
        async with self.engine.database.transaction() as conn:
            if await first_time(conn, CONSUMER, event.event_id):
                await acting.save_person(conn, rights.Person.from_event(event.data), event.occurred_at)

    async def cover_arranged(self, event: ev.CoverArranged) -> None:
        """A leader naming a delegate or cover: kept (it ends by itself), or refused and recorded why."""
        c = event.data
        async with self.engine.database.transaction() as conn:
            clock = await state.read_clock(conn, lock="FOR SHARE")
            if not await first_time(conn, CONSUMER, event.event_id):
                return
            wrong = cover.refusal(c)
            if wrong is None and c.action_id is not None:
                action = await acting.action_for_rights(conn, c.action_id, clock.today)
                wrong = (f"{c.leader} is not the accountable leader of {c.action_id}"
                         if action is None or action.accountable_leader != c.leader else None)
            if wrong is not None:
                act = rights.Act("cover", c.action_id or "", c.acting_person, c.acting_role)
                await acting.add_security_event(conn, event.event_id, event.type, act,
                                                rights.Refusal("cannot_cover", wrong), clock)
                log.warning("security_event", kind="cannot_cover", reason=wrong, person_id=c.acting_person)
                return
            await acting.add_cover(conn, event.event_id, c, clock)
            log.info("cover_arranged", leader=c.leader, cover=c.cover, action_id=c.action_id)

    async def act(self, event: rights.PeoplesAct) -> None:
        """Check the right to act, then apply the act; or refuse it and record why."""
        act = rights.act_of(event)
        async with self.engine.database.transaction() as conn:
            clock = await state.read_clock(conn, lock="FOR SHARE")
            if not await first_time(conn, CONSUMER, event.event_id):
                return
            role = await self._right(conn, event, act, clock)
            if isinstance(role, rights.Refusal):
                await acting.add_security_event(conn, event.event_id, event.type, act, role, clock)
                log.warning("security_event", kind=role.code, reason=role.reason, type=event.type,
                            action_id=act.action_id, person_id=act.acting_person, role=act.acting_role)
                return
            await self._apply(conn, event, act, role, clock)

    async def _right(self, conn: asyncpg.Connection, event: rights.PeoplesAct,
                     act: rights.Act, clock: Clock) -> str | rights.Refusal:
        """The role the act is accepted in, or why it is refused. Locks the action's row."""
        if act.acting_person is None:
            return rights.no_one_named(act)
        action = await acting.action_for_rights(conn, act.action_id, clock.today)
        if action is None:
            return rights.unknown_action(act)
        person = await acting.person(conn, act.acting_person)
        match event:
            case ev.PanelDecisionRecorded():
                return rights.decision_role(act, person, event.data, await acting.panel_context(conn, event.data))
            case ev.ConsequenceAgreed():
                return rights.consequence_role(act, person, action)
            case ev.ConcernRaised():
                return rights.concern_role(act, person, action, event.data.system)
            case ev.GoodPracticeNominated():
                return practice_rules.nomination_role(act, person, action,
                                                      await practice.nomination(conn, event.data.nomination_id))
            case ev.GoodPracticeReviewed():
                return practice_rules.review_role(act, person, event.data,
                                                  await practice.nomination(conn, event.data.nomination_id))
            case ev.AwardEntryUpdated():
                return practice_rules.award_role(act, person, event.data,
                                                 await practice.nomination(conn, event.data.nomination_id))
            case _:
                return rights.answer_role(act, person, action)

    async def _apply(self, conn: asyncpg.Connection, event: rights.PeoplesAct, act: rights.Act, role: str,
                     clock: Clock) -> None:
        match event:
            case ev.ConcernRaised():
                await acting.add_concern(conn, event.event_id, event.data, role, clock)
                return  # heard and shown to the Panel; the ladder does not move for it
            case ev.GoodPracticeNominated():
                await practice.add_nomination(conn, event.event_id, event.data, role, clock)
                return  # good practice is celebrated, not judged: no status moves for it
            case ev.GoodPracticeReviewed():
                await practice.review(conn, event.data, clock)
                return
            case ev.AwardEntryUpdated():
                await practice.award_step(conn, event.data, role, clock)
                return
            case ev.PanelDecisionRecorded():
                if not await acting.add_decision(conn, event.event_id, event.data, role, clock):
                    log.info("decision_already_recorded", decision_id=event.data.decision_id)
                    return
                if event.data.kind in REBASELINE_KINDS:  # the new plan takes effect, or the old one stays
                    await plans.decide(conn, event.data, role, clock)
                await self.engine.judge(conn, act.action_id, clock, event,
                                        board_referral=event.data.kind == "referred_to_board")
                return
            case ev.ConsequenceAgreed():
                if not await acting.add_consequence(conn, event.event_id, event.data, role, clock):
                    log.info("consequence_already_recorded", consequence_id=event.data.consequence_id)
                    return
                await self.engine.judge(conn, act.action_id, clock, event)
                return
            case ev.ExtensionRequested() | ev.FlagContested():
                await acting.add_request(conn, event.event_id, event.data, role, clock)
            case ev.ExplanationGiven():
                await acting.add_response(conn, event.event_id, "explanation", act.action_id, event.data.acting_person,
                                          role, event.data.text, None, None, clock)
            case ev.RecoveryPlanSent():
                plan = event.data
                await acting.add_response(conn, event.event_id, "recovery_plan", act.action_id, plan.acting_person,
                                          role, plan.summary, plan.recover_by, plan.steps, clock)
            case ev.ExplanationReceived() | ev.RecoveryPlanReceived():
                r = event.data
                await acting.add_response(conn, event.event_id, act.kind, r.action_id, r.from_person, role, r.text,
                                          r.recover_by, None, clock)
        await self._pause(conn, act, clock)
        await self.engine.judge(conn, act.action_id, clock, event)

    async def _pause(self, conn: asyncpg.Connection, act: rights.Act, clock: Clock) -> None:
        """An answer holds the climb: a recovery plan for its grace, anything else for an explanation's."""
        esc = await state.open_escalation(conn, act.action_id)
        if esc is not None and clock.today is not None:
            grace: Literal["explanation", "recovery_plan"] = (
                "recovery_plan" if act.kind == "recovery_plan" else "explanation")
            await state.save_pause(conn, ladder.on_response(esc, grace, clock.today, self.engine.grace))
