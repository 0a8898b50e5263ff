"""The rest of the year after the scripted quarter (``tools.scripted_cycle --year``): three more
quarters on the same stack, one clock tick per day.

What it shows: open actions carry over from cycle to cycle with their ladder step; the system
that was silent in the first quarter improves (it posts on plan from April and completes its
actions in December, as every system on plan does); the system whose action climbed to the People
Board does not (it stays behind plan, so it slips cycle after cycle and ``repeated_slip`` holds it
off track); two systems ask to re-baseline, the Panel approves
one and refuses the other through the portal; the Board's report at the end of the year shows
the four cycles side by side.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING

from shared.contracts import events as ev
from tools.cycle_cast import CHAIR, YEAR

if TYPE_CHECKING:
    from tools.scripted_cycle import Cycle

# Each quarter: first updates on day 20 of its first month, second on day 12 of its third.
QUARTERS = ((4, 6), (7, 9), (10, 12))


def planned(day: date) -> float:
    """Where every scripted commitment's trajectory says it should be (``cycle_cast.commitments``)."""
    points = [(date(YEAR, 1, 5), 0.0), (date(YEAR, 2, 13), 20.0), (date(YEAR, 6, 30), 50.0),
              (date(YEAR, 12, 31), 100.0)]
    for (d0, p0), (d1, p1) in pairwise(points):
        if day <= d1:
            return round(p0 + (p1 - p0) * (day - d0).days / (d1 - d0).days, 1)
    return 100.0


async def rest_of_year(cycle: Cycle) -> None:
    """April to the end of December; the clock's first tick of 2027 closes the last quarter."""
    c = cycle.cast
    lagging = cycle.system(c.ignores)
    for n, (first, third) in enumerate(QUARTERS, start=2):
        cycle.say(f"Quarter {n}: open actions carry over with their ladder step; {c.silent_system} now posts on "
                  f"plan, {lagging} stays behind")
        await updates(cycle, date(YEAR, first, 20), lagging, 36.0 + 4 * n)
        if n == 2:
            await ask_to_rebaseline(cycle)
        await updates(cycle, date(YEAR, third, 12), lagging, 38.0 + 4 * n)
        if n == 2:
            await until_day(cycle, date(YEAR, 6, 25))  # the Panel meets
            await panel_decides_rebaselines(cycle)
        if n == 4:
            await complete(cycle, date(YEAR, 12, 18), lagging)
        await until_day(cycle, date(YEAR, third + 1, 1) if third < 12 else date(YEAR + 1, 1, 1))
        cycle.say(f"Quarter {n} has closed")


async def until_day(cycle: Cycle, last: date) -> None:
    """One tick a day from the day after the clock's to ``last``."""
    today = cycle.story.today
    assert today is not None
    if last > today:
        await cycle.days(today + timedelta(days=1), last)


async def updates(cycle: Cycle, day: date, lagging: str, lagging_percent: float) -> None:
    """Every system posts on ``day``, a little ahead of plan (where the plan will be in six weeks, so
    it stays on plan until its next update), except the lagging system, which creeps forward far
    behind it; the system silent in the first quarter reports its first milestone reached late."""
    await until_day(cycle, day)
    for made in cycle.made:
        percent = lagging_percent if made.data.system == lagging else planned(day + timedelta(days=45))
        late = ["m1"] if made.data.system == cycle.cast.silent_system and day.month == QUARTERS[0][0] else []
        await cycle.post(cycle.progress(made.subject, percent, day, milestones_reached=late))


async def complete(cycle: Cycle, day: date, lagging: str) -> None:
    """Every system on plan completes its actions before the due date; the lagging one cannot."""
    await until_day(cycle, day)
    cycle.say(f"{day.day} December: every system but {lagging} completes its actions")
    for made in cycle.made:
        if made.data.system != lagging:
            await cycle.post(ev.ActionCompleted.new(source=made.data.system, subject=made.subject, data=ev.Completion(
                action_id=made.subject, on=day, summary="Done, and kept under review by the staff network")))


async def ask_to_rebaseline(cycle: Cycle) -> None:
    """Two systems amend their plans (a later due date): each is a request for the Panel."""
    c = cycle.cast
    cycle.say("May: two systems ask to re-baseline (a later due date); each waits for the Panel")
    for action_id, reason in ((c.recovers, "Our network chair left in February; we need three more months"),
                              (c.ignores, "We would like more time")):
        system = cycle.system(action_id)
        await cycle.post(ev.CommitmentAmended.new(source=system, subject=action_id, data=ev.Amendment(
            action_id=action_id, reason=reason, due_date=date(YEAR + 1, 3, 31))))


async def panel_decides_rebaselines(cycle: Cycle) -> None:
    """At the June meeting the chair approves one re-baseline and refuses the other, in the portal."""
    c = cycle.cast
    cycle.say("25 June: the Panel approves one re-baseline and refuses the other, in the portal")
    await cycle.people.act(CHAIR, f"/panel/items/{c.recovers}", {
        "kind": "rebaseline_approved", "note": "A new network chair is a fair reason; three months more."})
    await cycle.people.act(CHAIR, f"/panel/items/{c.ignores}", {
        "kind": "rebaseline_refused", "note": "No reason given and no recovery plan: the original date stands."})
    await cycle.recorded(c.recovers, "panel decision")
    await cycle.recorded(c.ignores, "panel decision", count=3)
