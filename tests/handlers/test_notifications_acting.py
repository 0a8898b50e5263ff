"""What people do through the portal, as the notifications service takes it (in-memory broker, real
PostgreSQL): the Panel's decision queued for the action's leader, its SRO and the staff network lead
who raised a concern, once; nothing for a decision from outside the Panel or off the agenda; a notice
acknowledged only by its recipient."""

from __future__ import annotations

import json
from datetime import date

import pytest

from shared.contracts import events as ev
from shared.contracts.topics import ACCOUNTABILITY, DIRECTORY, NOTICES, RESPONSES
from tests.handlers.memory import InMemoryBroker as _Broker
from tests.handlers.memory import rows
from tests.handlers.test_notifications_handlers import SYSTEM, T0, notifications, person, publish, queued, raised

pytestmark = pytest.mark.handlers
__all__ = ["notifications"]  # the fixture, shared


async def directory(broker: _Broker) -> None:
    for event in (person("p-leader", "Dana Leader"), person("p-sro", "Sam Owner", roles=["sro"], systems=[SYSTEM]),
                  person("p-chair", "Pat Chair", roles=["panel_chair"]),
                  person("p-network", "Nia Network", roles=["staff_network_lead"], systems=[SYSTEM]),
                  person("p-network-li", "Lou Network", roles=["staff_network_lead"], systems=["lincolnshire"])):
        await publish(broker, event, DIRECTORY.name)


async def on_the_agenda(broker: _Broker) -> None:
    await publish(broker, raised("esc-1", "p-leader"), ACCOUNTABILITY.name)
    await publish(broker, ev.AgendaPublished.new(source="accountability", subject="panel-2026-Q1", data=ev.Agenda(
        meeting_id="panel-2026-Q1", meets_on=date(2026, 3, 26), chair="p-chair", items=[ev.AgendaItem(
            action_id="bc-ap3-1", system=SYSTEM, title="Independent review", status=ev.Status.OFF_TRACK,
            reasons=[])])), ACCOUNTABILITY.name)


def concern(who: str) -> ev.ConcernRaised:
    return ev.ConcernRaised.new(source="portal", subject="bc-ap3-1", data=ev.StaffNetworkConcern(
        action_id="bc-ap3-1", system=SYSTEM, kind="concern", text="BME staff were not asked", acting_person=who,
        acting_role="staff_network_lead"))


def decision(who: str, decision_id: str = "d-1", meeting: str = "panel-2026-Q1") -> ev.PanelDecisionRecorded:
    return ev.PanelDecisionRecorded.new(source="portal", subject="bc-ap3-1", data=ev.PanelDecision(
        decision_id=decision_id, meeting_id=meeting, action_id="bc-ap3-1", kind="recovery_plan_due",
        due_date=date(2026, 4, 20), note="With named owners", acting_person=who, acting_role="panel_chair"))


async def test_a_panel_decision_is_queued_for_the_leader_the_sro_and_the_lead_who_raised_a_concern_once(
        notifications: _Broker, database_url: str):
    await directory(notifications)
    await on_the_agenda(notifications)
    await publish(notifications, concern("p-network"), RESPONSES.name)
    await publish(notifications, concern("p-network-li"), RESPONSES.name)  # not a lead of this system: not heard
    recorded = decision("p-chair")
    await publish(notifications, recorded, RESPONSES.name)
    await publish(notifications, recorded, RESPONSES.name)  # redelivered

    assert await queued(database_url, "d-1") == [
        ("p-leader", "email", "leader"), ("p-network", "email", "staff_network_lead"), ("p-sro", "email", "sro")]
    [item] = await rows(database_url, "SELECT content FROM notice_items WHERE about = 'd-1' AND recipient = 'p-leader'")
    content = json.loads(item["content"])
    assert (content["kind"], content["decision"], content["due_date"]) == ("panel_decision", "recovery_plan_due",
                                                                          "2026-04-20")
    assert content["action_url"] == "http://localhost:8004/actions/bc-ap3-1"
    notices = await rows(database_url, "SELECT needs_ack, group_key FROM notices WHERE about = 'd-1'")
    assert {(n["needs_ack"], n["group_key"]) for n in notices} == {(False, None)}


async def test_no_one_is_told_of_a_decision_from_outside_the_panel_or_on_an_item_not_on_its_agenda(
        notifications: _Broker, database_url: str):
    await directory(notifications)
    await on_the_agenda(notifications)
    await publish(notifications, decision("p-leader", "d-forged"), RESPONSES.name)
    await publish(notifications, decision("p-chair", "d-elsewhere", meeting="panel-2025-Q4"), RESPONSES.name)
    assert await queued(database_url, "d-forged") == [] and await queued(database_url, "d-elsewhere") == []


async def test_only_the_recipient_acknowledges_a_notice_and_it_is_announced_once(
        notifications: _Broker, database_url: str):
    await directory(notifications)
    await publish(notifications, raised("esc-1", "p-leader"), ACCOUNTABILITY.name)
    [notice] = await rows(database_url, "SELECT notice_id FROM notices WHERE recipient = 'p-leader'")

    def pressed(who: str) -> ev.NoticeAcknowledgementGiven:
        return ev.NoticeAcknowledgementGiven.new(source="portal", subject="esc-1", occurred_at=T0,
                                                 data=ev.NoticeAcknowledgement(notice_id=notice["notice_id"],
                                                                               about="esc-1", acting_person=who))

    await publish(notifications, pressed("p-sro"), NOTICES.name)
    assert (await rows(database_url, "SELECT acknowledged_at FROM notices WHERE recipient = 'p-leader'"))[0][0] is None
    await publish(notifications, pressed("p-leader"), NOTICES.name)
    await publish(notifications, pressed("p-leader"), NOTICES.name)  # pressed again
    [acked] = await rows(database_url, "SELECT acknowledged_at, ack_closed FROM notices WHERE recipient = 'p-leader'")
    assert acked["acknowledged_at"] == T0 and acked["ack_closed"]
    announced = await rows(database_url, "SELECT payload FROM outbox WHERE topic = $1", NOTICES.name)
    assert [json.loads(r["payload"])["type"] for r in announced] == ["notice.acknowledged"]
