"""The Panel's decisions reach people: through the real broker, the real database and a real SMTP
server (aiosmtpd), a decision recorded in the portal is e-mailed to the action's leader, its system's
SRO and the staff network lead who raised a concern about it; a decision from someone outside the
Panel reaches no one."""

from __future__ import annotations

from datetime import date

import pytest
from faststream import TestApp

from services.notifications.app import build
from shared.contracts import events as ev
from shared.contracts.topics import ACCOUNTABILITY, RESPONSES
from tests.integration.test_notifications_service import (
    conn,
    escalation,
    mailbox,
    person,
    publish_people,
    settings,
    uid,
)
from tests.kafka_tools import eventually, produce

pytestmark = pytest.mark.integration
__all__ = ["conn", "mailbox", "settings"]  # the fixtures, shared


async def test_a_panel_decision_is_emailed_to_the_leader_the_sro_and_the_lead_who_raised_a_concern(
        kafka, settings, database_url, mailbox):
    u = uid()
    system, action, leader, sro, chair, network = (f"sys-{u}", f"act-{u}", f"p-leader-{u}", f"p-sro-{u}",
                                                   f"p-chair-{u}", f"p-network-{u}")
    meeting = f"panel-{u}"

    def decision(decision_id: str, by: str) -> ev.PanelDecisionRecorded:
        return ev.PanelDecisionRecorded.new(source="portal", subject=action, data=ev.PanelDecision(
            decision_id=decision_id, meeting_id=meeting, action_id=action, kind="recovery_plan_due",
            due_date=date(2026, 4, 20), note="With named owners", acting_person=by, acting_role="panel_chair"))

    async with TestApp(build(settings)):
        await publish_people(kafka, database_url, person(leader, "Dana Leader"),
                             person(sro, "Sam Owner", roles=["sro"], systems=[system]),
                             person(chair, "Pat Chair", roles=["panel_chair"]),
                             person(network, "Nia Network", roles=["staff_network_lead"], systems=[system]))
        agenda = ev.AgendaPublished.new(source="accountability", subject=meeting, data=ev.Agenda(
            meeting_id=meeting, meets_on=date(2026, 3, 26), chair=chair, items=[ev.AgendaItem(
                action_id=action, system=system, title="Independent review", status=ev.Status.OFF_TRACK,
                reasons=[])]))
        await produce(kafka, ACCOUNTABILITY.name, [escalation(f"esc-{u}", action, system, leader).to_bytes()],
                      key=action.encode())
        await produce(kafka, ACCOUNTABILITY.name, [agenda.to_bytes()], key=meeting.encode())
        concern = ev.ConcernRaised.new(source="portal", subject=action, data=ev.StaffNetworkConcern(
            action_id=action, system=system, kind="challenge", text="BME staff were not asked",
            acting_person=network, acting_role="staff_network_lead"))
        # one partition key for the action: the concern, the forged decision and the chair's, in order
        await produce(kafka, RESPONSES.name, [concern.to_bytes(), decision(f"d-forged-{u}", leader).to_bytes(),
                                              decision(f"d-{u}", chair).to_bytes()], key=action.encode())

        def decided(address: str) -> list[str]:
            return [m["Subject"] for m in mailbox.to(address) if m["Subject"].startswith("The Panel's decision")]

        await eventually(lambda: all(decided(f"{p}@example.org") for p in (leader, sro, network)), timeout=30)

    subject = ("The Panel's decision on Independent review of every formal disciplinary involving BME staff: "
               "it asked for a recovery plan")
    assert [decided(f"{p}@example.org") for p in (leader, sro, network)] == [[subject]] * 3
    [to_leader] = [m for m in mailbox.to(f"{leader}@example.org") if m["Subject"] == subject]
    body = to_leader.get_body(("plain",)).get_content()
    assert "Please send a recovery plan by 20 April 2026." in body
    assert f"http://portal.test/actions/{action}" in body
    [to_network] = [m for m in mailbox.to(f"{network}@example.org") if m["Subject"] == subject]
    assert "You raised a concern about this action" in to_network.get_body(("plain",)).get_content()
    assert mailbox.to(f"{chair}@example.org")[0]["Subject"].startswith("The Panel's agenda")  # and no decision mail
