"""What a letter is made of (its lines, its context, the letter itself) and the words for people:
real plurals, cycles as people say them, and the jargon a notice explains."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NotRequired, TypedDict

SystemNames = Mapping[str, str]


class Line(TypedDict):
    """One action in a letter's list: its title, its system, why, what is asked, and its page."""

    title: str
    system: str
    why: list[str]
    extra: str
    url: str
    ack_url: NotRequired[str]  # in a day's digest: where this section's notice is acknowledged
    link_label: NotRequired[str]  # what the link opens, when it is not the action's page


@dataclass(frozen=True)
class Context:
    """What a letter needs besides its items, read from the directory and settings when it is sent:
    system names (reference data), the portal's public address, and who to contact (by system: the
    SRO; otherwise the Panel's secretary), each as "Name (email)"."""

    system_names: SystemNames = field(default_factory=dict)
    portal_url: str = ""
    sros: Mapping[str, str] = field(default_factory=dict)
    secretary: str = ""
    today: str = ""  # the governance date the letter is dated, in words
    attached: tuple[str, ...] = ()  # the files the e-mail carries (the Board's report at the cycle's close)


@dataclass
class Letter:
    """The content of a notice in plain words."""

    subject: str
    greeting: str
    opening: str
    items: list[Line] = field(default_factory=list)
    ask: str = ""
    by_when: str = ""
    then: str = ""  # what happens at that date
    how_to_answer: str = ""
    ack_url: str | None = None
    items_heading: str = "What slipped, and why"
    contact: str = ""
    terms: list[str] = field(default_factory=list)  # the jargon the letter uses, explained
    dated: str = ""  # the governance date, in words, at the head of the letter


# Jargon a reader may not know, explained once at the foot of any letter that uses it.
TERMS = {
    "SRO": "SRO: the senior responsible owner, the executive who answers for the system's race equality plan.",
    "WRES": "WRES: the Workforce Race Equality Standard, NHS England's nine measures of how BME and White "
            "staff are treated (for example WRES-3, the relative likelihood of BME staff entering a formal "
            "disciplinary process compared with White staff).",
    "points behind": "Points behind: how many percentage points progress is below the plan for that date; "
                     "the allowance is how far behind an action may be before it counts as slipping.",
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


def in_words(text: str) -> str:
    """A reason's cycle ids ("cycle 2026-Q1") as people say them ("the January to March 2026 cycle")."""
    text = re.sub(r"\bcycle (\d{4}-Q[1-4])\b", lambda m: f"the {cycle_words(m[1])} cycle", text)
    return re.sub(r"\b\d{4}-Q[1-4]\b", lambda m: cycle_words(m[0]), text)
