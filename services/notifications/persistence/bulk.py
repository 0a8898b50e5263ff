"""Many escalations' notices in a few statements: what ``add_item``, ``remember_action``,
``close_acknowledgements`` and ``answered`` do for one, done for a run of them (a batch's
escalations, each about a different escalation and a different action)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from ..domain import notice_id_for
from ..items import NoticeItem, item_to_json


@dataclass(frozen=True)
class NewItem:
    """What ``add_item`` is given: ``recipient`` must hear about ``about``/``step`` on ``channel``."""

    kind: str
    about: str
    step: str
    recipient: str
    channel: str
    content: NoticeItem
    issued_at: datetime
    group_key: str | None = None
    group_wait: timedelta = timedelta(0)
    needs_ack: bool = False

    @property
    def key(self) -> tuple[str, str, str, str]:
        return self.about, self.step, self.recipient, self.channel


async def remember_actions(conn: asyncpg.Connection, actions: Sequence[tuple[str, str, str, str | None]]) -> None:
    """``remember_action`` for many (action id, system, title, leader), each action once."""
    if actions:
        await conn.execute(
            """INSERT INTO actions (action_id, system, title, accountable_leader)
               SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
               ON CONFLICT (action_id) DO UPDATE SET system = EXCLUDED.system, title = EXCLUDED.title,
                   accountable_leader = COALESCE(EXCLUDED.accountable_leader, actions.accountable_leader)""",
            *(list(column) for column in zip(*actions, strict=True)))


async def close_acknowledgements(conn: asyncpg.Connection, abouts: Sequence[str]) -> None:
    """``close_acknowledgements`` for many escalations."""
    await conn.execute("UPDATE notices SET ack_closed = true WHERE about = ANY($1::text[]) AND needs_ack"
                       " AND NOT ack_closed", list(abouts))


async def answered(conn: asyncpg.Connection, abouts: Sequence[str]) -> set[str]:
    """The escalations among ``abouts`` whose leader answered (a receipt was recorded for it)."""
    rows = await conn.fetch("SELECT DISTINCT about FROM notice_items WHERE about = ANY($1::text[])"
                            " AND step LIKE 'answer:%'", list(abouts))
    return {r["about"] for r in rows}


async def add_items(conn: asyncpg.Connection, items: Sequence[NewItem]) -> int:
    """The notices of ungrouped items (each its own notice, named by its key, as ``add_item`` names it)
    in three statements; how many items were new. An item already recorded is skipped, so each notice
    happens once. Grouped items join their group's notice one by one (``add_item``): several in a run
    may join the same group, which one ``INSERT ... ON CONFLICT DO UPDATE`` cannot do."""
    if not items:
        return 0
    assert all(i.group_key is None for i in items), "grouped items join their group through add_item"
    keys = [i.key for i in items]
    seen = {tuple(r) for r in await conn.fetch(
        "SELECT about, step, recipient, channel FROM notice_items WHERE (about, step, recipient, channel) IN"
        " (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]))",
        *(list(column) for column in zip(*keys, strict=True)))}
    new = [i for i in items if i.key not in seen]
    if not new:
        return 0
    ids = [notice_id_for(i.about, i.step, i.recipient, i.channel) for i in new]
    await conn.execute(
        """INSERT INTO notices (notice_id, kind, about, recipient, channel, status, needs_ack, issued_at)
           SELECT n, k, a, r, c, 'pending', na, ia
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bool[], $7::timestamptz[])
               AS t(n, k, a, r, c, na, ia)
           ON CONFLICT (notice_id) DO NOTHING""",
        ids, [i.kind for i in new], [i.about for i in new], [i.recipient for i in new], [i.channel for i in new],
        [i.needs_ack for i in new], [i.issued_at for i in new])
    inserted = await conn.fetch(
        """INSERT INTO notice_items (about, step, recipient, channel, notice_id, content)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[])
           ON CONFLICT DO NOTHING RETURNING notice_id""",
        [i.about for i in new], [i.step for i in new], [i.recipient for i in new], [i.channel for i in new], ids,
        [item_to_json(i.content) for i in new])
    return len(inserted)
