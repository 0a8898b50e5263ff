"""Small numbers protected: no count of fewer than five people can be read, or worked out, from
what is published. Hypothesis plays the attacker: it tries every count that could lie behind a
publication and checks that a hidden count is never pinned down to one value."""

from datetime import date
from itertools import product

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.contracts import events as ev
from shared.disclosure import TOTAL, hidden_in_row, publish
from shared.measures import CountsError, figure
from shared.reference import Indicator

WRES3 = Indicator(id="WRES-3", name="n", definition="d", computed_from="c", kind="relative_likelihood",
                  direction="towards_target", compares="bme", range_low=0.8, range_high=1.25)
MAX = 11  # small groups keep the attacker's search short; the rule does not depend on size


def reading(a: int, n1: int, c: int, n2: int) -> ev.MeasureValue | None:
    counts = ev.Counts(bme_numerator=a, bme_denominator=n1, white_numerator=c, white_denominator=n2)
    try:
        found = figure(WRES3, counts)
    except CountsError:
        return None
    return ev.MeasureValue(value=found.value, low=found.low, high=found.high, as_of=date(2026, 3, 31), counts=counts)


def test_a_count_of_three_is_suppressed_with_the_ratio_it_would_give_away():
    shown = publish(reading(3, 40, 20, 400))
    assert shown.suppressed
    assert (shown.value, shown.low, shown.high) == (None, None, None)
    assert shown.counts == {"bme_numerator": None, "bme_denominator": 40, "white_numerator": 20,
                            "white_denominator": 400}


def test_a_reading_from_enough_people_is_published_whole():
    shown = publish(reading(27, 122, 44, 487))
    assert not shown.suppressed
    assert shown.counts["bme_numerator"] == 27 and shown.value is not None


def test_a_group_of_fewer_than_five_people_hides_both_its_counts():
    shown = publish(reading(0, 4, 20, 400))
    assert shown.counts["bme_numerator"] is None and shown.counts["bme_denominator"] is None


@settings(max_examples=100, deadline=None)
@given(n1=st.integers(1, MAX), n2=st.integers(1, MAX), data=st.data())
def test_no_hidden_count_can_be_recovered_from_a_published_reading(n1, n2, data):
    a = data.draw(st.integers(0, n1))
    c = data.draw(st.integers(1, n2))
    actual = reading(a, n1, c, n2)
    assert actual is not None
    shown = publish(actual)
    hidden = [k for k, v in shown.counts.items() if v is None]
    if not hidden:
        assert all(v is None or not 0 < v < 5 for v in actual.counts.model_dump().values())
        return
    # The attacker: every set of counts that would have been published exactly like this.
    fields = ("bme_numerator", "bme_denominator", "white_numerator", "white_denominator")
    ranges = [range(0, MAX + 1) if shown.counts[f] is None else [shown.counts[f]] for f in fields]
    candidates = [cand for cand in product(*ranges)
                  if (r := reading(*cand)) is not None and publish(r) == shown]
    for f in hidden:
        i = fields.index(f)
        assert len({cand[i] for cand in candidates}) > 1, f"{f} recovered from {shown}"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=2, max_size=5))
def test_a_lone_small_cell_in_a_row_published_with_its_total_takes_another_with_it(cells):
    row = {f"band-{i}": n for i, n in enumerate(cells)}
    hidden = hidden_in_row(row)
    assert {k for k, n in row.items() if 0 < n < 5} <= hidden
    if not hidden or TOTAL in hidden:
        return  # nothing hidden, or nothing published but that the row exists
    total = sum(cells)
    shown = {k: n for k, n in row.items() if k not in hidden}
    # The attacker of a disclosure audit: the shown cells and the total bound the hidden ones;
    # which values can each hidden cell still take?
    keys = sorted(hidden)
    rest = total - sum(shown.values())
    fits = [vals for vals in product(range(rest + 1), repeat=len(keys)) if sum(vals) == rest]
    for i, k in enumerate(keys):
        if 0 < row[k] < 5:
            assert len({v[i] for v in fits}) >= 5, f"{k} narrowed down from {shown} and the total {total}"
