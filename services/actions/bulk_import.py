"""Bulk import for a system without tooling: a CSV file or an Excel sheet of commitments and
updates, one row per event, in the layout below. Every row is turned into the event a system
would post, checked by the service's own decoding and rules (``conformance.check``), and
only the rows that pass are posted, to the same topic as any producer's.

Each row's event id is derived from the system and the row's ``external_id`` (a UUID 5), so
a re-run makes the same events: with ``--api`` the rows already applied are said "ignored" and
not posted again, and without it the service would apply each event id once anyway.

The layout (a header row, then one row per event; column order is free, names are not; an
empty cell is no value; dates are YYYY-MM-DD; lists are separated by ``;``):

=================== ========================================================================
column              for
=================== ========================================================================
external_id         every row: the system's own id for it, unique across its imports
kind                every row: commitment, progress, measure, milestone_reached,
                    milestone_missed, completed or withdrawn
action_id           every row
action_point        commitment: AP1..AP5, together, celebrate
title               commitment
accountable_leader  commitment: the leader's person id
start_date          commitment
due_date            commitment
description         commitment (optional)
indicator           commitment: the WRES indicator measured (WRES-1..WRES-9), optional;
                    measure: which figure to compute when ``value`` is empty
baseline, target    commitment with an indicator
as_of               progress, measure, milestone_*, completed, withdrawn: the date
percent_complete    progress
working, stopping_progress, not_working   progress: the narrative (optional)
reason_for_decrease progress (when the percentage falls)
milestones_reached, milestones_missed     progress (optional, ids separated by ;)
milestone_id        milestone_reached, milestone_missed
note                milestone_*, completed (summary), withdrawn (reason)
period              measure: e.g. 2025/26
value               measure: optional when the counts are given (the service computes it)
bme_numerator, bme_denominator, white_numerator, white_denominator,
numerator, denominator, comparison_numerator, comparison_denominator   measure: the counts
=================== ========================================================================
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid5

from pydantic import ValidationError

from shared.contracts import events as ev
from shared.contracts.topics import system_inbound
from shared.measures import CountsError, figure
from shared.reference import ReferenceData

from .conformance import Live, Verdict, check

KINDS = ("commitment", "progress", "measure", "milestone_reached", "milestone_missed", "completed", "withdrawn")
COUNTS = tuple(ev.Counts.model_fields)
REQUIRED = ("external_id", "kind", "action_id")  # every row needs them, so the header must have them
# The namespace of every imported event id: uuid5(IMPORTS, "<system>/<external_id>").
IMPORTS = UUID("6f1c9b0e-3a52-5d7e-9c41-8f0b7d2e4a16")


@dataclass(frozen=True)
class RowOutcome:
    row: int  # the sheet's row number (the header is row 1)
    external_id: str
    outcome: str  # accepted | refused | ignored | unchecked | bad
    column: str = ""
    what: str = ""
    event: bytes | None = None

    @property
    def posts(self) -> bool:
        return self.outcome in ("accepted", "unchecked") and self.event is not None

    def line(self) -> str:
        where = f"row {self.row}" + (f" ({self.external_id})" if self.external_id else "")
        if self.outcome == "bad":
            return f"{where}: bad, column {self.column}: {self.what}"
        return f"{where}: {self.outcome}" + (f": {self.what}" if self.what else "")


class BadSheet(Exception):
    """The file as a whole cannot be read as a sheet (not CSV in UTF-8, not an Excel workbook)."""


class BadCell(Exception):
    def __init__(self, column: str, what: str) -> None:
        super().__init__(what)
        self.column, self.what = column, what


def event_id(system: str, external_id: str) -> UUID:
    return uuid5(IMPORTS, f"{system}/{external_id}")


# ---- reading the sheet ------------------------------------------------------------------

def read_rows(path: Path) -> list[dict[str, str]]:
    """The sheet's rows as {column: text}, from a .csv or the first sheet of an .xlsx."""
    return read_sheet(path.name, path.read_bytes())


