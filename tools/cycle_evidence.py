"""The scripted cycle's evidence (issue 16), in its own module so the story's other parts stay
apart: one system without tooling imports a sheet (WRES indicator 3 with its counts for three
periods, one period from too few people to publish, and one bad row), first as a dry run, then
for real, then again, which posts nothing; its staff network lead nominates the work as good
practice in the portal, and the Panel's chair endorses it and puts it forward for MIDAS.

``tools.scripted_cycle`` calls ``imported`` once the cycle's first updates are in and
``endorsed`` before the Panel meets.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from openpyxl import Workbook

from services.actions import bulk_import
from shared.contracts import parse_event
from shared.contracts.topics import system_inbound
from shared.reference import ReferenceData
from shared.settings import DEFAULT_REFERENCE_DATA
from tools.cycle_cast import CHAIR, YEAR, Cast, leader
from tools.cycle_portal import PortalPeople, until
from tools.portal_cast import staff_network_lead

HEADER = ["external_id", "kind", "action_id", "action_point", "title", "accountable_leader", "start_date",
          "due_date", "indicator", "baseline", "target", "as_of", "period", "percent_complete", "working",
          "bme_numerator", "bme_denominator", "white_numerator", "white_denominator"]


def importing_system(cast: Cast, made_systems: list[str]) -> str:
    """A system with no other part in the story."""
    busy = {cast.silent_system, *(a.rsplit("-ap", 1)[0] for a in (cast.recovers, cast.ignores, cast.measure))}
    return next(s for s in reversed(made_systems) if s not in busy)


def sheet_rows(system: str) -> list[list[Any]]:
    action = f"{system}-wres3"
    day = date(YEAR, 1, 20).isoformat()
    blank = [""] * 8
    return [
        ["IMP-1", "commitment", action, "AP3", "Halve the gap in formal disciplinaries for BME staff",
         leader(system, 1), date(YEAR, 1, 5).isoformat(), date(YEAR, 12, 31).isoformat(), "WRES-3", "1.6", "1.0"],
        ["IMP-2", "measure", action, *blank, date(YEAR - 2, 3, 31).isoformat(), "2023/24", "", "", 27, 150, 110, 880],
        # 3 people: the figure is suppressed wherever it is shown
        ["IMP-3", "measure", action, *blank, date(YEAR - 1, 3, 31).isoformat(), "2024/25", "", "", 3, 160, 52, 905],
        ["IMP-4", "measure", action, *blank, day, "2025/26", "", "", 19, 170, 95, 920],
        ["IMP-5", "progress", action, *blank, day, "", "15%", "Independent reviewer in post"],  # a bad row
        ["IMP-6", "progress", action, *blank, day, "", "15", "Independent reviewer in post since January"],
    ]


def write_sheet(path: Path, system: str) -> Path:
    book = Workbook()
    page = book.active
    assert page is not None
    page.title = "updates"
    page.append(HEADER)
    for row in sheet_rows(system):
        page.append(row)
    book.save(path)
    return path


class Evidence:
    def __init__(self, *, out: Path, actions_url: str, accountability_url: str, people: PortalPeople,
                 send: Callable[[str, bytes, str], Any], say: Callable[[str], None], cast: Cast,
                 systems: list[str], api_headers: dict[str, str] | None = None) -> None:
        self.out, self.actions_url, self.accountability_url = out, actions_url, accountability_url
        self.api_headers = api_headers or {}  # the region's bearer token: every service route needs one
        self.people, self.send, self.say = people, send, say
        self.system = importing_system(cast, systems)
        self.action = f"{self.system}-wres3"
        self.reference = ReferenceData.load(DEFAULT_REFERENCE_DATA)
        self.nomination: str | None = None

    @classmethod
    def for_cycle(cls, cycle: Any) -> Evidence:
        """The part for ``tools.scripted_cycle.Cycle``: its stack, portal people, voice, and its way of posting
        as a system (``Cycle.send``: the same topic, key and login as any of the system's events)."""
        async def send(topic: str, raw: bytes, key: str) -> None:
            await cycle.send(topic, parse_event(raw))

        return cls(out=cycle.out, actions_url=cycle.stack.url("actions"),
                   accountability_url=cycle.stack.url("accountability"), people=cycle.people, send=send,
                   say=cycle.say, cast=cycle.cast, systems=cycle.systems, api_headers=cycle.stack.api_keys.headers())

    def _live(self, action_id: str) -> Any:
        from services.actions.cli import live_from  # the command's own lookup of the action as it stands

        return live_from(self.actions_url, self.api_headers)(action_id)

    async def _plan(self, sheet: Path) -> list[bulk_import.RowOutcome]:
        import asyncio

        return await asyncio.to_thread(bulk_import.plan, bulk_import.read_rows(sheet), self.system, self.reference,
                                       self._live)

    async def imported(self) -> None:
        """The sheet: a dry run, the import, and a re-run that posts nothing."""
        folder = self.out / "evidence"
        folder.mkdir(parents=True, exist_ok=True)
        sheet = write_sheet(folder / f"{self.system}-updates.xlsx", self.system)
        self.say(f"{self.system} has no tooling of its own: it imports {sheet.name} "
                 "(a dry run first, every row's outcome)")
        dry = await self._plan(sheet)
        said = [o.line() for o in dry] + [bulk_import.summary(dry, self.system, posted=False)]
        (folder / "import-dry-run.txt").write_text("\n".join(said) + "\n")
        for line in said:
            self.say(f"    {line}")
        going = [o.event for o in dry if o.posts and o.event is not None]
        for raw in going:
            await self.send(system_inbound(self.system), raw, self.action)
        self.say(f"    posted {len(going)} to {system_inbound(self.system)}; the bad row stays with the system")
        await until(self._all_applied(len(going)), f"the actions service to apply {self.action}'s rows")
        again = await self._plan(sheet)
        rerun = [o.line() for o in again] + [bulk_import.summary(again, self.system, posted=False)]
        (folder / "import-rerun.txt").write_text("\n".join(rerun) + "\n")
        self.say(f"    the same sheet again: {rerun[-1]}")

    def _all_applied(self, count: int) -> Callable[[], Any]:
        async def there() -> bool:
            async with httpx.AsyncClient(timeout=10, headers=self.api_headers) as http:
                found = await http.get(f"{self.actions_url}/action", params={"id": self.action})
            return found.status_code == 200 and len(found.json().get("history", [])) >= count
        return there

    async def endorsed(self) -> None:
        """The staff network lead nominates the work in the portal; the Panel's chair endorses it and puts it
        forward for the MIDAS awards."""
        lead = staff_network_lead(self.system)
        self.say(f"25 March: in the portal, {self.system}'s staff network lead nominates {self.action} as good "
                 "practice; the Panel's chair endorses it and puts it forward for MIDAS")
        await self.people.act(lead, f"/actions/{self.action}/good-practice", {
            "what_was_done": "Every proposed formal disciplinary involving a BME member of staff now goes to an "
                             "independent reviewer before it starts, with the staff network's chair as an observer.",
            "what_changed": "Over two years the relative likelihood of BME staff entering a formal disciplinary "
                            "fell from 1.44 to 1.08, inside the non-adverse range.",
            "evidence": "WRES indicator 3 returns for 2023/24 and 2025/26; the staff network's survey of members."})
        self.nomination = await self._nomination("nominated")
        path = f"/panel/good-practice/{self.nomination}"
        await self.people.act(CHAIR, path, {"action_id": self.action, "step": "endorsed",
                                            "note": "Every system should hear how this was done."})
        await self._nomination("endorsed")
        await self.people.act(CHAIR, path, {"action_id": self.action, "step": "put_forward",
                                            "note": "Entered for MIDAS 2026: tackling inequalities."})

        async def forward() -> bool:
            found = await self._library("endorsed")
            return any(g.get("award_status") == "put_forward" for g in found)
        await until(forward, "the nomination to be put forward for MIDAS")

    async def _library(self, status: str) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(timeout=10, headers=self.api_headers) as http:
            found = await http.get(f"{self.accountability_url}/good-practice",
                                   params={"status": status, "system": self.system})
        return list(found.json().get("practice", [])) if found.status_code == 200 else []

    async def _nomination(self, status: str) -> str:
        found: list[str] = []

        async def there() -> bool:
            found[:] = [g["nomination_id"] for g in await self._library(status) if g["action_id"] == self.action]
            return bool(found)
        await until(there, f"the accountability service to hold the nomination as {status}")
        return found[0]
