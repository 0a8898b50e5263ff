"""Cover and delegation: who acts for an accountable leader, when. Pure: no I/O.

A leader names a delegate for one action, or cover for all their actions for a period (leave),
each from a first day to a last day: cover ends by itself. While it holds, the ladder's notices
go to the person covering and copy the leader, and answers from the person covering count, in
the role ``cover``, recorded as acting for the leader.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shared.contracts import events as ev

COVER = "cover"
LEADER = "leader"


@dataclass(frozen=True)
class CoverPeriod:
    cover: str
    leader: str
    action_id: str | None  # None: every action of the leader
    starts_on: date
    ends_on: date

    def holds(self, leader: str, action_id: str, today: date | None) -> bool:
        return (today is not None and self.leader == leader and self.action_id in (None, action_id)
                and self.starts_on <= today <= self.ends_on)


def covering(periods: list[CoverPeriod], leader: str, action_id: str, today: date | None) -> list[str]:
    """Who covers for ``leader`` on ``action_id`` today (the most specific first: a delegate named
    for the action before cover for all the leader's actions)."""
    found = sorted((p for p in periods if p.holds(leader, action_id, today)), key=lambda p: p.action_id is None)
    return list(dict.fromkeys(p.cover for p in found))


def addressed(leader: str, covers: list[str]) -> tuple[list[str], list[str]]:
    """Who is asked and who is copied: the person covering, copying the leader; else the leader."""
    return (covers[:1], [leader]) if covers else ([leader], [])


def refusal(c: ev.Cover) -> str | None:
    """Why a cover cannot be arranged, in words; None when it can. Only the leader names their
    cover (the portal binds the act to who is signed in)."""
    if c.acting_person != c.leader or c.acting_role != LEADER:
        return f"{c.acting_person} is not {c.leader}: only a leader names who covers for them"
    if c.cover == c.leader:
        return "a leader cannot cover for themselves"
    if c.ends_on < c.starts_on:
        return f"the cover ends on {c.ends_on}, before it starts on {c.starts_on}"
    return None
