"""Who is told, in which words, and how delivery outcomes are judged: pure rules."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from services.notifications.delivery import ack_url, render
from services.notifications.domain import (
    AckClock,
    Person,
    ack_signature,
    ack_signature_valid,
    channels_for,
    decision_addressees,
    escalation_addressees,
    http_outcome,
    may_decide,
    may_raise_concern,
    notice_id_for,
    notice_step,
    retry_delay,
    smtp_outcome,
    webhook_signature,
)
from services.notifications.items import (
    AgendaNoticeItem,
    DeadlineReminderItem,
    EscalationItem,
    EscalationReminderItem,
    PanelDecisionItem,
    UndeliverableItem,
    escalation_item,
    item_from_json,
    item_to_json,
    panel_decision_item,
    reminder_of,
)
from services.notifications.letters import compose
from services.notifications.settings import NotificationsSettings
from services.notifications.writing import Context
from shared.contracts import events as ev
from shared.contracts.events import EscalationStep, LadderStep, Reason, Status

SRO_BC = Person("p-sro-bc", "Sam Owner", email="sam@example.org", roles=("sro",), systems=("black-country",))
SRO_OTHER = Person("p-sro-cw", "Cat Other", email="cat@example.org", roles=("sro",),
                   systems=("coventry-and-warwickshire",))
CHAIR = Person("p-chair", "Pat Chair", email="pat@example.org", roles=("panel_chair",))
SECRETARY = Person("p-sec", "Lee Secretary", email="lee@example.org", roles=("board_secretary",))
DIRECTORY = [SRO_BC, SRO_OTHER, CHAIR, SECRETARY]


def step(ladder: LadderStep | None = LadderStep.LEADER_ASKED, **over) -> EscalationStep:
    data = dict(escalation_id="esc-1", action_id="bc-ap3-1", system="black-country",
                action_title="Independent review of every formal disciplinary involving BME staff",
                step=ladder, previous_step=None,
                reasons=[Reason(rule="milestone_passed", status=Status.OFF_TRACK,
                                message="Milestone 'Review panel in place' was due on 31 March 2026")],
                recipients=["p-leader-1"], respond_by=date(2026, 4, 14)) | over
    return EscalationStep(**data)


def test_leader_asked_step_tells_the_leader_and_the_systems_sro_only():
    people = escalation_addressees(step(), DIRECTORY, resolved=False)
    assert [(a.person_id, a.role) for a in people] == [("p-leader-1", "leader"), ("p-sro-bc", "sro")]


def test_while_someone_covers_the_leader_they_are_asked_and_the_leader_is_copied_without_being_asked():
    people = escalation_addressees(step(recipients=["p-cover"], copy_to=["p-leader-1"]), DIRECTORY, resolved=False)
    assert [(a.person_id, a.role, a.needs_ack) for a in people] == [
        ("p-cover", "leader", True), ("p-leader-1", "leader", False), ("p-sro-bc", "sro", False)]


def test_the_notice_says_how_far_behind_the_plan_and_the_original_commitment_the_action_is():
    item = escalation_item(step(slip="3 weeks behind plan, 11 weeks behind the original commitment"))
    assert item.why[-1] == "It is 3 weeks behind plan, 11 weeks behind the original commitment."


def test_a_step_back_down_is_a_new_notice_and_says_the_action_improved():
    down = step(LadderStep.LEADER_ASKED, previous_step=LadderStep.PANEL_AGENDA)
    assert notice_step(down, resolved=False) == "leader_asked:down_from:panel_agenda"
    assert notice_step(step(), resolved=False) == "leader_asked"
    assert notice_step(down, resolved=True) == "resolved"
    letter = compose([escalation_item(down)], "Dana", None)
    assert "has improved and stepped back down the escalation ladder" in letter.opening


def test_only_the_leaders_notice_waits_for_an_acknowledgement():
    people = {a.person_id: a for a in escalation_addressees(step(), DIRECTORY, resolved=False)}
    assert people["p-leader-1"].needs_ack and not people["p-sro-bc"].needs_ack


def test_panel_agenda_step_adds_the_panel_chair_grouped_by_panel_agenda():
    people = {a.person_id: a for a in escalation_addressees(step(LadderStep.PANEL_AGENDA), DIRECTORY,
                                                            resolved=False)}
    assert set(people) == {"p-leader-1", "p-sro-bc", "p-chair"}
    assert people["p-chair"].group_key == "panel_agenda"
    assert people["p-sro-bc"].group_key == "system:black-country"


def test_people_board_step_adds_the_board_secretary():
    people = {a.person_id for a in escalation_addressees(step(LadderStep.PEOPLE_BOARD), DIRECTORY, resolved=False)}
    assert people == {"p-leader-1", "p-sro-bc", "p-sec"}


def test_a_resolved_escalation_asks_nobody_for_an_acknowledgement():
    assert not any(a.needs_ack for a in escalation_addressees(step(None), DIRECTORY, resolved=True))


def test_a_person_not_in_the_directory_still_gets_a_notice_on_email_so_its_failure_is_recorded():
    assert channels_for(None) == ["email"]
    assert channels_for(Person("p", "P", channels=("webhook", "email"))) == ["webhook", "email"]


def test_the_notice_id_is_the_same_for_the_same_escalation_step_recipient_and_channel():
    assert notice_id_for("esc-1", "leader_asked", "p1", "email") == notice_id_for("esc-1", "leader_asked", "p1",
                                                                                  "email")
    assert notice_id_for("esc-1", "leader_asked", "p1", "email") != notice_id_for("esc-1", "leader_asked", "p1",
                                                                                  "webhook")


def test_smtp_4xx_is_transient_and_5xx_permanent():
    assert smtp_outcome(250, "ok").delivered
    assert not smtp_outcome(451, "try later").permanent
    assert smtp_outcome(550, "no such user").permanent


def test_http_5xx_and_429_are_transient_and_other_4xx_permanent():
    assert http_outcome(204).delivered
    assert not http_outcome(503).permanent and not http_outcome(429).permanent
    assert http_outcome(404).permanent and http_outcome(401).permanent


def test_retry_waits_double_and_are_capped():
    assert [retry_delay(n, 1.0, 5.0) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 5.0]


def test_acknowledgement_link_signature_rejects_another_notice():
    sig = ack_signature("secret", "n-1")
    assert ack_signature_valid("secret", "n-1", sig)
    assert not ack_signature_valid("secret", "n-2", sig)
    assert not ack_signature_valid("other", "n-1", sig)


def test_webhook_signature_covers_timestamp_and_body():
    sig = webhook_signature("k", "100", b"{}")
    assert sig.startswith("sha256=")
    assert sig != webhook_signature("k", "101", b"{}") and sig != webhook_signature("k", "100", b"{ }")


def test_ack_clock_reminds_before_the_grace_ends():
    clock = AckClock(grace=timedelta(days=7), reminder_interval=timedelta(days=2))
    issued = datetime(2026, 4, 1, tzinfo=UTC)
    assert clock.first_reminder(issued) < clock.due(issued) == datetime(2026, 4, 8, tzinfo=UTC)


def test_leaders_email_says_what_slipped_why_what_is_asked_by_when_and_how_to_answer():
    letter = compose([escalation_item(step(), "leader")], "Dana Leader", "http://x/ack?notice=n-1&sig=abc")
    text, html = render(letter, "n-1")
    assert letter.subject == ("Action needs your attention: "
                              "Independent review of every formal disciplinary involving BME staff")
    assert "Dear Dana Leader," in text
    assert "Milestone 'Review panel in place' was due on 31 March 2026" in text
    assert "explain why progress has slipped, or send a recovery plan" in text
    assert "By when\n  14 April 2026" in text
    assert "How to answer\n" in text and "http://x/ack?notice=n-1&amp;sig=abc" in html


def test_systems_are_named_as_people_name_them():
    letter = compose([escalation_item(step())], "Dana", None, Context(system_names={"black-country": "Black Country"}))
    assert "accountable for in Black Country has slipped" in letter.opening


def readme_email() -> str:
    """The email shown in services/notifications/README.md, rendered from the real templates."""
    settings = NotificationsSettings(portal_public_url="https://portal.midlands-people-board.example")
    notice_id = notice_id_for("esc-bc-ap3-1-1", "leader_asked", "p-leader-1", "email")
    item = escalation_item(step(reasons=[
        Reason(rule="milestone_passed", status=Status.OFF_TRACK,
               message="Milestone 'Review panel in place' was due on 31 March 2026 and has not been reached"),
        Reason(rule="behind_trajectory", status=Status.OFF_TRACK,
               message="Progress is 10% against a planned 25% by 31 March 2026"),
    ]))
    letter = compose([item], "Dana Leader", ack_url(settings, notice_id),
                     Context(system_names={"black-country": "Black Country"}, portal_url=settings.portal_public_url,
                             sros={"black-country": "Sam Owner (sam.owner@example.org)"}))
    text, _ = render(letter, notice_id)
    return (f"From: {settings.smtp_sender}\nTo: dana.leader@example.org\n"
            f"Subject: {letter.subject}\n\n{text}")


def test_the_email_shown_in_the_readme_is_what_the_templates_render():
    readme = (Path(__file__).parents[2] / "services" / "notifications" / "README.md").read_text()
    shown = readme.split("<!-- rendered-email -->\n```text\n", 1)[1].split("```", 1)[0]
    assert shown == readme_email()


def test_grouped_notice_to_the_chair_lists_every_action_in_one_message():
    items = [escalation_item(step(LadderStep.PANEL_AGENDA, action_id=f"a{i}", action_title=f"Action {i}"),
                             "panel_chair") for i in range(3)]
    letter = compose(items, "Pat Chair", None)
    text, _ = render(letter, "g-1")
    assert letter.subject == "3 actions added to the Panel's agenda (black-country)"
    assert all(f"Action {i}" in text for i in range(3))


def test_html_part_escapes_what_systems_wrote():
    letter = compose([escalation_item(step(action_title="<script>x</script>"))], "Dana", None)
    _, html = render(letter, "n-1")
    assert "<script>" not in html and "&lt;script&gt;" in html


# ---- notice items, as stored -------------------------------------------------------------------

# Rows exactly as the service has stored them in notice_items.content (one per kind of item).
STORED = {
    EscalationItem: {
        "kind": "escalation", "escalation_id": "esc-1", "action_id": "bc-ap3-1", "system": "black-country",
        "title": "Independent review", "step": "panel_agenda", "previous_step": "leader_asked",
        "why": ["Milestone 'Review panel in place' was due on 31 March 2026"], "respond_by": "2026-04-14",
        "stepped_down": False, "role": "sro"},
    EscalationReminderItem: {
        "kind": "escalation", "escalation_id": "esc-1", "action_id": "bc-ap3-1", "system": "black-country",
        "title": "Independent review", "step": "leader_asked", "previous_step": None, "why": [],
        "respond_by": None, "stepped_down": False, "role": "leader", "reminder_number": 2},
    DeadlineReminderItem: {
        "kind": "deadline_reminder", "cycle_id": "2026-Q1", "system": "lincolnshire",
        "submission_deadline": "2026-04-03", "role": "leader"},
    AgendaNoticeItem: {
        "kind": "agenda", "meeting_id": "mtg-1", "meets_on": "2026-04-20", "role": "panel_chair", "items": [
            {"title": "Independent review", "system": "black-country", "action_id": "bc-ap3-1",
             "status": "off_track", "why": ["No progress update has been posted this cycle"],
             "leader_response": None}]},
    PanelDecisionItem: {
        "kind": "panel_decision", "decision_id": "d-1", "meeting_id": "panel-2026-Q1", "action_id": "bc-ap3-1",
        "system": "black-country", "title": "Independent review", "decision": "recovery_plan_due",
        "note": "With named owners", "due_date": "2026-04-20", "replaces": None,
        "action_url": "https://portal.example/actions/bc-ap3-1", "role": "sro"},
    UndeliverableItem: {
        "kind": "undeliverable", "notice_id": "n-1", "notice_kind": "escalation", "about": "esc-1",
        "recipient": "p-leader-1", "channel": "email", "detail": "SMTP 550 no such mailbox",
        "role": "panel_secretary"},
}


@pytest.mark.parametrize("kind", list(STORED), ids=lambda k: k.__name__)
def test_a_stored_item_reads_back_as_its_kind_and_is_stored_again_with_the_same_keys(kind):
    item = item_from_json(json.dumps(STORED[kind]))
    assert type(item) is kind
    assert json.loads(item_to_json(item)) == STORED[kind]


def test_a_resolved_escalation_is_stored_as_resolved_whatever_step_the_event_names():
    item = escalation_item(step(LadderStep.PANEL_AGENDA), "sro", resolved=True)
    assert json.loads(item_to_json(item))["step"] == "resolved" and item.resolved


def test_a_reminder_says_when_the_first_notice_went_what_is_still_open_and_the_date_that_holds():
    reminder = reminder_of(escalation_item(step()), 2, date(2026, 4, 1))
    letter = compose([item_from_json(item_to_json(reminder))], "Dana", None)
    assert letter.subject.startswith("Second reminder: Action needs your attention")
    assert letter.opening.startswith("We wrote to you on 1 April 2026 about this action")
    assert "have not yet had an explanation or a recovery plan. The date is unchanged: 14 April 2026." \
        in letter.opening


def test_a_deadline_reminder_and_an_agenda_give_dates_in_words():
    reminder = item_from_json(json.dumps(STORED[DeadlineReminderItem]))
    agenda = item_from_json(json.dumps(STORED[AgendaNoticeItem]))
    assert compose([reminder], "Dana", None).subject == (
        "Reminder: progress for January to March 2026 is due by 3 April 2026")
    assert compose([agenda], "Pat", None).subject == "The Panel's agenda for 20 April 2026: 1 slipping action"


# ---- the Panel's decisions -----------------------------------------------------------------------

NETWORK_BC = Person("p-network-bc", "Nia Network", roles=("staff_network_lead",), systems=("black-country",))
CHAIR = Person("p-chair", "Pat Chair", roles=("panel_chair",))


def test_a_decision_is_told_to_the_leader_the_systems_sro_and_those_who_raised_a_concern_once_each():
    sro_li = Person("p-sro-li", "Lee", roles=("sro",), systems=("lincolnshire",))
    told = decision_addressees("p-leader-1", "black-country", [SRO_BC, sro_li], ["p-network-bc", "p-leader-1"])
    assert [(a.person_id, a.role, a.needs_ack, a.group_key) for a in told] == [
        ("p-leader-1", "leader", False, None), ("p-sro-bc", "sro", False, None),
        ("p-network-bc", "staff_network_lead", False, None)]


def test_only_the_panel_decides_and_only_a_lead_of_the_actions_system_raises_a_concern():
    assert may_decide(CHAIR) and may_decide(Person("p-m", "M", roles=("panel_member",)))
    assert not may_decide(SRO_BC) and not may_decide(None)
    assert may_raise_concern(NETWORK_BC, "black-country")
    assert not may_raise_concern(NETWORK_BC, "lincolnshire") and not may_raise_concern(SRO_BC, "black-country")


def decision_letter(role: str, **over) -> str:
    data = ev.PanelDecision(**({"decision_id": "d-1", "meeting_id": "panel-2026-Q1", "action_id": "bc-ap3-1",
                                "kind": "recovery_plan_due", "note": "With named owners",
                                "due_date": date(2026, 4, 20)} | over))
    item = panel_decision_item(data, "black-country", "Independent review", role,
                               "https://portal.example/actions/bc-ap3-1")
    letter = compose([item_from_json(item_to_json(item))], "Dana", None,
                     Context(system_names={"black-country": "Black Country"}))
    return f"Subject: {letter.subject}\n" + render(letter, "n-1")[0]


def test_the_leader_is_told_what_the_panel_decided_what_it_asks_by_when_and_where_to_answer():
    text = decision_letter("leader")
    assert "Subject: The Panel's decision on Independent review: it asked for a recovery plan\n" in text
    assert ("The Race, Equality and Inclusion Panel asked for a recovery plan on an action you are accountable "
            "for in Black Country.") in text
    assert "- The Panel's note: With named owners" in text
    assert "Please send a recovery plan by 20 April 2026." in text and "By when\n  20 April 2026" in text
    assert "https://portal.example/actions/bc-ap3-1" in text
    assert "Please confirm you have seen this notice" not in text  # a decision waits for no acknowledgement


def test_the_sro_is_kept_informed_and_the_staff_network_lead_hears_the_panels_answer_to_their_concern():
    sro = decision_letter("sro", kind="support_offered", due_date=None)
    assert ("For your information, the Race, Equality and Inclusion Panel offered support on an action in "
            "Black Country.") in sro
    assert "No reply is needed." in sro
    network = decision_letter("staff_network_lead", kind="extension_refused", due_date=None, replaces="d-0")
    assert ("You raised a concern about this action in Black Country. The Panel has answered: it refused more "
            "time. This decision replaces the Panel's earlier decision on it.") in network


def test_the_link_in_a_notice_opens_its_page_in_the_portal():
    settings = NotificationsSettings(portal_public_url="https://portal.example/")
    assert ack_url(settings, "n-1") == "https://portal.example/notices/n-1"


def test_the_chairs_agenda_gives_the_staff_networks_words():
    stored = STORED[AgendaNoticeItem] | {"items": [STORED[AgendaNoticeItem]["items"][0] | {
        "concerns": ["Challenge: BME staff were not asked"]}]}
    text, _ = render(compose([item_from_json(json.dumps(stored))], "Pat", None), "n-1")
    assert "No answer from the leader yet. A staff network lead says: Challenge: BME staff were not asked" in text


def test_an_undeliverable_notice_report_names_each_notice_by_person_id_and_how_to_send_it_again():
    items = [item_from_json(json.dumps(STORED[UndeliverableItem])),
             item_from_json(json.dumps(STORED[UndeliverableItem] | {"notice_id": "n-2", "recipient": "p-x"}))]
    letter = compose(items, "Sol", None)
    text, _ = render(letter, "g-1")
    assert letter.subject == "2 notices could not be delivered"
    assert "Escalation notice to p-leader-1 by email" in text and "about esc-1" in text
    assert "SMTP 550 no such mailbox" in text
    assert "notices resend --notice n-1 --notice n-2" in text
