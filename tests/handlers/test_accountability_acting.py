"""People acting on actions, as the accountability service takes it (FastStream's in-memory broker, a
real PostgreSQL): each act's right is checked against the service's own state (the action, the
directory, the published agenda, the decisions in force); an act without the right is refused,
recorded as a security event and changes nothing; an accepted one is applied and kept."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date

import pytest

from services.accountability.app import build
from services.accountability.settings import AccountabilitySettings
from shared.contracts import Event
from shared.contracts import events as ev
from shared.contracts.topics import DIRECTORY, RESPONSES
from tests.handlers.memory import IN_MEMORY, in_memory, rows
from tests.handlers.memory import InMemoryBroker as _Broker
from tests.handlers.test_accountability_handlers import emitted, post, send, step, tick, with_milestone

pytestmark = pytest.mark.handlers
LEADER = "p-leader-1"  # the accountable leader of every action here


@pytest.fixture
async def accountability(database_url: str) -> AsyncIterator[_Broker]:
    # these specifications move the clock on weeks at a time, further than production's default step
    async with in_memory(build(AccountabilitySettings(kafka_bootstrap_servers=IN_MEMORY, database_url=database_url,
                                                      clock_max_step_days=92))) as broker:
        for person_id, roles, systems, delegate_for in [
            (LEADER, ["leader"], ["black-country"], []), ("p-leader-li", ["leader"], ["lincolnshire"], []),
            ("p-deputy", ["delegate"], [], [LEADER]), ("p-sro-bc", ["sro"], ["black-country"], []),
            ("p-chair", ["panel_chair"], [], []), ("p-board", ["board_member"], [], []),
            ("p-network-bc", ["staff_network_lead"], ["black-country"], []),
        ]:
            await send(broker, DIRECTORY.name, ev.PersonUpdated.new(source="portal", subject=person_id, data=ev.Person(
                person_id=person_id, name=person_id, email=f"{person_id}@example.org", roles=roles, systems=systems,
                delegate_for=delegate_for)))
        yield broker


async def act(broker: _Broker, event: Event) -> Event:
    return await send(broker, RESPONSES.name, event)


def plan(action_id: str, who: str, role: str) -> ev.RecoveryPlanSent:
    return ev.RecoveryPlanSent.new(source="portal", subject=action_id, data=ev.RecoveryPlan(
        action_id=action_id, summary="A new chair and a weekly working group", acting_person=who, acting_role=role,
        steps=[ev.RecoveryStep(what="Appoint a chair", by=date(2026, 3, 10))], recover_by=date(2026, 3, 10)))


def decision(action_id: str, who: str, role: str, kind: str = "challenge_issued", *, decision_id: str = "d-1",
             replaces: str | None = None, due: date | None = None) -> ev.PanelDecisionRecorded:
    return ev.PanelDecisionRecorded.new(source="portal", subject=action_id, data=ev.PanelDecision(
        decision_id=decision_id, meeting_id="panel-2026-Q1", action_id=action_id, kind=kind, due_date=due,
        acting_person=who, acting_role=role, replaces=replaces))


async def security_events(database_url: str) -> list[tuple[str, str | None, str]]:
    found = await rows(database_url, "SELECT type, acting_person, code FROM security_events ORDER BY on_date, type")
    return [(r["type"], r["acting_person"], r["code"]) for r in found]


async def on_the_agenda(broker: _Broker, *names: str) -> None:
    """Each action slips, climbs to the Panel's agenda, and the agenda of 26 March is published."""
    await tick(broker, date(2026, 2, 1))
    for name in names:
        await post(broker, with_milestone(name, date(2026, 2, 15)))
    await tick(broker, date(2026, 2, 16))
    await tick(broker, date(2026, 3, 3))
    await tick(broker, date(2026, 3, 23))


