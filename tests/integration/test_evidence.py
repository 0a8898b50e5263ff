"""Evidence on the real broker and database: a WRES reading posted with its counts gets its ratio
and interval from the actions service, and the accountability service judges it against the
interval and publishes it with small numbers suppressed; good practice nominated by a staff network
lead, endorsed by the Panel, shown in the library and the report, and put forward for MIDAS."""

from __future__ import annotations

from datetime import date

import asyncpg
import pytest

from services.accountability.board_report.route import load
from shared.contracts import events as ev
from shared.contracts.topics import RESPONSES
from shared.measures import figure
from tests.integration.test_accountability_service import BARE, Harness
from tests.integration.test_accountability_service import acc as acc  # the harness fixture
from tests.integration.test_actions_service import WAIT, changes_for, new_id, post, running_actions
from tests.kafka_tools import eventually
from tests.samples import commitment, progress

pytestmark = pytest.mark.integration
WRES3 = ev.Measure(code="WRES-3", indicator="WRES-3", name="Disciplinary relative likelihood", baseline=1.6,
                   target=1.0)


async def test_the_actions_service_computes_a_readings_ratio_and_interval_from_its_counts(
        kafka, topics, database_url):
    aid = new_id()
    counts = ev.Counts(bme_numerator=27, bme_denominator=122, white_numerator=44, white_denominator=487)
    reading = ev.MeasureValue(value=2.45, as_of=date(2026, 4, 1), period="2025/26", counts=counts)
    async with running_actions(kafka, database_url):
        await post(kafka, commitment(action_id=aid, measure=WRES3), progress(action_id=aid, measure_value=reading))
        changes = await changes_for(kafka, aid, 2)
    snap = changes[-1].data.snapshot
    assert (snap.measure.range_low, snap.measure.range_high) == (0.80, 1.25)  # from the indicator
    [kept] = snap.measure_values
    assert (round(kept.value, 4), round(kept.low, 4), round(kept.high, 4)) == (2.4495, 1.5837, 3.7887)
    assert kept.counts == counts and kept.period == "2025/26"


def _reading(reference, period: str, on: date, a: int, n1: int, c: int, n2: int) -> ev.MeasureValue:
    counts = ev.Counts(bme_numerator=a, bme_denominator=n1, white_numerator=c, white_denominator=n2)
    found = figure(reference.indicators["WRES-3"], counts)
    return ev.MeasureValue(value=found.value, low=found.low, high=found.high, as_of=on, period=period, counts=counts)


async def test_a_measure_is_judged_against_its_interval_and_published_without_small_numbers(acc: Harness, reference):
    h = acc
    measure = WRES3.model_copy(update={"range_low": 0.8, "range_high": 1.25})
    await h.tick(date(2026, 2, 1))
    # 13 of 200 BME staff against 50 of 1000 White: 1.30, but the interval reaches back to 1.0.
    unsure = _reading(reference, "2024/25", date(2026, 1, 20), 13, 200, 50, 1000)
    await h.post("wres3", **BARE | {"measure": measure, "measure_values": [unsure]})
    status, rules = await h.verdict("wres3")
    assert (status, rules) == ("on_track", ["measure_not_yet_significant"])
    [said] = (await h.get(f"/status/action?id={h.aid('wres3')}"))["reasons"]
    assert said["message"].endswith("but its 95% interval reaches into the range: not yet significant.")

    # A year on, 40 of 200 against 50 of 1000: 4.0, the whole interval above the range (and worse than
    # the baseline of 1.6, which the worsening rule makes off track).
    sure = _reading(reference, "2025/26", date(2026, 1, 25), 40, 200, 50, 1000)
    await h.post("wres3", measure_values=[unsure, sure])
    status, rules = await h.verdict("wres3")
    assert (status, sorted(rules)) == ("off_track", ["measure_out_of_range", "measure_worsening"])  # and worse

    # Then a period whose count is 3 people: judged, but never published.
    small = _reading(reference, "2026/27", date(2026, 1, 30), 3, 200, 50, 1000)
    await h.post("wres3", measure_values=[unsure, sure, small])
    published = (await h.get(f"/measures?system={h.actions[h.aid('wres3')].system}"))["measures"]
    [mine] = [m for m in published if m["action_id"] == h.aid("wres3")]
    assert [r["suppressed"] for r in mine["readings"]] == [False, False, True]
    assert mine["readings"][2]["value"] is None and mine["readings"][2]["counts"]["bme_numerator"] is None
    detail = await h.get(f"/status/action?id={h.aid('wres3')}")
    assert all("0.3" not in r["message"] for r in detail["reasons"])  # 3 of 200 against 50 of 1000 = 0.3
    assert any("not published: it comes from fewer than 5 people" in r["message"] for r in detail["reasons"])


