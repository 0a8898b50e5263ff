"""Each measure's trend against its target and its non-adverse range, as inline SVG (hand-written
like the report's other charts, for the reasons ``charts.py`` gives): one point per period with
its 95 % interval as a whisker, the range as a shaded band, the target as a dashed line, and a
suppressed reading as a labelled gap (its figure comes from too few people to publish)."""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup, escape

from .charts import WIDTH
from .measures import MeasurePoint, MeasureTrend

RANGE_FILL = "#e3f1e7"
TARGET_INK = "#2e7d4f"
READING_INK = "#1d3f72"
SUPPRESSED_INK = "#8a8f99"


def _fmt(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _point(p: MeasurePoint, x: float, y_of: Callable[[float], float], mid: float) -> list[str]:
    if p.value is None:
        return [(f'<g class="measure-reading" data-period="{escape(p.label)}" data-suppressed="true">'
                f'<title>{escape(p.label)}: not published (fewer than the threshold of people)</title>'
                f'<circle cx="{x:.1f}" cy="{mid:.1f}" r="5" fill="none" stroke="{SUPPRESSED_INK}" '
                f'stroke-dasharray="2 2"/><text x="{x:.1f}" y="{mid - 12:.1f}" class="axis" '
                f'text-anchor="middle">suppressed</text></g>')]
    interval = (f", 95% interval {_fmt(p.low)} to {_fmt(p.high)}" if p.low is not None and p.high is not None
                else "")
    out = [(f'<g class="measure-reading" data-period="{escape(p.label)}" data-value="{p.value:.4f}">'
           f'<title>{escape(p.label)}: {_fmt(p.value)}{escape(interval)}</title>')]
    if p.low is not None and p.high is not None:
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y_of(p.low):.1f}" y2="{y_of(p.high):.1f}" '
                   f'stroke="{READING_INK}" stroke-width="2" class="interval"/>')
        for end in (p.low, p.high):
            out.append(f'<line x1="{x - 6:.1f}" x2="{x + 6:.1f}" y1="{y_of(end):.1f}" y2="{y_of(end):.1f}" '
                       f'stroke="{READING_INK}" stroke-width="2"/>')
    out.append(f'<circle cx="{x:.1f}" cy="{y_of(p.value):.1f}" r="5" fill="{READING_INK}"/>'
               f'<text x="{x + 10:.1f}" y="{y_of(p.value) + 4:.1f}" class="value">{_fmt(p.value)}</text></g>')
    return out


def measure_chart_svg(m: MeasureTrend) -> Markup:
    """One measure: its readings per period with their intervals, against its target and range."""
    height, left, right, top, bottom = 220, 56, 150, 14, 34
    base, plot_h = height - bottom, height - top - bottom
    lo, hi = m.scale

    def y_of(v: float) -> float:
        return base - (v - lo) / (hi - lo) * plot_h

    out = [(f'<svg class="chart measure-chart" role="img" viewBox="0 0 {WIDTH} {height}" '
           f'data-action-id="{escape(m.action_id)}"><title>{escape(m.code)}: each reading against the target of '
           f'{_fmt(m.target)}{escape(_range_words(m))}</title>')]
    if m.range_low is not None or m.range_high is not None:
        band_top, band_bottom = y_of(m.range_high if m.range_high is not None else hi), \
            y_of(m.range_low if m.range_low is not None else lo)
        out.append(f'<rect class="range" x="{left}" y="{band_top:.1f}" width="{WIDTH - left - right}" '
                   f'height="{band_bottom - band_top:.1f}" fill="{RANGE_FILL}"/>'
                   f'<text x="{WIDTH - right + 8}" y="{band_bottom + 14:.1f}" class="axis">'
                   f'range{escape(_range_words(m, short=True))}</text>')
    for i in range(5):
        v = lo + (hi - lo) * i / 4
        out.append(f'<text x="{left - 8}" y="{y_of(v) + 4:.1f}" class="axis" text-anchor="end">{_fmt(v)}</text>')
    out.append(f'<line class="target" x1="{left}" x2="{WIDTH - right}" y1="{y_of(m.target):.1f}" '
               f'y2="{y_of(m.target):.1f}" stroke="{TARGET_INK}" stroke-width="2" stroke-dasharray="6 4"/>'
               f'<text x="{WIDTH - right + 8}" y="{y_of(m.target) - 6:.1f}" class="axis">target {_fmt(m.target)}'
               f'</text>')
    slot = (WIDTH - left - right) / max(len(m.points), 1)
    xs = [left + slot * (i + 0.5) for i in range(len(m.points))]
    # The line breaks at a suppressed reading: joining across it would draw a figure nobody may see.
    runs: list[list[str]] = [[]]
    for x, p in zip(xs, m.points, strict=True):
        if p.value is None:
            runs.append([])
        else:
            runs[-1].append(f"{x:.1f},{y_of(p.value):.1f}")
    for run in runs:
        if len(run) > 1:
            out.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{READING_INK}" stroke-width="1.5"/>')
    for x, p in zip(xs, m.points, strict=True):
        out += _point(p, x, y_of, top + plot_h / 2)
        out.append(f'<text x="{x:.1f}" y="{height - 12}" class="axis" text-anchor="middle">{escape(p.label)}</text>')
    out.append(f'<line x1="{left}" x2="{WIDTH - right}" y1="{base}" y2="{base}" class="baseline"/></svg>')
    return Markup("".join(out))


def _range_words(m: MeasureTrend, short: bool = False) -> str:
    if m.range_low is not None and m.range_high is not None:
        span = f"{_fmt(m.range_low)} to {_fmt(m.range_high)}"
        return f" {span}" if short else f" and its non-adverse range {span}"
    return ""
