"""Small numbers protected: what of a reading may leave the service for someone without the
right to see its counts. Pure: no I/O.

A count of fewer than ``threshold`` people (5 by default, as NHS statistical disclosure
guidance does) is never published, and neither is anything it could be worked out from:

- primary: a group of fewer than ``threshold`` people hides its numerator and its
  denominator; a numerator of 1 to ``threshold - 1``, or one that leaves 1 to
  ``threshold - 1`` people outside it (the denominator is published, so the rest would be a
  subtraction away), hides the numerator;
- secondary: once any count of a reading is hidden, so are the figure and its interval (from
  the figure and the other counts the hidden one is arithmetic), and in a row of cells
  published with its total, a lone hidden cell takes the next smallest with it, and so on
  until the hidden cells add up to at least ``threshold``.

Zero is published: "nobody" identifies nobody, and WRES reports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.contracts.events import MeasureValue

DEFAULT_THRESHOLD = 5
# The pairs a reading's counts come in: (numerator, denominator).
PAIRS = (("bme_numerator", "bme_denominator"), ("white_numerator", "white_denominator"),
         ("numerator", "denominator"), ("comparison_numerator", "comparison_denominator"))


TOTAL = "total"  # the key hidden_in_row adds when the row's total may not be published either


def small(n: int, threshold: int) -> bool:
    return 0 < n < threshold


def hidden_in_row(cells: dict[str, int], threshold: int = DEFAULT_THRESHOLD, total_published: bool = True) -> set[str]:
    """The cells of a row that may not be published: the small ones, and, when the row's total is
    published, the next smallest until the hidden ones are two or more and add up to the threshold
    (else the total minus the rest gives them away); ``TOTAL`` too when that hides every cell."""
    hidden = {k for k, n in cells.items() if small(n, threshold)}
    if not total_published:
        return hidden
    # One hidden cell is the total minus the rest; hidden cells adding up to fewer than the
    # threshold are a small number together. Take the next smallest until neither holds.
    while hidden and (len(hidden) == 1 or sum(cells[k] for k in hidden) < threshold) and len(hidden) < len(cells):
        # Zeros last: a hidden zero is told apart from the counts around it too easily.
        hidden.add(min((k for k in cells if k not in hidden), key=lambda k: (cells[k] == 0, cells[k], k)))
    if hidden and len(hidden) == len(cells):
        hidden.add(TOTAL)  # every cell hidden: the total alone would narrow them down to a few rows
    return hidden


@dataclass(frozen=True)
class PublishedReading:
    """A reading as it may be shown: None in place of every hidden number."""

    as_of: str
    period: str | None
    value: float | None
    low: float | None
    high: float | None
    counts: dict[str, int | None] = field(default_factory=dict)
    suppressed: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of, "period": self.period, "value": self.value, "low": self.low,
                "high": self.high, "counts": self.counts, "suppressed": self.suppressed}


def hidden_counts(counts: dict[str, int | None], threshold: int = DEFAULT_THRESHOLD) -> set[str]:
    """The counts of one reading that may not be published (primary suppression, pair by pair)."""
    hidden: set[str] = set()
    for top, bottom in PAIRS:
        k, n = counts.get(top), counts.get(bottom)
        if k is None or n is None:
            continue
        if n < threshold:
            hidden |= {top, bottom}
        elif small(k, threshold) or small(n - k, threshold):
            hidden.add(top)
    return hidden


def publish(reading: MeasureValue, threshold: int = DEFAULT_THRESHOLD) -> PublishedReading:
    """``reading`` with its small numbers, and what they could be worked out from, taken out."""
    counts: dict[str, int | None] = (
        reading.counts.model_dump(exclude_none=True) if reading.counts is not None else {})
    hidden = hidden_counts(counts, threshold)
    if not hidden:
        return PublishedReading(reading.as_of.isoformat(), reading.period, reading.value, reading.low, reading.high,
                                counts)
    return PublishedReading(reading.as_of.isoformat(), reading.period, None, None, None,
                            {k: None if k in hidden else n for k, n in counts.items()}, suppressed=True)


def suppressed_in_words(threshold: int = DEFAULT_THRESHOLD) -> str:
    return f"not published: it comes from fewer than {threshold} people"