def _nominate(h: Harness, name: str, who: str, role: str, nid: str) -> ev.GoodPracticeNominated:
    action_id = h.aid(name)
    return ev.GoodPracticeNominated.new(source="portal", subject=action_id, data=ev.GoodPracticeNomination(
        nomination_id=nid, action_id=action_id, what_was_done="Independent review of every disciplinary first",
        what_changed=f"Fewer BME staff entered a formal process ({h.prefix})", evidence="WRES return 2025/26",
        acting_person=who, acting_role=role))


async def test_a_nomination_endorsed_by_the_panel_is_in_the_library_and_the_report(acc: Harness, reference,
                                                                                    postgres_admin: str):
    h = acc
    await h.person("p-net-bc", "staff_network_lead", systems=("black-country",))
    await h.person("p-net-li", "staff_network_lead", systems=("lincolnshire",))
    await h.person("p-chair", "panel_chair")
    await h.tick(date(2026, 2, 1))
    await h.post("practice", **BARE)
    nid, other = f"gp-{h.prefix}", f"gp-{h.prefix}-x"
    await h.publish(RESPONSES.name, _nominate(h, "practice", "p-net-li", "staff_network_lead", other))
    await h.publish(RESPONSES.name, _nominate(h, "practice", "p-net-bc", "staff_network_lead", nid))
    pending = await h.get(f"/good-practice?status=nominated&q={h.prefix}")
    assert [p["nomination_id"] for p in pending["practice"]] == [nid]  # the other system's lead was refused
    assert await h.val("SELECT code FROM security_events WHERE type = 'good_practice.nominated' "
                       "AND action_id = $1", h.aid("practice")) == "without_the_right"

    action_id = h.aid("practice")
    await h.tick(date(2026, 2, 20))
    await h.publish(RESPONSES.name, ev.GoodPracticeReviewed.new(
        source="portal", subject=action_id, data=ev.GoodPracticeReview(
            nomination_id=nid, action_id=action_id, decision="endorsed", note="Share it", acting_person="p-chair",
            acting_role="panel_chair")))
    await h.publish(RESPONSES.name, ev.AwardEntryUpdated.new(
        source="portal", subject=action_id, data=ev.AwardEntry(
            nomination_id=nid, action_id=action_id, status="put_forward", acting_person="p-chair",
            acting_role="panel_chair")))
    library = await h.get(f"/good-practice?q={h.prefix}")
    [entry] = library["practice"]
    assert (entry["status"], entry["reviewed_on"], entry["award_status"]) == ("endorsed", "2026-02-20",
                                                                              "put_forward")
    assert entry["what_changed"].startswith("Fewer BME staff entered a formal process")
    assert (await h.get("/good-practice?q=no-such-words-anywhere"))["practice"] == []

    summary = await h.get("/cycle-summary?cycle_id=2026-Q1")
    assert nid in [g["nomination_id"] for g in summary["good_practice"]]
    conn = await asyncpg.connect(h.database_url)
    try:
        summaries, _ = await load(conn, reference, cycle_id="2026-Q1")
    finally:
        await conn.close()
    assert nid in [g["nomination_id"] for g in summaries[0]["good_practice"]]
    await eventually(lambda: h.val("SELECT count(*) = 0 FROM outbox WHERE published_at IS NULL"), timeout=WAIT)
    await h.replays_the_same(postgres_admin)
