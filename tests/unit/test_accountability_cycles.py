"""The cycle calendar: ids, windows, reminders and the Panel's next meeting."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from services.accountability.cycles import cycle_containing, next_cycle, next_meeting, reminder_due
from services.accountability.settings import AccountabilitySettings

QUARTERLY = AccountabilitySettings()


def test_quarterly_by_default_with_the_deadline_meeting_and_agenda_inside_the_quarter():
    q1 = cycle_containing(date(2026, 2, 14), QUARTERLY)
    assert (q1.cycle_id, q1.opens_on, q1.closes_on) == ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31))
    assert q1.submission_deadline == date(2026, 3, 21)
    assert (q1.agenda_on, q1.meeting_on) == (date(2026, 3, 23), date(2026, 3, 26))
    assert q1.meeting_id == "panel-2026-Q1"
    assert cycle_containing(date(2026, 3, 31), QUARTERLY) == q1
    assert next_cycle(q1, QUARTERLY).cycle_id == "2026-Q2"
    assert next_cycle(cycle_containing(date(2026, 12, 1), QUARTERLY), QUARTERLY).cycle_id == "2027-Q1"


@pytest.mark.parametrize(("months", "anchor", "day", "cycle_id", "opens", "closes"), [
    (1, 1, date(2026, 2, 10), "2026-02", date(2026, 2, 1), date(2026, 2, 28)),
    (6, 1, date(2026, 8, 10), "2026-H2", date(2026, 7, 1), date(2026, 12, 31)),
    (12, 1, date(2026, 8, 10), "2026", date(2026, 1, 1), date(2026, 12, 31)),
    (4, 1, date(2026, 5, 10), "2026-P2", date(2026, 5, 1), date(2026, 8, 31)),
    (3, 4, date(2026, 5, 10), "cycle-2026-04", date(2026, 4, 1), date(2026, 6, 30)),
    (12, 4, date(2026, 2, 10), "cycle-2025-04", date(2025, 4, 1), date(2026, 3, 31)),
])
def test_the_cadence_is_configuration(months, anchor, day, cycle_id, opens, closes):
    s = AccountabilitySettings(cycle_months=months, cycle_anchor_month=anchor)
    c = cycle_containing(day, s)
    assert (c.cycle_id, c.opens_on, c.closes_on) == (cycle_id, opens, closes)


def test_a_cycle_length_that_does_not_divide_the_year_is_refused_at_start():
    with pytest.raises(ValidationError, match="cycle_months must divide the year"):
        AccountabilitySettings(cycle_months=5)


def test_the_calendar_and_grace_periods_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("CYCLE_MONTHS", "6")
    monkeypatch.setenv("REMINDER_DAYS_BEFORE_DEADLINE", "[7]")
    monkeypatch.setenv("LEADER_ASKED_GRACE_DAYS", "21")
    s = AccountabilitySettings()
    assert (s.cycle_months, s.reminder_days_before_deadline, s.leader_asked_grace_days) == (6, [7], 21)
    assert cycle_containing(date(2026, 8, 1), s).cycle_id == "2026-H2"


def test_every_tolerance_and_grace_period_is_documented():
    for name, field in AccountabilitySettings.model_fields.items():
        if name.endswith(("_days", "_points", "_tolerance", "_cycles", "_months", "_month", "_deadline")):
            assert field.description, name


@pytest.mark.parametrize(("today", "due"), [
    (date(2026, 3, 6), None), (date(2026, 3, 7), 14), (date(2026, 3, 17), 14), (date(2026, 3, 18), 3),
    (date(2026, 3, 21), 3), (date(2026, 3, 22), None),
])
def test_reminders_fall_due_before_the_deadline_the_latest_one_only(today, due):
    assert reminder_due(date(2026, 3, 21), today, [14, 3]) == due


def test_the_next_meeting_is_this_cycles_until_it_has_met():
    assert next_meeting(date(2026, 3, 26), QUARTERLY).cycle_id == "2026-Q1"
    assert next_meeting(date(2026, 3, 27), QUARTERLY).cycle_id == "2026-Q2"
