"""The People Board's report: one self-contained HTML page for a cycle (and a PDF of it).

A Board member should be able to look at it rather than read a table, so the picture is
drawn: a heatmap of systems by action point coloured by status, a chart of the trend
across cycles, a chart of what was done. Everything is inline (CSS and SVG drawn here in
Python), so the file can be mailed, archived or printed without reaching the network.

Data comes from the accountability service's read API (``/cycles``, ``/cycle-summary``,
``/status``); ``build_report_data`` and ``render_html`` are pure, ``fetch`` and
``write_pdf`` do the I/O.

    python -m services.accountability.board_report --api http://127.0.0.1:8002 \\
        --out out/board-report.html --pdf
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Sequence

import asyncpg
import httpx
from faststream import Context
from faststream.asgi import AsgiResponse, Request, get
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from shared.db import Database
from shared.http import json_response, query_param
from shared.reference import ReferenceData

TEMPLATES = Path(__file__).with_name("templates")

# Worst first: a heatmap cell takes the colour of its worst action.
SEVERITY = {"off_track": 4, "at_risk": 3, "on_track": 2, "completed": 1, "withdrawn": 0}
STATUS_LABEL = {"on_track": "On track", "at_risk": "At risk", "off_track": "Off track",
                "completed": "Completed", "withdrawn": "Withdrawn"}
# Colour-blind-safe enough and distinct in print; the same colours are used in every chart.
STATUS_COLOUR = {"on_track": "#2e7d4f", "at_risk": "#e0a100", "off_track": "#c62828",
                 "completed": "#5b7fa6", "withdrawn": "#9e9e9e"}
CELL_FILL = {"on_track": "#cfe8d8", "at_risk": "#fbe3a1", "off_track": "#f4b4b0",
             "completed": "#d3deea", "withdrawn": "#eeeeee"}
CHART_ORDER = ("completed", "on_track", "at_risk", "off_track")  # bottom to top of a stacked bar

STEP_WORDS = {"leader_asked": "the accountable leader was asked to explain or send a recovery plan",
              "panel_agenda": "put on the Panel's agenda",
              "people_board": "sent to the People Board"}
STEP_LABEL = {"leader_asked": "Leader asked", "panel_agenda": "Panel agenda", "people_board": "People Board"}
STEP_RUNG = {"leader_asked": 1, "panel_agenda": 2, "people_board": 3}
DECISION_WORDS = {"challenge_issued": "Panel issued a challenge", "support_offered": "Panel offered support",
                  "recovery_plan_due": "Panel asked for a recovery plan",
                  "penalty_agreed": "Panel agreed a penalty",
                  "referred_to_board": "Panel referred it to the People Board"}
TREND_CYCLES = 8  # the last two years of quarterly cycles fit a page width


class ReportError(Exception):
    """The report cannot be made: the message says why, in words for whoever ran it."""


# ---- what the report shows ---------------------------------------------------------------

@dataclass(frozen=True)
class HeatCell:
    status: str | None  # the worst status of the cell's actions; None: no actions
    counts: dict[str, int]
    total: int

    @property
    def fill(self) -> str:
        return CELL_FILL[self.status] if self.status else "#ffffff"

    @property
    def label(self) -> str:
        if not self.total:
            return "no actions"
        parts = [f"{n} {STATUS_LABEL[s].lower()}" for s, n in
                 sorted(self.counts.items(), key=lambda kv: -SEVERITY[kv[0]]) if n]
        return ", ".join(parts)


@dataclass(frozen=True)
class HeatRow:
    system_id: str
    name: str
    cells: list[HeatCell]


@dataclass(frozen=True)
class Heatmap:
    columns: list[tuple[str, str]]  # (action point id, its name)
    rows: list[HeatRow]


@dataclass(frozen=True)
class DoneEntry:
    on: str
    kind: str  # escalation | response | decision
    text: str


@dataclass(frozen=True)
class SlippingAction:
    action_id: str
    title: str
    system: str
    action_point: str
    status: str
    worst_status: str
    reasons: list[dict[str, str]]
    done: list[DoneEntry]

    @property
    def recovered(self) -> bool:
        return self.status not in ("at_risk", "off_track")


@dataclass(frozen=True)
class LadderRow:
    action_id: str
    title: str
    system: str
    highest_step: str
    resolved: bool
    decisions: list[DoneEntry]


@dataclass(frozen=True)
class TrendPoint:
    cycle_id: str
    counts: dict[str, int]
    slipped: int
    final: bool

    @property
    def total(self) -> int:
        return sum(self.counts.get(s, 0) for s in CHART_ORDER)


@dataclass(frozen=True)
class WorkedAction:
    action_id: str
    title: str
    system: str
    action_point: str
    why: list[str]
    what_is_working: str


@dataclass(frozen=True)
class ReportData:
    cycle_id: str
    opens_on: str
    closes_on: str
    submission_deadline: str
    final: bool
    as_of: str
    totals: dict[str, int]
    heatmap: Heatmap
    slipping: list[SlippingAction]
    ladder: list[LadderRow]
    done_counts: list[tuple[str, int]]
    trends: list[TrendPoint]
    worked: list[WorkedAction]
    title: str = field(default="")

    @property
    def heading(self) -> str:
        return self.title or f"People Board report: cycle {self.cycle_id}"


# ---- building it (pure) -------------------------------------------------------------------

def readable_date(iso: str | None) -> str:
    """'2026-04-01' -> '1 April 2026' (the Board reads dates, not ISO strings)."""
    if not iso:
        return ""
    try:
        d = date.fromisoformat(str(iso)[:10])
    except ValueError:
        return str(iso)
    return f"{d.day} {d:%B %Y}"


def _names(groups: Sequence[dict[str, Any]]) -> dict[str, str]:
    return {g["id"]: g.get("name") or g["id"] for g in groups}


def worst(statuses: Sequence[str]) -> str | None:
    return max(statuses, key=lambda s: SEVERITY.get(s, 0), default=None)


def build_heatmap(status: dict[str, Any], system_names: dict[str, str],
                  point_names: dict[str, str]) -> Heatmap:
    """Every system (a row) by every action point (a column), each cell coloured by its worst action."""
    # Withdrawn actions are no longer the system's to deliver; unjudged ones have no colour yet.
    actions = [a for a in status.get("actions", []) if a.get("status") not in (None, "withdrawn")]
    systems = dict(system_names)
    points = dict(point_names)
    for a in actions:
        systems.setdefault(a["system"], a["system"])
        points.setdefault(a["action_point"], a["action_point"])
    columns = sorted(points.items())
    rows = []
    for sid, sname in sorted(systems.items(), key=lambda kv: kv[1]):
        cells = []
        for pid, _ in columns:
            members = [a["status"] for a in actions if a["system"] == sid and a["action_point"] == pid]
            cells.append(HeatCell(status=worst(members), counts=dict(Counter(members)), total=len(members)))
        rows.append(HeatRow(system_id=sid, name=sname, cells=cells))
    return Heatmap(columns=columns, rows=rows)


def describe(entry: dict[str, Any]) -> DoneEntry:
    """One history entry (escalation, leader's response, Panel decision) as a sentence."""
    what = entry.get("what", "")
    on = readable_date(entry.get("on"))
    if what.startswith("escalation"):
        kind = what.removeprefix("escalation ").strip()
        step = STEP_WORDS.get(entry.get("step") or "", entry.get("step") or "")
        by = f" (answer by {readable_date(entry['respond_by'])})" if entry.get("respond_by") else ""
        text = {"raised": f"Escalated: {step}{by}", "stepped": f"Escalation stepped up: {step}{by}",
                "resolved": "Escalation closed: the action is back on track"}.get(kind, f"Escalation {kind}")
        return DoneEntry(on, "escalation", text)
    if what == "panel decision":
        text = DECISION_WORDS.get(entry.get("kind", ""), f"Panel decision: {entry.get('kind', '')}")
        if entry.get("due_date"):
            text += f", due by {readable_date(entry['due_date'])}"
        if entry.get("note"):
            text += f": {entry['note']}"
        return DoneEntry(on, "decision", text)
    if what == "recovery plan":
        by = f" (back on track by {readable_date(entry['recover_by'])})" if entry.get("recover_by") else ""
        return DoneEntry(on, "response", f"Recovery plan received{by}: {entry.get('text', '')}")
    if what == "explanation":
        return DoneEntry(on, "response", f"Explanation received: {entry.get('text', '')}")
    return DoneEntry(on, "other", what)


def _slip_order(a: dict[str, Any]) -> tuple[Any, ...]:
    # Worst first: off track now, then at risk now, then those that slipped and recovered;
    # within that, the worse the cycle went and the more reasons off track, the higher.
    off_reasons = sum(r.get("status") == "off_track" for r in a.get("reasons", []))
    return (-SEVERITY.get(a["status"], 0) if a["status"] in ("at_risk", "off_track") else 0,
            -SEVERITY.get(a.get("worst_status", ""), 0), -off_reasons, a["action_id"])


def _ladder(slipped: list[dict[str, Any]], system_names: dict[str, str]) -> list[LadderRow]:
    rows = []
    for a in slipped:
        history = a.get("done_about_it", [])
        steps = [h.get("step") for h in history if h.get("what", "").startswith("escalation") and h.get("step")]
        if not steps:
            continue
        rows.append(LadderRow(
            action_id=a["action_id"], title=a["title"], system=system_names.get(a["system"], a["system"]),
            highest_step=max(steps, key=lambda s: STEP_RUNG.get(s, 0)),
            resolved=any(h.get("what") == "escalation resolved" for h in history),
            decisions=[describe(h) for h in history if h.get("what") == "panel decision"]))
    rows.sort(key=lambda r: (r.resolved, -STEP_RUNG.get(r.highest_step, 0), r.action_id))
    return rows


def _done_counts(slipped: list[dict[str, Any]]) -> list[tuple[str, int]]:
    found: Counter[str] = Counter()
    for a in slipped:
        for h in a.get("done_about_it", []):
            what = h.get("what", "")
            if what in ("escalation raised", "escalation stepped"):
                found[{"leader_asked": "Leaders asked to explain", "panel_agenda": "Put on the Panel's agenda",
                       "people_board": "Sent to the People Board"}.get(h.get("step"), "Escalated")] += 1
            elif what == "escalation resolved":
                found["Escalations closed (recovered)"] += 1
            elif what == "explanation":
                found["Explanations received"] += 1
            elif what == "recovery plan":
                found["Recovery plans received"] += 1
            elif what == "panel decision":
                found[DECISION_WORDS.get(h.get("kind", ""), "Panel decisions")] += 1
    order = ["Leaders asked to explain", "Explanations received", "Recovery plans received",
             "Put on the Panel's agenda", *DECISION_WORDS.values(), "Sent to the People Board",
             "Escalations closed (recovered)"]
    return sorted(found.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))