def read_sheet(name: str, content: bytes) -> list[dict[str, str]]:
    """The rows of a sheet given as its file name (which says CSV or Excel) and bytes (an upload).
    ``BadSheet`` when the bytes are not what the name says."""
    if name.lower().endswith((".xlsx", ".xlsm")):
        from openpyxl import load_workbook  # only for Excel files: the service never needs it

        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise BadSheet(f"{name} is not an Excel workbook (.xlsx) that can be read: {exc}") from None
        try:  # a read-only workbook keeps its file open until closed
            table = [["" if c is None else _cell_text(c) for c in row]
                     for row in book.worksheets[0].iter_rows(values_only=True)]
        finally:
            book.close()
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BadSheet(f"{name} is not text in UTF-8: save the sheet as 'CSV UTF-8'") from None
        table = list(csv.reader(io.StringIO(text)))
    if not table:
        return []
    header = [h.strip() for h in table[0]]
    return [dict(zip(header, [c.strip() for c in row], strict=False)) for row in table[1:]]


def missing_columns(rows: list[dict[str, str]]) -> list[str]:
    """The columns every sheet needs that this one's header lacks."""
    given = set().union(*rows) if rows else set()
    return [c for c in REQUIRED if rows and c not in given]


def _cell_text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---- one row, one event -------------------------------------------------------------------

class _Row:
    """One row's cells, read by column: ``text``/``day``/``number`` need a value, ``opt_*`` do not."""

    def __init__(self, cells: dict[str, str]) -> None:
        self.cells = cells

    def opt(self, column: str) -> str | None:
        return self.cells.get(column, "") or None

    def text(self, column: str) -> str:
        value = self.opt(column)
        if value is None:
            raise BadCell(column, "is empty; this kind of row needs it")
        return value

    def opt_day(self, column: str) -> date | None:
        value = self.opt(column)
        try:
            return date.fromisoformat(value) if value else None
        except ValueError:
            raise BadCell(column, f"{value!r} is not a date (YYYY-MM-DD)") from None

    def day(self, column: str) -> date:
        self.text(column)
        found = self.opt_day(column)
        assert found is not None
        return found

    def opt_number(self, column: str) -> float | None:
        value = self.opt(column)
        try:
            return float(value) if value else None
        except ValueError:
            raise BadCell(column, f"{value!r} is not a number") from None

    def number(self, column: str) -> float:
        self.text(column)
        found = self.opt_number(column)
        assert found is not None
        return found

    def count(self, column: str) -> int | None:
        value = self.opt(column)
        if value is None:
            return None
        if not value.isdigit():
            raise BadCell(column, f"{value!r} is not a whole number of people")
        return int(value)

    def ids(self, column: str) -> list[str]:
        return [x.strip() for x in (self.opt(column) or "").split(";") if x.strip()]


def _commitment(r: _Row, system: str, action_id: str, reference: ReferenceData) -> ev.Commitment:
    indicator = r.opt("indicator")
    measure = None
    if indicator is not None:  # named as the indicator is (an unknown one is the rules' unknown_indicator)
        known = reference.indicators.get(indicator)
        measure = ev.Measure(code=indicator, indicator=indicator, name=known.name if known else indicator,
                             baseline=r.number("baseline"), target=r.number("target"))
    return ev.Commitment(action_id=action_id, system=system, action_point=r.text("action_point"),
                         title=r.text("title"), description=r.opt("description") or "",
                         accountable_leader=r.text("accountable_leader"), start_date=r.day("start_date"),
                         due_date=r.day("due_date"), measure=measure)


def _reading(r: _Row, action_id: str, reference: ReferenceData, indicators: dict[str, str]) -> ev.MeasureReading:
    counts = {c: n for c in COUNTS if (n := r.count(c)) is not None}
    value = r.opt_number("value") if counts else r.number("value")
    if value is None:
        name = r.opt("indicator") or indicators.get(action_id)
        indicator = reference.indicators.get(name or "")
        if indicator is None:
            raise BadCell("value", "is empty and no indicator is known to compute it from the counts "
                                   "(give the indicator column, or the value)")
        try:
            value = figure(indicator, ev.Counts(**counts)).value
        except CountsError as exc:
            raise BadCell("counts", str(exc)) from None
    return ev.MeasureReading(action_id=action_id, value=value, as_of=r.day("as_of"),
                             period=r.opt("period"), counts=ev.Counts(**counts) if counts else None)