async def test_answer_from_another_leader_is_refused_and_recorded(accountability: _Broker, database_url: str):
    await tick(accountability, date(2026, 2, 1))
    await post(accountability, with_milestone("h-theirs", date(2026, 2, 15)))
    await tick(accountability, date(2026, 2, 16))  # the leader is asked, with 14 days to answer
    forged = await act(accountability, plan("h-theirs", "p-leader-li", "leader"))

    assert await security_events(database_url) == [("recovery_plan.sent", "p-leader-li", "without_the_right")]
    [refusal] = await rows(database_url, "SELECT reason, event_id FROM security_events")
    assert refusal["event_id"] == forged.event_id
    assert refusal["reason"] == ("p-leader-li is not the accountable leader of h-theirs, a delegate named for its "
                                 "leader, covering for its leader today, or the senior responsible owner of "
                                 "black-country")
    assert await rows(database_url, "SELECT 1 FROM responses") == []
    [esc] = await rows(database_url, "SELECT paused_until FROM escalations WHERE action_id = 'h-theirs'")
    assert esc["paused_until"] is None  # the climb is not paused: nothing changed
    await tick(accountability, date(2026, 3, 3))
    assert await step(database_url, "h-theirs") == "panel_agenda"


@pytest.mark.parametrize(("who", "role"), [(LEADER, "leader"), ("p-deputy", "delegate"), ("p-sro-bc", "sro")])
async def test_the_leader_their_delegate_and_the_systems_sro_answer_and_the_answer_pauses_the_climb(
        accountability: _Broker, database_url: str, who: str, role: str):
    await tick(accountability, date(2026, 2, 1))
    await post(accountability, with_milestone("h-planned", date(2026, 2, 15)))
    await tick(accountability, date(2026, 2, 16))
    await act(accountability, plan("h-planned", who, role))

    [kept] = await rows(database_url, "SELECT from_person, acting_role, kind, steps FROM responses")
    assert (kept["from_person"], kept["acting_role"], kept["kind"]) == (who, role, "recovery_plan")
    assert json.loads(kept["steps"]) == [{"what": "Appoint a chair", "by": "2026-03-10"}]
    await tick(accountability, date(2026, 3, 3))  # the leader's 14 days are over; the plan holds it 28
    assert await step(database_url, "h-planned") == "leader_asked"
    assert await security_events(database_url) == []


async def test_more_time_and_a_contested_flag_are_kept_in_the_history_and_hold_the_climb(
        accountability: _Broker, database_url: str):
    await tick(accountability, date(2026, 2, 1))
    await post(accountability, with_milestone("h-asks", date(2026, 2, 15)))
    await tick(accountability, date(2026, 2, 20))
    await act(accountability, ev.ExtensionRequested.new(source="portal", subject="h-asks", data=ev.ExtensionRequest(
        action_id="h-asks", new_due_date=date(2027, 3, 31), reason="The review panel starts in April",
        acting_person=LEADER, acting_role="leader")))
    await act(accountability, ev.FlagContested.new(source="portal", subject="h-asks", data=ev.FlagContest(
        action_id="h-asks", contested_status="off_track", reason="The milestone was met on the 14th",
        acting_person="p-sro-bc", acting_role="sro")))
    await tick(accountability, date(2026, 3, 5))  # past the leader's 14 days; held 14 days from the 20th

    assert await step(database_url, "h-asks") == "leader_asked"
    found = await rows(database_url, "SELECT kind, from_person, new_due_date, contested_status FROM requests"
                                     " ORDER BY happened")
    assert [tuple(r) for r in found] == [("extension_request", LEADER, date(2027, 3, 31), None),
                                         ("flag_contest", "p-sro-bc", None, "off_track")]


async def test_a_panel_decision_from_a_leader_is_refused(accountability: _Broker, database_url: str):
    await on_the_agenda(accountability, "h-item")
    await act(accountability, decision("h-item", LEADER, "panel_chair", "referred_to_board"))

    assert await security_events(database_url) == [("panel.decision_recorded", LEADER, "without_the_right")]
    assert await rows(database_url, "SELECT 1 FROM decisions") == []
    assert await step(database_url, "h-item") == "panel_agenda"  # not referred to the Board


async def test_the_chair_decides_on_an_item_of_the_published_agenda_only(accountability: _Broker, database_url: str):
    await on_the_agenda(accountability, "h-item")
    await post(accountability, with_milestone("h-elsewhere", date(2026, 6, 1)))
    await act(accountability, decision("h-elsewhere", "p-chair", "panel_chair", decision_id="d-0"))
    await act(accountability, decision("h-item", "p-chair", "panel_chair", "referred_to_board"))

    assert await security_events(database_url) == [("panel.decision_recorded", "p-chair", "not_on_the_agenda")]
    [kept] = await rows(database_url, "SELECT decision_id, acting_person, acting_role FROM decisions")
    assert tuple(kept) == ("d-1", "p-chair", "panel_chair")
    assert await step(database_url, "h-item") == "people_board"