def build_report_data(summaries: list[dict[str, Any]], status: dict[str, Any], *,
                      cycle_id: str | None = None, reference: ReferenceData | None = None,
                      title: str = "") -> ReportData:
    """The report for one cycle (default: the first summary, i.e. the latest) from the read API's answers.

    ``summaries`` are ``/cycle-summary`` answers, latest first as ``/cycles`` lists them; the
    trend runs over the reported cycle and the ones before it. ``status`` is ``/status``.
    """
    ids = [s["cycle_id"] for s in summaries]
    if cycle_id is not None and cycle_id not in ids:
        known = f"the cycles are {', '.join(ids)}" if ids else "no cycle has opened yet"
        raise ReportError(f"no summary for cycle {cycle_id!r}; {known}")
    if not summaries:
        raise ReportError("no cycle summaries: the accountability service has not opened a cycle yet")
    index = ids.index(cycle_id) if cycle_id is not None else 0
    summary = summaries[index]

    system_names = {**_names(status.get("by_system", [])), **_names(summary.get("by_system", []))}
    point_names = {**_names(status.get("by_action_point", [])), **_names(summary.get("by_action_point", []))}
    if reference is not None:
        system_names.update({k: v.name for k, v in reference.systems.items()})
        point_names.update({k: v.name for k, v in reference.action_points.items()})

    slipped = sorted(summary.get("slipped", []), key=_slip_order)
    slipping = [SlippingAction(
        action_id=a["action_id"], title=a["title"], system=system_names.get(a["system"], a["system"]),
        action_point=point_names.get(a["action_point"], a["action_point"]), status=a["status"],
        worst_status=a.get("worst_status", a["status"]), reasons=list(a.get("reasons", [])),
        done=[describe(h) for h in a.get("done_about_it", [])]) for a in slipped]

    history = list(reversed(summaries[index:index + TREND_CYCLES]))  # oldest first, left to right
    trends = [TrendPoint(cycle_id=s["cycle_id"],
                         counts={k: int(s.get("totals", {}).get(k, 0)) for k in CHART_ORDER},
                         slipped=int(s.get("totals", {}).get("slipped", 0)), final=bool(s.get("final")))
              for s in history]

    worked = [WorkedAction(
        action_id=w["action_id"], title=w["title"], system=system_names.get(w["system"], w["system"]),
        action_point=point_names.get(w["action_point"], w["action_point"]), why=list(w.get("worked", [])),
        what_is_working=w.get("what_is_working", "")) for w in summary.get("worked", [])]

    return ReportData(
        cycle_id=summary["cycle_id"], opens_on=readable_date(summary.get("opens_on")),
        closes_on=readable_date(summary.get("closes_on")),
        submission_deadline=readable_date(summary.get("submission_deadline")),
        final=bool(summary.get("final")), as_of=readable_date(status.get("as_of") or summary.get("as_of")),
        totals={k: int(v) for k, v in summary.get("totals", {}).items()},
        heatmap=build_heatmap(status, system_names, point_names),
        slipping=slipping, ladder=_ladder(slipped, system_names), done_counts=_done_counts(slipped),
        trends=trends, worked=worked, title=title)


