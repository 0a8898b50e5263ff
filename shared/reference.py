"""Reference data (systems, action points, the WRES indicators) loaded from TOML files, never from code."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,60}$|^[A-Za-z0-9]{1,20}$")
INDICATORS_FILE = "wres_indicators.toml"
DEFAULT_INDICATORS = Path(__file__).with_name(INDICATORS_FILE)

IndicatorKind = Literal["relative_likelihood", "percentage", "share_gap"]
Direction = Literal["higher_is_better", "lower_is_better", "towards_target"]


@dataclass(frozen=True)
class Named:
    id: str
    name: str


@dataclass(frozen=True)
class Indicator:
    """One WRES indicator: what it means, what a reading carries, which way is better."""

    id: str
    name: str
    definition: str
    computed_from: str
    kind: IndicatorKind
    direction: Direction
    compares: Literal["bme", "white"] = "bme"  # relative likelihood: whose rate is on top of the ratio
    range_low: float | None = None
    range_high: float | None = None

    @classmethod
    def from_toml(cls, raw: dict[str, Any], path: Path) -> Indicator:
        where = f"{path}: indicator {raw.get('id')!r}"
        if raw.get("kind") not in get_args(IndicatorKind):
            raise ValueError(f"{where}: kind must be one of {', '.join(get_args(IndicatorKind))}")
        if raw.get("direction") not in get_args(Direction):
            raise ValueError(f"{where}: direction must be one of {', '.join(get_args(Direction))}")
        if raw.get("compares", "bme") not in ("bme", "white"):
            raise ValueError(f"{where}: compares must be bme or white")
        missing = [k for k in ("id", "name", "definition", "computed_from") if not raw.get(k)]
        if missing:
            raise ValueError(f"{where}: needs {', '.join(missing)}")
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in raw.items() if k in known})


@dataclass(frozen=True)
class ReferenceData:
    systems: dict[str, Named]
    action_points: dict[str, Named]
    indicators: dict[str, Indicator] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> ReferenceData:
        """The systems and action points in ``path``; the indicators in the ``wres_indicators.toml``
        beside it when there is one, else the project's own."""
        raw = tomllib.loads(path.read_text())
        systems = {s["id"]: Named(s["id"], s["name"]) for s in raw.get("systems", [])}
        points = {p["id"]: Named(p["id"], p["title"]) for p in raw.get("action_points", [])}
        for sid in systems:
            if not _ID.match(sid):
                raise ValueError(f"{path}: system id {sid!r} must be lower-case letters, digits and '-'")
        if not systems or not points:
            raise ValueError(f"{path}: needs at least one [[systems]] and one [[action_points]]")
        beside = path.with_name(INDICATORS_FILE)
        return cls(systems, points, load_indicators(beside if beside.is_file() else DEFAULT_INDICATORS))


def load_indicators(path: Path) -> dict[str, Indicator]:
    raw = tomllib.loads(path.read_text())
    found = [Indicator.from_toml(i, path) for i in raw.get("indicators", [])]
    indicators = {i.id: i for i in found}
    if len(indicators) != len(found):
        raise ValueError(f"{path}: two indicators share an id")
    return indicators
