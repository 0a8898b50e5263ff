"""Reference data (systems, action points) loaded from a TOML file, never from code."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,60}$|^[A-Za-z0-9]{1,20}$")


@dataclass(frozen=True)
class Named:
    id: str
    name: str


@dataclass(frozen=True)
class ReferenceData:
    systems: dict[str, Named]
    action_points: dict[str, Named]

    @classmethod
    def load(cls, path: Path) -> ReferenceData:
        raw = tomllib.loads(path.read_text())
        systems = {s["id"]: Named(s["id"], s["name"]) for s in raw.get("systems", [])}
        points = {p["id"]: Named(p["id"], p["title"]) for p in raw.get("action_points", [])}
        for sid in systems:
            if not _ID.match(sid):
                raise ValueError(f"{path}: system id {sid!r} must be lower-case letters, digits and '-'")
        if not systems or not points:
            raise ValueError(f"{path}: needs at least one [[systems]] and one [[action_points]]")
        return cls(systems, points)