# ---- charts (inline SVG, drawn here so the page needs nothing else) -----------------------

def _nice_max(n: int) -> int:
    for step in (4, 8, 12, 20, 40, 60, 100, 200, 400, 1000):
        if n <= step:
            return step
    return ((n // 1000) + 1) * 1000


def trend_chart_svg(trends: list[TrendPoint]) -> Markup:
    """A stacked bar per cycle (completed, on track, at risk, off track) and a line of actions slipped."""
    width, height, left, right, top, bottom = 760, 300, 48, 16, 16, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice_max(max([max(t.total, t.slipped) for t in trends] + [1]))
    scale = plot_h / peak
    slot = plot_w / max(len(trends), 1)
    bar_w = min(64.0, slot * 0.55)
    out = [f'<svg class="chart trend-chart" role="img" viewBox="0 0 {width} {height}" '
           f'aria-labelledby="trend-title">',
           '<title id="trend-title">Actions by status in each cycle, and how many slipped</title>']
    for i in range(5):
        value = peak * i / 4
        y = top + plot_h - value * scale
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                   f'<text x="{left - 8}" y="{y + 4:.1f}" class="axis" text-anchor="end">{value:g}</text>')
    points = []
    for i, t in enumerate(trends):
        cx = left + slot * (i + 0.5)
        x = cx - bar_w / 2
        y = top + plot_h
        tip = escape(f"{t.cycle_id}: " + ", ".join(f"{t.counts[s]} {STATUS_LABEL[s].lower()}" for s in CHART_ORDER)
                     + f"; {t.slipped} slipped")
        out.append(f'<g class="trend-cycle" data-cycle-id="{escape(t.cycle_id)}"><title>{tip}</title>')
        for s in CHART_ORDER:
            h = t.counts[s] * scale
            if h > 0:
                y -= h
                out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                           f'fill="{STATUS_COLOUR[s]}" data-status="{s}"/>')
        label = f"{t.cycle_id}{'' if t.final else ' (open)'}"
        out.append(f'<text x="{cx:.1f}" y="{height - bottom + 18}" class="axis" text-anchor="middle">'
                   f'{escape(label)}</text>')
        out.append(f'<text x="{cx:.1f}" y="{y - 5:.1f}" class="total" text-anchor="middle">{t.total}</text></g>')
        points.append((cx, top + plot_h - t.slipped * scale, t.slipped))
    if points:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
        out.append(f'<polyline class="slipped-line" points="{path}" fill="none" stroke="#222" '
                   f'stroke-width="2" stroke-dasharray="5 4"/>')
        for x, y, n in points:
            out.append(f'<circle class="slipped-point" cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="#222">'
                       f'<title>{n} slipped</title></circle>'
                       f'<text x="{x + bar_w / 2 + 6:.1f}" y="{y + 4:.1f}" class="slipped-label">{n} slipped</text>')
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" class="baseline"/>')
    out.append("</svg>")
    return Markup("".join(out))


