"""The People Board's report: one self-contained HTML page for a cycle (and a PDF of it).

A Board member should be able to look at it rather than read a table, so the picture is
drawn: a heatmap of systems by action point coloured by status, a chart of the trend
across cycles, a chart of what was done. Everything is inline (CSS and SVG), so the file
can be mailed, archived or printed without reaching the network.

- ``data``: what the report shows, built from the read API's answers (pure)
- ``charts``: its charts as inline SVG; ``palette``: its colours
- ``render``: the HTML page (``board_report.html.j2``)
- ``client``: the data from a running service's read API (``fetch``)
- ``route``: ``GET /board-report`` in the service, from its own database
- ``pdf``: printing with headless chromium; ``cli``: the command (``__main__``)

    python -m services.accountability.board_report --api http://127.0.0.1:8002 \\
        --out out/board-report.html --pdf
"""

from __future__ import annotations

from .client import fetch
from .data import ReportData, ReportError, build_report_data, describe
from .palette import CELL_FILL, STATUS_COLOUR
from .pdf import chromium_command, write_pdf
from .render import render_html
from .route import load, routes

__all__ = ["CELL_FILL", "STATUS_COLOUR", "ReportData", "ReportError", "build_report_data", "chromium_command",
           "describe", "fetch", "load", "render_html", "routes", "write_pdf"]
