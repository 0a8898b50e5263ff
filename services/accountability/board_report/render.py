"""The report as one HTML document (Jinja2, ``board_report.html.j2`` beside this module):
inline CSS and SVG, nothing outside it to fetch, so it can be mailed, archived or printed."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from shared.contracts.vocabulary import LadderStep, Status

from .charts import done_chart_svg, status_bar_svg, trend_chart_svg
from .data import ReportData, provenance
from .measure_chart import measure_chart_svg
from .palette import CELL_FILL, STATUS_COLOUR

_env = Environment(loader=FileSystemLoader(Path(__file__).parent), autoescape=True, undefined=StrictUndefined,
                   trim_blocks=True, lstrip_blocks=True)


def render_html(data: ReportData) -> str:
    """The whole report as one HTML document with nothing outside it to fetch."""
    return _env.get_template("board_report.html.j2").render(
        r=data, trend_chart=trend_chart_svg(data.trends), status_bar=status_bar_svg(data.totals),
        done_chart=done_chart_svg(data.done_counts), Status=Status, LadderStep=LadderStep,
        STATUS_COLOUR=STATUS_COLOUR, CELL_FILL=CELL_FILL, provenance=provenance,
        measure_charts=[(m, measure_chart_svg(m)) for m in data.measures])
