"""Words for people: real plurals, cycles as people say them, and the jargon a notice explains."""

from __future__ import annotations

import re

# Jargon a reader may not know, explained once at the foot of any letter that uses it.
TERMS = {
    "SRO": "SRO: the senior responsible owner, the executive who answers for the system's race equality plan.",
    "WRES": "WRES: the Workforce Race Equality Standard, NHS England's nine measures of how BME and White "
            "staff are treated (for example WRES-3, the relative likelihood of BME staff entering a formal "
            "disciplinary process compared with White staff).",
    "recovery plan": "A recovery plan: dated steps that bring the action back on track, and the date it will be.",
}


def plural(count: int, one: str, many: str | None = None) -> str:
    """'1 action', '4 actions': real plurals, never 'action(s)'."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def cycle_words(cycle_id: str) -> str:
    """'2026-Q1' as people say it: 'January to March 2026'."""
    found = re.fullmatch(r"(\d{4})-Q([1-4])", cycle_id)
    if not found:
        return cycle_id
    first = ["January to March", "April to June", "July to September", "October to December"][int(found[2]) - 1]
    return f"{first} {found[1]}"