def status_bar_svg(totals: dict[str, int]) -> Markup:
    """One horizontal bar: the whole region's actions split by status, each part labelled."""
    width, height = 760, 46
    parts = [(s, totals.get(s, 0)) for s in ("off_track", "at_risk", "on_track", "completed")]
    whole = sum(n for _, n in parts)
    out = [f'<svg class="chart status-bar" role="img" viewBox="0 0 {width} {height}" '
           f'><title>Actions by status this cycle</title>']
    if not whole:
        out.append(f'<rect width="{width}" height="{height}" fill="#f1f1f1"/>'
                   f'<text x="{width / 2}" y="28" text-anchor="middle" class="axis">no actions</text></svg>')
        return Markup("".join(out))
    x = 0.0
    for s, n in parts:
        w = width * n / whole
        if not w:
            continue
        out.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height}" fill="{STATUS_COLOUR[s]}">'
                   f'<title>{n} {STATUS_LABEL[s].lower()}</title></rect>')
        if w > 70:
            out.append(f'<text x="{x + w / 2:.1f}" y="28" text-anchor="middle" class="on-colour">'
                       f'{n} {STATUS_LABEL[s].lower()}</text>')
        x += w
    out.append("</svg>")
    return Markup("".join(out))


def done_chart_svg(done_counts: list[tuple[str, int]]) -> Markup:
    """Horizontal bars: how many of each thing was done about slipping actions."""
    row, label_w, width = 30, 290, 760
    height = max(row * len(done_counts), row) + 8
    peak = max([n for _, n in done_counts] + [1])
    out = [f'<svg class="chart done-chart" role="img" viewBox="0 0 {width} {height}" '
           f'><title>What was done about slipping actions</title>']
    for i, (label, n) in enumerate(done_counts):
        y = i * row + 4
        w = (width - label_w - 50) * n / peak
        out.append(f'<text x="{label_w - 10}" y="{y + 17}" text-anchor="end" class="label">{escape(label)}</text>'
                   f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{row - 10}" fill="#4a5d8a" rx="3"/>'
                   f'<text x="{label_w + w + 8:.1f}" y="{y + 16}" class="value">{n}</text>')
    out.append("</svg>")
    return Markup("".join(out))


