"""People acting on actions, through the real broker: the directory on ``notifications.directory`` and
the portal's events on ``governance.responses``. An act without the right is refused, recorded as a
security event (a row and a ``security_event`` log line) and changes nothing; the replay of the log,
the directory included, rebuilds the same state, refusals and all."""

from __future__ import annotations

from datetime import date

import pytest

from shared.contracts import events as ev
from shared.contracts.topics import RESPONSES
from tests.integration.test_accountability_service import BARE, Harness, milestone
from tests.integration.test_accountability_service import acc as acc  # the harness fixture

pytestmark = pytest.mark.integration


def plan(h: Harness, name: str, who: str, role: str) -> ev.RecoveryPlanSent:
    action_id = h.aid(name)
    return ev.RecoveryPlanSent.new(source="portal", subject=action_id, data=ev.RecoveryPlan(
        action_id=action_id, summary="A new chair and a weekly working group", acting_person=who, acting_role=role,
        steps=[ev.RecoveryStep(what="Appoint a chair", by=date(2026, 3, 10))], recover_by=date(2026, 3, 10)))


async def refusals(h: Harness) -> list[tuple[str, str, str]]:
    found = await h.rows("SELECT type, acting_person, code FROM security_events ORDER BY type")
    return [(r["type"], r["acting_person"], r["code"]) for r in found]


async def test_answer_from_another_leader_is_refused_and_recorded(acc: Harness, postgres_admin: str, capsys):
    h = acc
    await h.person("p-leader-li", "leader", systems=("lincolnshire",))
    await h.person("p-sro-bc", "sro", systems=("black-country",))
    await h.tick(date(2026, 2, 1))
    for name in ("theirs", "sro-answers"):
        await h.post(name, **BARE | {"milestones": [milestone(date(2026, 2, 15))]})
    await h.tick(date(2026, 2, 16))  # both leaders asked, with 14 days to answer
    await h.publish(RESPONSES.name, plan(h, "theirs", "p-leader-li", "leader"))
    await h.publish(RESPONSES.name, plan(h, "sro-answers", "p-sro-bc", "sro"))
    await h.tick(date(2026, 3, 3))

    assert await refusals(h) == [("recovery_plan.sent", "p-leader-li", "without_the_right")]
    assert "security_event" in capsys.readouterr().out
    assert await h.val("SELECT count(*) FROM responses WHERE action_id = $1", h.aid("theirs")) == 0
    assert [await h.step("theirs"), await h.step("sro-answers")] == ["panel_agenda", "leader_asked"]
    detail = await h.get(f"/status/action?id={h.aid('sro-answers')}")
    [answer] = [e for e in detail["history"] if e["what"] == "recovery plan"]
    assert (answer["from"], answer["role"], answer["steps"]) == (
        "p-sro-bc", "sro", [{"what": "Appoint a chair", "by": "2026-03-10"}])
    await h.replays_the_same(postgres_admin)


async def test_a_panel_decision_from_a_leader_is_refused_and_the_chairs_is_recorded(acc: Harness,
                                                                                      postgres_admin: str):
    h = acc
    await h.person("p-leader-1", "leader", systems=("black-country",))
    await h.tick(date(2026, 2, 1))
    await h.post("item", **BARE | {"milestones": [milestone(date(2026, 2, 15))]})
    for day in (date(2026, 2, 16), date(2026, 3, 3), date(2026, 3, 23)):  # asked, on the agenda, published
        await h.tick(day)
    await h.decide("item", "referred_to_board", by="p-leader-1", role="panel_chair")
    assert await refusals(h) == [("panel.decision_recorded", "p-leader-1", "without_the_right")]
    assert await h.step("item") == "panel_agenda"

    await h.decide("item", "referred_to_board")  # the chair
    assert await h.step("item") == "people_board"
    assert await h.val("SELECT acting_person FROM decisions WHERE action_id = $1", h.aid("item")) == "p-panel-chair"
    await h.replays_the_same(postgres_admin)
