"""The Board's report as a reader gets it: opened in headless Chromium, printed to PDF, and
made by the command line from a running read API.

The read API here is a stand-in serving the exact JSON shapes of the accountability
service's /cycles, /cycle-summary and /status (the same hand-made answers as the unit tests),
so this proves the browser side and the command line, not the service's queries.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from faststream.asgi import AsgiFastStream

from services.accountability.app import MIGRATIONS
from services.accountability.board_report import (
    CELL_FILL,
    build_report_data,
    chromium_command,
    render_html,
    write_pdf,
)
from services.accountability.board_report import routes as board_report_routes
from services.accountability.settings import AccountabilitySettings
from shared.access import Access
from shared.db import Database
from shared.reference import ReferenceData
from tests.infra import api_client, api_keys
from tests.unit.test_accountability_rules import snapshot
from tests.unit.test_board_report import sample_status, sample_summaries

pytestmark = pytest.mark.e2e
needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None,
    reason="Debian's chromium package is not installed (deploy/setup.sh installs it)")

ROOT = Path(__file__).resolve().parents[2]

# Added to a copy of the report only: the report itself has no script. It writes what the
# browser laid out (the visible text, the size of each chart, the cells' painted colours)
# into the page, where --dump-dom can read it.
PROBE = """<script>
window.addEventListener('load', () => {
  const box = el => { const r = el.getBoundingClientRect(); return [Math.round(r.width), Math.round(r.height)]; };
  const seen = {
    title: document.title,
    text: document.body.innerText,
    heatmapRows: [...document.querySelectorAll('table.heatmap tbody th')].map(th => th.innerText),
    cells: [...document.querySelectorAll('table.heatmap td[data-status]')].map(td =>
      [td.closest('tr').querySelector('th').innerText, td.dataset.status, getComputedStyle(td).backgroundColor]),
    charts: Object.fromEntries([...document.querySelectorAll('svg.chart')].map(s => [s.classList[1], box(s)])),
    trendBars: [...document.querySelectorAll('svg.trend-chart g.trend-cycle')].map(g =>
      [g.dataset.cycleId, Math.round(g.getBBox().height)]),
    slipping: [...document.querySelectorAll('article.slipping-action h3')].map(h => h.innerText),
  };
  const out = document.createElement('pre'); out.id = 'seen'; out.textContent = JSON.stringify(seen);
  document.body.appendChild(out);
});
</script>"""


def run_chromium(*args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="board-report-test-") as profile:
        return subprocess.run(chromium_command(*args, profile=profile), capture_output=True, text=True,
                              timeout=120, check=True)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("board") / "board-report.html"
    path.write_text(render_html(build_report_data(sample_summaries(), sample_status())), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def seen(report: Path) -> dict[str, Any]:
    probed = report.with_name("probed.html")
    probed.write_text(report.read_text().replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = run_chromium("--window-size=1280,2000", "--virtual-time-budget=5000", "--dump-dom", probed.as_uri()).stdout
    start = dom.index('<pre id="seen">') + len('<pre id="seen">')
    raw = dom[start:dom.index("</pre>", start)]
    return json.loads(raw.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&"))


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


@needs_chromium
def test_reader_sees_the_title_and_the_cycle(seen: dict[str, Any]) -> None:
    assert seen["title"] == "People Board report: cycle 2026-Q2"
    assert "People Board report: cycle 2026-Q2" in seen["text"]
    assert "Provisional: the cycle is still open" in seen["text"]


@needs_chromium
def test_reader_sees_every_system_by_name_in_the_heatmap_with_painted_colours(seen: dict[str, Any]) -> None:
    assert seen["heatmapRows"] == ["Birmingham and Solihull", "Black Country", "Lincolnshire", "Northamptonshire"]
    painted = {(system, status): colour for system, status, colour in seen["cells"]}
    assert painted[("Birmingham and Solihull", "off_track")] == _rgb(CELL_FILL["off_track"])
    assert painted[("Birmingham and Solihull", "at_risk")] == _rgb(CELL_FILL["at_risk"])
    assert painted[("Black Country", "completed")] == _rgb(CELL_FILL["completed"])


@needs_chromium
def test_reader_sees_slipping_actions_worst_first_with_their_reasons(seen: dict[str, Any]) -> None:
    assert seen["slipping"][0].split("\n")[0].startswith(
        "1.Risk assessments that make BME staff feel safer")
    assert "Milestone 'risk assessments done' was due on 31 March 2026" in seen["text"]
    assert "Explanation received: Occupational health capacity was cut" in seen["text"]


@needs_chromium
def test_reader_sees_the_charts_drawn_with_a_bar_per_cycle(seen: dict[str, Any]) -> None:
    assert set(seen["charts"]) == {"status-bar", "trend-chart", "done-chart"}
    assert all(w > 300 and h > 20 for w, h in seen["charts"].values()), seen["charts"]
    bars = dict(seen["trendBars"])
    assert list(bars) == ["2025-Q4", "2026-Q1", "2026-Q2"]
    assert bars["2026-Q1"] > bars["2026-Q2"] > bars["2025-Q4"] > 0  # 6, 5 and 3 actions (with the total label)


@needs_chromium
def test_screenshot_of_the_report_is_made(report: Path, tmp_path: Path) -> None:
    png = tmp_path / "board.png"
    run_chromium(f"--screenshot={png}", "--window-size=1280,2000", report.as_uri())
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG") and int.from_bytes(data[16:20], "big") == 1280
    assert len(data) > 20_000  # a drawn page, not a blank one


@needs_chromium
def test_report_prints_to_a_pdf(report: Path, tmp_path: Path) -> None:
    pdf = write_pdf(report, tmp_path / "board-report.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 10_000
    assert data.count(b"/Type /Page") - data.count(b"/Type /Pages") >= 2  # the whole report, over pages


class _StandInAPI(BaseHTTPRequestHandler):
    """Answers like the accountability read API, from the sample answers."""

    def do_GET(self) -> None:
        url = urlparse(self.path)
        summaries = {s["cycle_id"]: s for s in sample_summaries()}
        if url.path == "/cycles":
            body: Any = {"cycles": [{"cycle_id": c, "open": not s["final"]} for c, s in summaries.items()]}
        elif url.path == "/cycle-summary":
            body = summaries.get(parse_qs(url.query).get("cycle_id", [""])[0])
        elif url.path == "/status":
            body = sample_status()
        elif url.path == "/measures":
            body = {"measures": []}
        else:
            body = None
        payload = json.dumps(body if body is not None else {"error": "not found"}).encode()
        self.send_response(200 if body is not None else 404)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StandInAPI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@needs_chromium
def test_command_line_writes_the_html_and_pdf_from_the_read_api(api: str, tmp_path: Path) -> None:
    out = tmp_path / "out" / "board-report.html"
    done = subprocess.run([sys.executable, "-m", "services.accountability.board_report", "--api", api,
                           "--out", str(out), "--pdf"], cwd=ROOT, capture_output=True, text=True, timeout=180,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(out), str(out.with_suffix(".pdf"))]
    html = out.read_text()
    assert "People Board report: cycle 2026-Q2" in html and 'data-cycle-id="2025-Q4"' in html
    assert out.with_suffix(".pdf").read_bytes().startswith(b"%PDF")


def test_command_line_says_plainly_when_the_api_is_not_there(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "services.accountability.board_report", "--api",
                           "http://127.0.0.1:9", "--out", str(tmp_path / "x.html")],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert "board report: cannot reach the accountability API at http://127.0.0.1:9/cycles" in done.stderr
    assert not (tmp_path / "x.html").exists()


async def test_service_route_serves_the_report_from_its_own_database(database_url: str,
                                                                      reference: ReferenceData) -> None:
    """The /board-report route reads what the read API would serve: a closed cycle's stored
    summary, the open cycle's live picture, every action's status."""
    database = Database(database_url, [MIGRATIONS])
    await database.open()
    try:
        async with database.pool.acquire() as conn:
            closed = sample_summaries()[1]
            await conn.execute(
                """INSERT INTO cycles (cycle_id, opens_on, submission_deadline, closes_on, meeting_on, agenda_on,
                                       opened_on, closed_on, summary) VALUES
                   ('2026-Q1', '2026-01-01', '2026-03-16', '2026-03-31', '2026-03-23', '2026-03-20',
                    '2026-01-01', '2026-03-31', $1),
                   ('2026-Q2', '2026-04-01', '2026-06-16', '2026-06-30', '2026-06-23', '2026-06-20',
                    '2026-04-01', NULL, NULL)""", json.dumps(closed))
            reasons = [{"rule": "milestone_passed", "status": "off_track",
                        "message": "Milestone 'guardians trained' was due on 30 April 2026"}]
            await conn.execute(
                """INSERT INTO actions (action_id, system, action_point, title, accountable_leader, lifecycle,
                                        version, snapshot, status, reasons) VALUES
                   ('route-1', 'lincolnshire', 'AP2', 'Guardians in every trust', 'leader', 'active', 1, $2,
                    'off_track', $1),
                   ('route-2', 'black-country', 'AP1', 'Wellbeing champions', 'leader', 'active', 1, $3,
                    'on_track', '[]')""", json.dumps(reasons),  # snapshots as the actions service sends them
                snapshot(action_id="route-1").model_dump_json(), snapshot(action_id="route-2").model_dump_json())
            await conn.execute("""INSERT INTO action_cycles (action_id, cycle_id, worst_status) VALUES
                                  ('route-1', '2026-Q2', 'off_track'), ('route-2', '2026-Q2', 'on_track')""")
            await conn.execute("UPDATE clock SET today = '2026-05-10', cycle_id = '2026-Q2'")

        app = AsgiFastStream(asgi_routes=board_report_routes())  # the route needs only these three
        app.context.set_global("database", database)
        app.context.set_global("reference", reference)
        app.context.set_global("settings", AccountabilitySettings(database_url=database_url))  # the small numbers
        app.context.set_global("access", Access(api_keys().clients))  # the Board's route: a Board credential
        async with api_client(app, "http://report") as client:
            page = await client.get("/board-report")
            earlier = await client.get("/board-report", params={"cycle_id": "2026-Q1"})
            unknown = await client.get("/board-report", params={"cycle_id": "2019-Q1"})
    finally:
        await database.close()

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "People Board report: cycle 2026-Q2" in html and "Provisional: the cycle is still open" in html
    assert "Milestone &#39;guardians trained&#39; was due on 30 April 2026" in html
    assert "Staffordshire and Stoke-on-Trent" in html  # every reference system has its row
    assert [c for c in ("2026-Q1", "2026-Q2") if f'data-cycle-id="{c}"' in html] == ["2026-Q1", "2026-Q2"]
    assert earlier.status_code == 200 and "Final: as it stood at the cycle" in earlier.text
    assert 'data-cycle-id="2026-Q2"' not in earlier.text
    assert unknown.status_code == 404
    assert unknown.json() == {"error": "no cycle '2019-Q1'; the cycles are 2026-Q2, 2026-Q1"}
