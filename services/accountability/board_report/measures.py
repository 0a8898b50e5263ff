"""Each measure's readings as the report shows them, from the read API's ``/measures`` (already
suppressed by the service): pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.contracts.vocabulary import date_in_words


@dataclass(frozen=True)
class MeasurePoint:
    label: str  # the period, or the reading's date
    value: float | None  # None: suppressed
    low: float | None
    high: float | None


@dataclass(frozen=True)
class MeasureTrend:
    action_id: str
    title: str
    system: str
    code: str
    name: str
    baseline: float
    target: float
    range_low: float | None
    range_high: float | None
    points: list[MeasurePoint]
    suppression: str

    @property
    def scale(self) -> tuple[float, float]:
        seen = [self.baseline, self.target, *(x for x in (self.range_low, self.range_high) if x is not None)]
        for p in self.points:
            seen += [x for x in (p.value, p.low, p.high) if x is not None]
        low, high = min(seen), max(seen)
        pad = (high - low) * 0.1 or 0.5
        return max(0.0, low - pad), high + pad


def build_measures(published: list[dict[str, Any]], system_names: dict[str, str]) -> list[MeasureTrend]:
    """Each measure with readings, from ``/measures`` (already suppressed): its trend, period by period."""
    out = []
    for m in published:
        if not m.get("readings"):
            continue
        spec = m["measure"]
        out.append(MeasureTrend(
            action_id=m["action_id"], title=m["title"], system=system_names.get(m["system"], m["system"]),
            code=spec["code"], name=(m.get("indicator") or {}).get("name") or spec["name"],
            baseline=spec["baseline"], target=spec["target"], range_low=spec.get("range_low"),
            range_high=spec.get("range_high"), suppression=m.get("suppression", ""),
            points=[MeasurePoint(label=r.get("period") or date_in_words(r["as_of"]), value=r.get("value"),
                                 low=r.get("low"), high=r.get("high")) for r in m["readings"]]))
    return out