# ---- rendering and printing -----------------------------------------------------------------

_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                   trim_blocks=True, lstrip_blocks=True)


def render_html(data: ReportData) -> str:
    """The whole report as one HTML document with nothing outside it to fetch."""
    return _env.get_template("board_report.html.j2").render(
        r=data, trend_chart=trend_chart_svg(data.trends), status_bar=status_bar_svg(data.totals),
        done_chart=done_chart_svg(data.done_counts), STATUS_LABEL=STATUS_LABEL, STATUS_COLOUR=STATUS_COLOUR,
        CELL_FILL=CELL_FILL, STEP_LABEL=STEP_LABEL, readable_date=readable_date)


async def fetch(api_base_url: str, *, timeout: float = 30.0) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every cycle's summary (latest first) and every action's status, from the read API."""
    async with httpx.AsyncClient(base_url=api_base_url.rstrip("/"), timeout=timeout) as client:
        async def get(path: str, **params: str) -> Any:
            try:
                response = await client.get(path, params=params)
            except httpx.HTTPError as e:
                raise ReportError(f"cannot reach the accountability API at {api_base_url}{path}: {e}") from e
            if response.status_code != 200:
                raise ReportError(f"{api_base_url}{path} answered {response.status_code}: {response.text[:300]}")
            return response.json()

        cycles = (await get("/cycles"))["cycles"]
        if not cycles:
            raise ReportError("the accountability service has not opened a cycle yet: nothing to report")
        summaries = [await get("/cycle-summary", cycle_id=c["cycle_id"]) for c in cycles[:TREND_CYCLES]]
        status = await get("/status")
    return summaries, status


async def load(conn: asyncpg.Connection, reference: ReferenceData, *,
               cycle_id: str | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """What ``fetch`` gets from the read API, read from the service's own database instead:
    the summaries of the given (default: latest) cycle and the ones before it, and every action's status."""
    from .persistence import reading  # the service's queries; the pure report and the CLI do not need them

    if cycle_id is not None and not await conn.fetchval("SELECT 1 FROM cycles WHERE cycle_id = $1", cycle_id):
        known = [r["cycle_id"] for r in await conn.fetch("SELECT cycle_id FROM cycles ORDER BY opens_on DESC")]
        raise ReportError(f"no cycle {cycle_id!r}; the cycles are {', '.join(known) or 'none yet'}")
    rows = await conn.fetch(
        """SELECT cycle_id, summary FROM cycles
           WHERE $1::text IS NULL OR opens_on <= (SELECT opens_on FROM cycles WHERE cycle_id = $1)
           ORDER BY opens_on DESC LIMIT $2""", cycle_id, TREND_CYCLES)
    summaries = [json.loads(r["summary"]) if r["summary"] is not None
                 else await reading.cycle_summary(conn, r["cycle_id"], reference, final=False) for r in rows]
    actions = await conn.fetch(
        "SELECT action_id, system, action_point, title, status FROM actions ORDER BY system, action_point, action_id")
    today = await conn.fetchval("SELECT today FROM clock")
    return summaries, {"as_of": today.isoformat() if today else None, "actions": [dict(a) for a in actions]}


