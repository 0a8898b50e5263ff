"""The notices as people read them, kept in the repository: each example below is rendered from the
real templates (text and HTML from one ``Letter``) and compared with its copy in
``services/notifications/examples/`` (a reviewer reads those files; ``UPDATE_SNAPSHOTS=1`` rewrites
them after a deliberate change)."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from services.notifications.delivery import one_letter_per_group, render
from services.notifications.items import (
    AgendaEntry,
    AgendaNoticeItem,
    AnswerReceiptItem,
    CycleClosedItem,
    DeadlineReminderItem,
    NoticeItem,
    OnTheAgenda,
    escalation_item,
    panel_decision_item,
    reminder_of,
)
from services.notifications.letters import compose, digest
from services.notifications.writing import Context
from shared.contracts import events as ev
from shared.contracts.vocabulary import LadderStep, Status
from tests.unit.test_notifications_domain import step

EXAMPLES = Path(__file__).parents[2] / "services" / "notifications" / "examples"
PORTAL = "https://portal.midlands-people-board.example"
CTX = Context(system_names={"black-country": "Black Country"}, portal_url=PORTAL,
              sros={"black-country": "Sam Owner (sam.owner@example.org)"},
              secretary="Lee Secretary (lee.secretary@example.org)", today="1 April 2026")
# the cycle's close as it is sent where notifications reads the report and chromium prints it
WITH_REPORT = replace(CTX, attached=("people-board-report-2026-Q1.html", "people-board-report-2026-Q1.pdf"))
WRES = ev.Reason(rule="measure_out_of_range", status=Status.OFF_TRACK,
                 message="WRES-3 (Relative likelihood of BME staff entering formal disciplinary) was 1.62 on 10 "
                         "February 2026, outside the range 0.8 to 1.25.")


def decision(kind: str, due: date | None) -> ev.PanelDecision:
    return ev.PanelDecision(decision_id=f"d-{kind}", meeting_id="panel-2026-Q1", action_id="bc-ap3-1", kind=kind,
                            note="The Panel asks for a recovery plan with named owners.", due_date=due)


def letters() -> dict[str, tuple[str, list[list[NoticeItem]], str | None]]:
    """Each example: who reads it, the items of each notice of their day, and the acknowledgement link."""
    asked = escalation_item(step(reasons=[WRES]))
    ack = f"{PORTAL}/notices/n-0123456789abcdef01234567"
    agenda = AgendaNoticeItem(meeting_id="panel-2026-Q1", meets_on=date(2026, 3, 26), items=[AgendaEntry(
        title="Independent review of every formal disciplinary involving BME staff", system="black-country",
        action_id="bc-ap3-1", status=Status.OFF_TRACK, why=[WRES.message], leader_response=None,
        concerns=["Concern: BME staff were not asked."], added_on=date(2026, 2, 25))])
    return {
        "leader-asked": ("Dana Leader", [[asked]], ack),
        "leader-reminder": ("Dana Leader", [[reminder_of(asked, 1, date(2026, 3, 30))]], ack),
        "leader-receipt": ("Dana Leader", [[AnswerReceiptItem(
            action_id="bc-ap3-1", system="black-country", title=asked.title, answer="recovery_plan",
            answered_on=date(2026, 4, 1), holds_until=date(2026, 4, 14), recover_by=date(2026, 5, 10))]], None),
        "leader-day-with-two-decisions": ("Dana Leader", [
            [escalation_item(step(LadderStep.PEOPLE_BOARD, previous_step=LadderStep.PANEL_AGENDA))],
            [panel_decision_item(decision("recovery_plan_due", date(2026, 4, 20)), "black-country", asked.title,
                                 "leader", f"{PORTAL}/actions/bc-ap3-1")],
            [panel_decision_item(decision("referred_to_board", None), "black-country", asked.title, "leader",
                                 f"{PORTAL}/actions/bc-ap3-1")]], None),
        "chair-agenda": ("Pat Chair", [[agenda]], None),
        "leader-deadline-reminder-on-the-agenda": ("Dana Leader", [[DeadlineReminderItem(
            cycle_id="2026-Q1", system="black-country", submission_deadline=date(2026, 3, 21),
            on_agenda=[OnTheAgenda(title=asked.title, respond_by=date(2026, 3, 22))])]], None),
        "board-secretary-cycle-closed-with-report": ("Lee Secretary", [[CycleClosedItem(
            cycle_id="2026-Q1", closes_on=date(2026, 3, 31),
            report_url=f"{PORTAL}/board/report?cycle_id=2026-Q1")]], None),
        "board-secretary-cycle-closed": ("Lee Secretary", [[CycleClosedItem(
            cycle_id="2026-Q1", closes_on=date(2026, 3, 31),
            report_url=f"{PORTAL}/board/report?cycle_id=2026-Q1")]], None),
    }


def rendered(name: str) -> tuple[str, str]:
    reader, notices, ack = letters()[name]
    ctx = WITH_REPORT if name.endswith("-with-report") else CTX
    each = [compose(items, reader, ack if n == 0 else None, ctx) for n, items in enumerate(notices)]
    letter = each[0] if len(each) == 1 else digest(each, reader)
    letter.dated = CTX.today
    text, html = render(letter, "n-example")
    return f"Subject: {letter.subject}\n\n{text}", html


@pytest.mark.parametrize("name", list(letters()))
def test_the_notice_reads_as_its_copy_in_the_repository(name: str) -> None:
    text, html = rendered(name)
    if os.environ.get("UPDATE_SNAPSHOTS"):
        EXAMPLES.mkdir(exist_ok=True)
        (EXAMPLES / f"{name}.txt").write_text(text)
        (EXAMPLES / f"{name}.html").write_text(html)
    assert (EXAMPLES / f"{name}.txt").read_text() == text
    assert (EXAMPLES / f"{name}.html").read_text() == html


@pytest.mark.parametrize("name", list(letters()))
def test_text_and_html_say_the_same_things(name: str) -> None:
    text, html = rendered(name)
    for line in ("By when", "How to answer", "Questions?"):
        assert (line in text) == (line in html), (name, line)
    assert '<html lang="en">' in html and "<h1" in html and "(s)" not in text


def test_an_sros_escalations_released_in_two_waits_on_one_day_read_as_one_letter() -> None:
    first, second = (escalation_item(step(escalation_id=f"esc-{n}", action_id=f"bc-ap3-{n}"), "sro") for n in (1, 2))
    bundle = [{"notice_id": f"g-{n}", "kind": "escalation", "group_key": "escalation:black-country"} for n in (1, 2)]
    [(notice, items)] = one_letter_per_group(bundle, [[first], [second]])  # type: ignore[arg-type]
    assert notice["notice_id"] == "g-1" and items == [first, second]
    assert compose(items, "Sam Owner", None, CTX).subject == "2 escalated actions in Black Country"
