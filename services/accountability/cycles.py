"""The governance cycle's calendar: pure date arithmetic from the settings.

A cycle is a run of ``cycle_months`` calendar months starting at ``cycle_anchor_month``
(quarterly from January by default: 2026-Q1 is 1 January to 31 March 2026). Inside it:
the submission deadline, the reminders before it, the Panel's meeting and the day its
agenda is published.
"""

from __future__ import annotations

import calendar as _calendar  # the standard library's
from dataclasses import dataclass
from datetime import date, timedelta

from .settings import AccountabilitySettings


@dataclass(frozen=True)
class Cycle:
    cycle_id: str
    opens_on: date
    closes_on: date
    submission_deadline: date
    meeting_on: date
    agenda_on: date

    @property
    def meeting_id(self) -> str:
        return meeting_id(self.cycle_id)


def meeting_id(cycle_id: str) -> str:
    """The Panel meets once a cycle; its meeting is named after the cycle."""
    return f"panel-{cycle_id}"


def reminder_due(submission_deadline: date, today: date, days_before: list[int]) -> int | None:
    """The latest reminder whose day has come (in days before the deadline), until the deadline passes.

    When time jumps past several reminder days at once only the latest is due, so nobody
    gets two reminders on one day.
    """
    due = [d for d in days_before if submission_deadline - timedelta(days=d) <= today]
    if not due or today > submission_deadline:
        return None
    return min(due)


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def _name(opens_on: date, months: int, anchor: int) -> str:
    if anchor != 1:
        return f"cycle-{opens_on:%Y-%m}"
    n = (opens_on.month - 1) // months + 1
    return {1: f"{opens_on:%Y-%m}", 3: f"{opens_on.year}-Q{n}", 6: f"{opens_on.year}-H{n}",
            12: f"{opens_on.year}"}.get(months, f"{opens_on.year}-P{n}")


def cycle_containing(day: date, settings: AccountabilitySettings) -> Cycle:
    months, anchor = settings.cycle_months, settings.cycle_anchor_month  # months divides 12 (settings)
    offset = (day.year * 12 + day.month - anchor) % months  # months since the cycle opened
    year, month = _add_months(day.year, day.month, -offset)
    opens_on = date(year, month, 1)
    end_year, end_month = _add_months(year, month, months - 1)
    closes_on = date(end_year, end_month, _calendar.monthrange(end_year, end_month)[1])
    deadline = closes_on - timedelta(days=settings.submission_deadline_days_before_close)
    meeting_on = deadline + timedelta(days=settings.panel_meeting_days_after_deadline)
    return Cycle(
        cycle_id=_name(opens_on, months, anchor), opens_on=opens_on, closes_on=closes_on,
        submission_deadline=deadline, meeting_on=meeting_on,
        agenda_on=meeting_on - timedelta(days=settings.agenda_days_before_meeting),
    )


def next_cycle(cycle: Cycle, settings: AccountabilitySettings) -> Cycle:
    return cycle_containing(cycle.closes_on + timedelta(days=1), settings)


def next_meeting(today: date, settings: AccountabilitySettings) -> Cycle:
    """The cycle whose Panel meeting is the next one on or after ``today``."""
    cycle = cycle_containing(today, settings)
    return cycle if cycle.meeting_on >= today else next_cycle(cycle, settings)
