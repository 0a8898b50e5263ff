"""The arithmetic behind a WRES reading: the figure a reading's counts give and its 95 %
confidence interval. Pure: no I/O.

Methods (each the standard one for its kind of figure; written out here because they are a
few lines of the standard library's ``NormalDist``, where a library would bring SciPy and
NumPy into every service image):

- a relative likelihood (a ratio of two rates, the "risk ratio") by Katz's log method: the
  log of the ratio plus or minus z times sqrt(1/a - 1/n1 + 1/c - 1/n2). This is the interval
  SciPy's ``scipy.stats.contingency.relative_risk`` and R epitools' ``riskratio.wald`` give;
  the worked example in the tests is Sahai and Khurshid, *Statistics in Epidemiology* (1996),
  example 3.1.
- a percentage by Wilson's score interval; worked example: Newcombe, "Two-sided confidence
  intervals for the single proportion", Statistics in Medicine 17 (1998) 857-872.
- a difference of two percentages (indicator 9) by Newcombe's hybrid score method (method 10
  of Newcombe, "Interval estimation for the difference between independent proportions",
  Statistics in Medicine 17 (1998) 873-890), which is built from the two Wilson intervals.

A ratio with no case in one group has no log interval: the figure is given (0 when the top
group has none) without an interval; a ratio whose bottom group has no case has no figure at
all, and the reading is refused with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

from shared.contracts.events import Counts
from shared.reference import Indicator

Z95 = NormalDist().inv_cdf(0.975)  # 1.959963...


class CountsError(ValueError):
    """The counts cannot give the indicator's figure; the message says why, for the sender."""


@dataclass(frozen=True)
class Figure:
    value: float
    low: float | None
    high: float | None


def relative_likelihood(a: int, n1: int, c: int, n2: int, z: float = Z95) -> Figure:
    """(a / n1) / (c / n2) with Katz's log interval; ``CountsError`` when c is 0 (no ratio)."""
    if c == 0:
        raise CountsError("the comparison group has no cases, so there is no ratio")
    ratio = (a / n1) / (c / n2)
    if a == 0:
        return Figure(0.0, None, None)
    spread = z * math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
    return Figure(ratio, ratio * math.exp(-spread), ratio * math.exp(spread))


def _wilson(k: int, n: int, z: float) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def percentage(k: int, n: int, z: float = Z95) -> Figure:
    """100 k / n with Wilson's score interval, in percent."""
    low, high = _wilson(k, n, z)
    return Figure(100 * k / n, 100 * low, 100 * high)


def share_gap(k1: int, n1: int, k2: int, n2: int, z: float = Z95) -> Figure:
    """100 (k1/n1 - k2/n2) in percentage points with Newcombe's hybrid score interval."""
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = _wilson(k1, n1, z)
    l2, u2 = _wilson(k2, n2, z)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return Figure(100 * d, 100 * low, 100 * high)


def _pair(counts: Counts, top: str, bottom: str) -> tuple[int, int]:
    k, n = getattr(counts, top), getattr(counts, bottom)
    if k is None or n is None:
        raise CountsError(f"needs {top} and {bottom}")
    if n <= 0:
        raise CountsError(f"{bottom} is {n}; it must be at least 1")
    if not 0 <= k <= n:
        raise CountsError(f"{top} is {k}; it must be 0 to {bottom} ({n})")
    return k, n


def figure(indicator: Indicator, counts: Counts) -> Figure:
    """The figure and interval ``indicator`` takes from ``counts``; ``CountsError`` saying which count is
    missing or impossible."""
    where = f"{indicator.id} ({indicator.kind.replace('_', ' ')})"
    try:
        if indicator.kind == "relative_likelihood":
            bme = _pair(counts, "bme_numerator", "bme_denominator")
            white = _pair(counts, "white_numerator", "white_denominator")
            top, bottom = (bme, white) if indicator.compares == "bme" else (white, bme)
            return relative_likelihood(*top, *bottom)
        if indicator.kind == "percentage":
            return percentage(*_pair(counts, "numerator", "denominator"))
        return share_gap(*_pair(counts, "numerator", "denominator"),
                         *_pair(counts, "comparison_numerator", "comparison_denominator"))
    except CountsError as exc:
        raise CountsError(f"{where}: {exc}") from None