async def test_a_decision_contradicting_an_earlier_one_must_name_it_and_then_replaces_it(
        accountability: _Broker, database_url: str):
    await on_the_agenda(accountability, "h-item")
    await act(accountability, decision("h-item", "p-chair", "panel_chair", "extension_granted", decision_id="d-1",
                                       due=date(2026, 4, 30)))
    await act(accountability, decision("h-item", "p-chair", "panel_chair", "extension_refused", decision_id="d-2"))
    await act(accountability, decision("h-item", "p-chair", "panel_chair", "extension_refused", decision_id="d-3",
                                       replaces="d-1"))

    assert await security_events(database_url) == [("panel.decision_recorded", "p-chair", "contradicts_a_decision")]
    found = await rows(database_url, "SELECT decision_id, replaces, replaced_by FROM decisions ORDER BY decision_id")
    assert [tuple(r) for r in found] == [("d-1", None, "d-3"), ("d-3", "d-1", None)]


async def test_a_consequence_on_an_action_referred_to_the_board_is_tracked_by_its_follow_up_date(
        accountability: _Broker, database_url: str):
    await on_the_agenda(accountability, "h-board", "h-panel")
    await act(accountability, decision("h-board", "p-chair", "panel_chair", "referred_to_board"))
    agreed = {"consequence": "Transformation funding held back", "owner": "p-sro-bc",
              "follow_up_by": date(2026, 4, 10), "acting_person": "p-board", "acting_role": "board_member"}
    await act(accountability, ev.ConsequenceAgreed.new(source="portal", subject="h-panel", data=ev.BoardConsequence(
        consequence_id="c-0", action_id="h-panel", **agreed)))
    await act(accountability, ev.ConsequenceAgreed.new(source="portal", subject="h-board", data=ev.BoardConsequence(
        consequence_id="c-1", action_id="h-board", **agreed)))
    await post(accountability, with_milestone("h-board", date(2026, 2, 15)).model_copy(update={
        "milestones": [ev.MilestoneState(milestone_id="m1", title="Review panel in place", due=date(2026, 2, 15),
                                         state="reached", on=date(2026, 3, 25))], "version": 2}))
    await tick(accountability, date(2026, 4, 10))
    assert await step(database_url, "h-board") is None  # back on track: the follow-up date has not passed
    await tick(accountability, date(2026, 4, 11))  # it passed with no answer from the leader

    assert await security_events(database_url) == [("consequence.agreed", "p-board", "not_referred_to_the_board")]
    [verdict] = await rows(database_url, "SELECT status, reasons FROM actions WHERE action_id = 'h-board'")
    assert verdict["status"] == "off_track"
    assert "board_follow_up_missed" in [r["rule"] for r in json.loads(verdict["reasons"])]  # (and slipped in Q1)
    assert (await emitted(database_url, "h-board"))[-1] == "escalation.raised"


async def test_a_staff_network_concern_is_kept_and_shown_on_the_agenda_and_another_systems_lead_is_refused(
        accountability: _Broker, database_url: str):
    def concern(system: str, who: str) -> ev.ConcernRaised:
        return ev.ConcernRaised.new(source="portal", subject="h-item", data=ev.StaffNetworkConcern(
            action_id="h-item", system=system, kind="challenge", text="BME staff were not asked",
            acting_person=who, acting_role="staff_network_lead"))

    await tick(accountability, date(2026, 2, 1))
    await post(accountability, with_milestone("h-item", date(2026, 2, 15)))
    await tick(accountability, date(2026, 2, 16))
    await act(accountability, concern("black-country", "p-network-bc"))
    await act(accountability, concern("black-country", "p-sro-bc"))
    await tick(accountability, date(2026, 3, 3))
    await tick(accountability, date(2026, 3, 23))

    assert await security_events(database_url) == [("concern.raised", "p-sro-bc", "without_the_right")]
    [agenda] = await rows(database_url, "SELECT agenda FROM agendas")
    [item] = json.loads(agenda["agenda"])["items"]
    assert item["concerns"] == ["Challenge: BME staff were not asked"]
    assert "staff network challenge" in [h["what"] for h in item["history"]]
