"""The WRES indicators as reference data, and the arithmetic of a reading: its figure and its
95 % confidence interval, checked against published worked examples (each test says which)."""

from datetime import date

import pytest

from services.actions.domain import Change, Refusal, decide
from shared.contracts import events as ev
from shared.measures import CountsError, figure, percentage, relative_likelihood, share_gap
from tests.samples import commitment, progress

SYS = "black-country"
WRES3 = ev.Measure(code="WRES-3", indicator="WRES-3", name="Disciplinary relative likelihood", baseline=1.6,
                   target=1.0)


def test_the_nine_wres_indicators_are_reference_data_with_their_ranges(reference):
    assert list(reference.indicators) == [f"WRES-{n}" for n in range(1, 10)]
    for n in (2, 3, 4):
        rl = reference.indicators[f"WRES-{n}"]
        assert (rl.kind, rl.range_low, rl.range_high) == ("relative_likelihood", 0.80, 1.25)
    assert reference.indicators["WRES-3"].compares == "bme"
    assert reference.indicators["WRES-2"].compares == "white"
    assert reference.indicators["WRES-7"].direction == "higher_is_better"
    assert reference.indicators["WRES-9"].kind == "share_gap"


def test_relative_likelihood_matches_sahai_and_khurshid_example_3_1():
    # Sahai and Khurshid, Statistics in Epidemiology (1996), example 3.1 (also the example of
    # scipy.stats.contingency.relative_risk): 27 of 122 against 44 of 487.
    found = relative_likelihood(27, 122, 44, 487)
    assert found.value == pytest.approx(2.44952, abs=1e-5)
    assert (found.low, found.high) == (pytest.approx(1.58370, abs=1e-5), pytest.approx(3.78868, abs=1e-5))


def test_percentage_interval_matches_newcombes_wilson_examples():
    # Newcombe, Statistics in Medicine 17 (1998) 857-872, table II, method 3 (Wilson score).
    found = percentage(81, 263)
    assert (round(found.low / 100, 4), round(found.high / 100, 4)) == (0.2553, 0.3662)
    found = percentage(15, 148)
    assert (round(found.low / 100, 4), round(found.high / 100, 4)) == (0.0624, 0.1605)


def test_share_gap_interval_matches_newcombes_hybrid_score_example():
    # Newcombe, Statistics in Medicine 17 (1998) 873-890, example (a) 56/70 - 48/80, method 10.
    found = share_gap(56, 70, 48, 80)
    assert found.value == pytest.approx(20.0)
    assert (round(found.low / 100, 4), round(found.high / 100, 4)) == (0.0524, 0.3339)


def test_a_ratio_with_no_case_in_the_comparison_group_is_refused_in_words(reference):
    counts = ev.Counts(bme_numerator=3, bme_denominator=100, white_numerator=0, white_denominator=400)
    with pytest.raises(CountsError, match="no cases, so there is no ratio"):
        figure(reference.indicators["WRES-3"], counts)


def test_wres_2_puts_white_applicants_rate_on_top(reference):
    counts = ev.Counts(bme_numerator=10, bme_denominator=100, white_numerator=30, white_denominator=200)
    assert figure(reference.indicators["WRES-2"], counts).value == pytest.approx(1.5)


def _committed(reference, measure: ev.Measure) -> ev.ActionSnapshot:
    result = decide(None, commitment(measure=measure), SYS, reference)
    assert isinstance(result, Change), result
    return result.snapshot


def test_a_measure_naming_an_unknown_indicator_is_refused_with_its_own_code(reference):
    result = decide(None, commitment(measure=WRES3.model_copy(update={"indicator": "WRES-10"})), SYS, reference)
    assert isinstance(result, Refusal)
    assert result.code == "unknown_indicator"
    assert "'WRES-10' is not a WRES indicator" in result.reason


def test_an_indicators_non_adverse_range_applies_when_the_measure_gives_none(reference):
    snap = _committed(reference, WRES3)
    assert (snap.measure.range_low, snap.measure.range_high) == (0.80, 1.25)


def test_the_service_computes_a_readings_ratio_and_interval_from_its_counts(reference):
    snap = _committed(reference, WRES3)
    counts = ev.Counts(bme_numerator=27, bme_denominator=122, white_numerator=44, white_denominator=487)
    result = decide(snap, progress(measure_value=ev.MeasureValue(value=2.45, as_of=date(2026, 4, 1),
                                                                 period="2025/26", counts=counts)), SYS, reference)
    assert isinstance(result, Change), result
    reading = result.snapshot.measure_values[-1]
    assert reading.value == pytest.approx(2.44952, abs=1e-5)
    assert (reading.low, reading.high) == (pytest.approx(1.5837, abs=1e-4), pytest.approx(3.7887, abs=1e-4))


def test_a_value_that_disagrees_with_its_counts_is_refused_saying_what_they_give(reference):
    snap = _committed(reference, WRES3)
    counts = ev.Counts(bme_numerator=27, bme_denominator=122, white_numerator=44, white_denominator=487)
    result = decide(snap, progress(measure_value=ev.MeasureValue(value=1.3, as_of=date(2026, 4, 1), counts=counts)),
                    SYS, reference)
    assert isinstance(result, Refusal)
    assert (result.code, result.reason) == ("value_disagrees_with_counts",
                                            "WRES-3: the value sent is 1.3 but its counts give 2.45")


@pytest.mark.parametrize(("counts", "says"), [
    (dict(bme_numerator=5, bme_denominator=100), "needs white_numerator and white_denominator"),
    (dict(bme_numerator=120, bme_denominator=100, white_numerator=4, white_denominator=50),
     "bme_numerator is 120; it must be 0 to bme_denominator (100)"),
    (dict(bme_numerator=0, bme_denominator=0, white_numerator=4, white_denominator=50),
     "bme_denominator is 0; it must be at least 1"),
])
def test_impossible_counts_are_refused_naming_the_count(reference, counts, says):
    snap = _committed(reference, WRES3)
    reading = ev.MeasureValue(value=1.0, as_of=date(2026, 4, 1), counts=ev.Counts(**counts))
    result = decide(snap, progress(measure_value=reading), SYS, reference)
    assert isinstance(result, Refusal)
    assert result.code == "invalid_counts"
    assert says in result.reason


def test_a_later_reading_for_the_same_period_replaces_the_earlier_one(reference):
    snap = _committed(reference, WRES3)
    for value, day in ((1.5, 1), (1.4, 2)):
        result = decide(snap, progress(as_of=date(2026, 4, day), measure_value=ev.MeasureValue(
            value=value, as_of=date(2026, 4, day), period="2025/26")), SYS, reference)
        assert isinstance(result, Change), result
        snap = result.snapshot
    assert [(v.period, v.value) for v in snap.measure_values] == [("2025/26", 1.4)]
