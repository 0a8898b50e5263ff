"""Fewer e-mails, nothing lost (issue 11): the pure rules that decide what travels together."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from services.notifications.domain import Addressee, Person, group_wait_for, may_answer
from services.notifications.items import (
    AgendaEntry,
    AgendaNoticeItem,
    deadline_reminder_is_news,
    deadline_reminder_item,
)
from services.notifications.letters import compose
from shared.contracts import events as ev
from shared.contracts.events import EscalationStep, LadderStep

ISSUED = datetime(2026, 2, 25, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


def panel_step(respond_by: date | None = date(2026, 3, 22)) -> EscalationStep:
    return EscalationStep(escalation_id="esc-1", action_id="derby-ap4", system="derby-derbyshire",
                          action_title="Fair interviews", step=LadderStep.PANEL_AGENDA,
                          previous_step=LadderStep.LEADER_ASKED, reasons=[], recipients=["p-lead"],
                          respond_by=respond_by)


def test_the_chairs_added_to_the_agenda_notice_waits_for_the_agenda_a_week_past_the_date_given():
    waited = group_wait_for(Addressee("p-chair", "panel_chair", group_key="panel_agenda"), panel_step(), ISSUED, HOUR)
    assert ISSUED + waited == datetime(2026, 3, 29, tzinfo=UTC)


def test_everyone_elses_group_waits_as_configured():
    assert group_wait_for(Addressee("p-sro", "sro", group_key="system:x"), panel_step(), ISSUED, HOUR) == HOUR
    chair = Addressee("p-chair", "panel_chair", group_key="panel_agenda")
    assert group_wait_for(chair, panel_step(respond_by=None), ISSUED, HOUR) == HOUR


def test_a_delegate_named_for_the_leader_or_whoever_was_asked_in_their_place_may_answer():
    delegate = Person("p-del", "Del", roles=("delegate",), delegate_for=("p-lead",))
    covering = Person("p-cover", "Cover")
    assert may_answer(delegate, "p-lead", "derby")
    assert may_answer(covering, "p-lead", "derby", asked=["p-lead", "p-cover"])


def test_a_delegate_for_someone_else_or_a_stranger_may_not_answer():
    assert not may_answer(Person("p-del", "Del", roles=("delegate",), delegate_for=("p-other",)), "p-lead", "derby")
    assert not may_answer(Person("p-x", "X", delegate_for=("p-lead",)), "p-lead", "derby")  # not a delegate
    assert not may_answer(Person("p-x", "X"), "p-lead", "derby", asked=["p-lead"])


REMINDER = ev.Reminder(cycle_id="2026-Q1", system="lincolnshire", submission_deadline=date(2026, 3, 21),
                       recipients=["p-lead"])


def test_the_second_deadline_reminder_is_not_news_to_a_leader_whose_action_is_on_the_panels_agenda():
    on_agenda = deadline_reminder_item(REMINDER, [("Fair interviews", date(2026, 3, 22))])
    assert deadline_reminder_is_news(on_agenda, reminded_before=False)
    assert not deadline_reminder_is_news(on_agenda, reminded_before=True)
    assert deadline_reminder_is_news(deadline_reminder_item(REMINDER), reminded_before=True)


def test_a_deadline_reminder_says_which_of_the_leaders_actions_are_already_on_the_agenda_and_by_when():
    item = deadline_reminder_item(REMINDER, [("Fair interviews", date(2026, 3, 22))])
    letter = compose([item], "Dana", None)
    assert letter.items[0]["why"] == [("Already on the Race, Equality and Inclusion Panel's agenda: Fair interviews; "
                                       "the Panel needs your answer by 22 March 2026.")]


def test_the_agenda_says_since_when_each_action_is_on_it():
    agenda = AgendaNoticeItem(meeting_id="m", meets_on=date(2026, 3, 26), items=[
        AgendaEntry(title="Fair interviews", system="derby", action_id="derby-ap4", status=ev.Status.OFF_TRACK,
                    why=[], added_on=date(2026, 2, 25))])
    assert compose([agenda], "Pat", None).items[0]["extra"].startswith("On the agenda since 25 February 2026. ")
