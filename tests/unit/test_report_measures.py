"""The Board's report draws each measure's trend against its target and range, from readings the
service has already suppressed; a suppressed reading is a labelled gap, never a number."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from services.accountability.board_report import build_report_data, render_html
from services.accountability.evidence import published_measure
from shared.contracts import events as ev
from shared.measures import figure
from tests.unit.test_board_report import summary

WRES3_COUNTS = [("2023/24", date(2024, 3, 31), (30, 150, 60, 900)),
                ("2024/25", date(2025, 3, 31), (3, 160, 55, 910)),
                ("2025/26", date(2026, 3, 31), (24, 170, 70, 920))]


def wres3_row(reference) -> dict:
    readings = []
    for period, on, (a, n1, c, n2) in WRES3_COUNTS:
        counts = ev.Counts(bme_numerator=a, bme_denominator=n1, white_numerator=c, white_denominator=n2)
        found = figure(reference.indicators["WRES-3"], counts)
        readings.append(ev.MeasureValue(value=found.value, low=found.low, high=found.high, as_of=on, period=period,
                                        counts=counts).model_dump(mode="json"))
    measure = ev.Measure(code="WRES-3", indicator="WRES-3", name="Disciplinary relative likelihood", baseline=1.6,
                         target=1.0, range_low=0.8, range_high=1.25)
    return {"action_id": "lin-ap3-1", "system": "lincolnshire", "action_point": "AP3", "status": "at_risk",
            "title": "Independent review of every formal disciplinary", "measure": measure.model_dump(mode="json"),
            "readings": readings}


def test_the_api_publishes_each_reading_with_its_interval_and_hides_the_small_one(reference):
    shown = published_measure(wres3_row(reference), reference, threshold=5)
    assert shown["indicator"]["id"] == "WRES-3"
    first, small, last = shown["readings"]
    assert round(first["value"], 2) == 3.0 and first["low"] < first["value"] < first["high"]
    assert small["suppressed"] and small["value"] is None and small["counts"]["bme_numerator"] is None
    assert "3" not in str(small["value"])
    assert last["counts"]["bme_numerator"] == 24


def test_the_report_draws_each_measure_against_its_target_and_range(reference, tmp_path: Path):
    status = {"as_of": "2026-03-31", "actions": [],
              "measures": [published_measure(wres3_row(reference), reference, threshold=5)]}
    data = build_report_data([summary("2026-Q1", final=False, totals={})], status, reference=reference)
    html = render_html(data)
    assert html.count('class="chart measure-chart"') == 1
    assert 'class="range"' in html and 'class="target"' in html
    assert html.count('class="measure-reading"') == 3
    assert 'data-period="2024/25" data-suppressed="true"' in html
    assert "Suppressed: figures from fewer than 5 people are not published" in html
    assert 'data-value="3.0000"' in html  # the first period: 30/150 against 60/900