async def board_report(request: Request, database: Annotated[Database, Context()],
                       reference: Annotated[ReferenceData, Context()]) -> AsgiResponse:
    """The People Board's report for a cycle, as one self-contained HTML page."""
    wanted = query_param(request, "cycle_id")
    try:
        async with database.pool.acquire() as conn:
            summaries, status = await load(conn, reference, cycle_id=wanted)
        data = build_report_data(summaries, status, cycle_id=wanted, reference=reference)
    except ReportError as e:
        return json_response({"error": str(e)}, 404)
    return AsgiResponse(render_html(data).encode(), 200, headers={"content-type": "text/html; charset=utf-8"})


def routes() -> list[tuple[str, Any]]:
    """``GET /board-report?cycle_id=``: the report as an HTML page (default: the latest cycle).
    A new route object for each app: FastStream binds a route to the app it is added to."""
    return [("/board-report", get(board_report))]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise ReportError("chromium is not installed: install Debian's 'chromium' package (deploy/setup.sh does)")
    return found


def chromium_command(*args: str, profile: str) -> list[str]:
    """Headless chromium that stays off the network (no updates, sync or background fetches)."""
    return [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", *args]


def write_pdf(html_path: Path, pdf_path: Path, *, timeout: float = 120.0) -> Path:
    """Print the HTML report to PDF with headless chromium."""
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path).resolve()
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="board-report-chromium-") as profile:
        done = subprocess.run(
            chromium_command(f"--print-to-pdf={pdf_path}", "--no-pdf-header-footer", html_path.as_uri(),
                             profile=profile),
            capture_output=True, text=True, timeout=timeout)
    if not pdf_path.exists() or not pdf_path.read_bytes().startswith(b"%PDF"):
        raise ReportError(f"chromium did not print {pdf_path} (exit {done.returncode}): {done.stderr[-500:]}")
    return pdf_path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.accountability.board_report",
                                     description="Write the People Board's report for a cycle (HTML, and PDF).")
    parser.add_argument("--api", default="http://127.0.0.1:8002", help="the accountability service's base URL")
    parser.add_argument("--out", type=Path, default=Path("out/board-report.html"), help="the HTML file to write")
    parser.add_argument("--cycle", default=None, help="the cycle to report (default: the latest)")
    parser.add_argument("--pdf", action="store_true", help="also print it to a PDF beside the HTML")
    args = parser.parse_args(argv)
    try:
        summaries, status = asyncio.run(fetch(args.api))
        data = build_report_data(summaries, status, cycle_id=args.cycle)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(render_html(data), encoding="utf-8")
        print(args.out)
        if args.pdf:
            print(write_pdf(args.out, args.out.with_suffix(".pdf")))
    except ReportError as e:
        print(f"board report: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