def _data(kind: str, r: _Row, system: str, action_id: str, reference: ReferenceData,
          indicators: dict[str, str]) -> tuple[str, Any]:
    if kind == "commitment":
        return "commitment.made", _commitment(r, system, action_id, reference)
    if kind == "progress":
        return "progress.reported", ev.ProgressReport(
            action_id=action_id, as_of=r.day("as_of"), percent_complete=r.number("percent_complete"),
            milestones_reached=r.ids("milestones_reached"), milestones_missed=r.ids("milestones_missed"),
            narrative=ev.Narrative(working=r.opt("working") or "", not_working=r.opt("not_working") or "",
                                   stopping_progress=r.opt("stopping_progress") or ""),
            reason_for_decrease=r.opt("reason_for_decrease"))
    if kind == "measure":
        return "measure.recorded", _reading(r, action_id, reference, indicators)
    if kind in ("milestone_reached", "milestone_missed"):
        return kind.replace("_", "."), ev.MilestoneOutcome(
            action_id=action_id, milestone_id=r.text("milestone_id"), on=r.day("as_of"),
            note=r.opt("note") or "")
    if kind == "completed":
        return "action.completed", ev.Completion(action_id=action_id, on=r.day("as_of"),
                                                 summary=r.opt("note") or "")
    return "action.withdrawn", ev.Withdrawal(action_id=action_id, on=r.day("as_of"), reason=r.text("note"))


def to_event(cells: dict[str, str], system: str, reference: ReferenceData, indicators: dict[str, str]) -> bytes:
    """The envelope a system would post for one row; ``BadCell`` naming the column that is wrong."""
    r = _Row(cells)
    external_id, action_id = r.text("external_id"), r.text("action_id")
    kind = r.text("kind")
    if kind not in KINDS:
        raise BadCell("kind", f"{kind!r} is not one of {', '.join(KINDS)}")
    try:
        type_, data = _data(kind, r, system, action_id, reference, indicators)
    except ValidationError as exc:  # the first problem, in pydantic's words, at the column it came from
        first = exc.errors()[0]
        raise BadCell(str(first["loc"][0]) if first["loc"] else "?", first["msg"]) from None
    if kind == "commitment" and data.measure is not None:
        indicators[action_id] = data.measure.indicator
    eid = str(event_id(system, external_id))
    return json.dumps({
        "event_id": eid, "type": type_, "schema_version": 1, "source": system, "subject": action_id,
        "occurred_at": datetime.now(UTC).isoformat(), "correlation_id": eid,
        "data": data.model_dump(mode="json", exclude_none=True)}).encode()


# ---- the whole sheet ----------------------------------------------------------------------

def plan(rows: Iterable[dict[str, str]], system: str, reference: ReferenceData,
         live: Callable[[str], Live] | None = None) -> list[RowOutcome]:
    """Every row's outcome, as the service would answer it; nothing is posted."""
    bad: dict[int, RowOutcome] = {}
    ready: list[tuple[int, str, bytes]] = []
    seen: dict[str, int] = {}
    indicators: dict[str, str] = {}
    for number, cells in enumerate(rows, 2):
        external_id = cells.get("external_id", "")
        if not any(cells.values()):
            continue
        try:
            if external_id in seen:
                raise BadCell("external_id", f"{external_id!r} is also on row {seen[external_id]}")
            ready.append((number, external_id, to_event(cells, system, reference, indicators)))
            seen[external_id] = number
        except BadCell as wrong:
            bad[number] = RowOutcome(number, external_id, "bad", wrong.column, wrong.what)
    verdicts = check([event for _, _, event in ready], reference, system=system, live=live)
    judged = {number: _outcome(number, external_id, event, verdict)
              for (number, external_id, event), verdict in zip(ready, verdicts, strict=True)}
    return [v for _, v in sorted({**bad, **judged}.items())]


def _outcome(number: int, external_id: str, event: bytes, verdict: Verdict) -> RowOutcome:
    if verdict.outcome in ("refused", "dead-lettered"):
        return RowOutcome(number, external_id, "bad", "-", f"refused {verdict.code}: {verdict.reason}")
    if verdict.outcome == "ignored":
        return RowOutcome(number, external_id, "ignored", what="already posted (same external_id)")
    return RowOutcome(number, external_id, verdict.outcome, what=verdict.note, event=event)


def summary(outcomes: list[RowOutcome], system: str, posted: bool) -> str:
    counts = {k: sum(o.outcome == k for o in outcomes) for k in ("accepted", "unchecked", "ignored", "bad")}
    going = sum(o.posts for o in outcomes)
    verb = "posted" if posted else "would post"
    return (f"{len(outcomes)} row(s): {counts['accepted']} accepted, {counts['unchecked']} unchecked, "
            f"{counts['ignored']} already posted, {counts['bad']} bad; {verb} {going} to {system_inbound(system)}")
