"""The report's three charts, as inline SVG written here: the region's actions by status (one
bar), actions by status across cycles with the number that slipped (stacked bars and a
line), and what was done about slipping actions (horizontal bars).

Why hand-written SVG and not a charting library (the choice was weighed for issue 9 with
matplotlib 3.11's SVG backend and pygal 3.1, each drawing the trend chart):

- The page must be self-contained and say so in its test: no ``http://``, no ``url(``, no
  ``<script>``. Matplotlib's SVG carries a DOCTYPE, RDF metadata and namespaces with
  ``http://`` addresses and clips every bar with ``clip-path="url(#...)"``; pygal adds its
  own ``<script>`` and comments with its web address. Both would need their output edited.
- What readers and tests rely on is structure, not just pixels: each cycle's bars in one
  ``<g class="trend-cycle" data-cycle-id=...>`` with a ``<title>`` tooltip in words, each
  bar a ``rect`` with ``data-status``, each chart an ``<svg class="chart ..." role="img">``
  with a title for screen readers. Matplotlib groups by artist and offers only an ``id``
  (no classes, data attributes or ``<title>``); pygal groups by series (a status), not by
  cycle, gives random ids, and cannot draw the slipped line over stacked bars.
- Text drawn by either sets its own fonts inline, so the charts would not share the page's
  type; here they take it from the page's CSS (``font-family: inherit``).
- Matplotlib brings numpy, pillow, fonttools and more (about 160 MB installed) into every
  service image, and 0.7 s of import, for three simple charts.

So the charts stay about 150 lines of plain SVG, every element labelled in words.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from shared.contracts.vocabulary import Status

from .data import CHART_ORDER, TrendPoint
from .palette import DONE_BAR, SLIPPED_INK, STATUS_COLOUR

WIDTH = 760  # every chart is drawn at the page's text width


def nice_max(n: int) -> int:
    """The top of a chart's scale: a round number at or above ``n``."""
    for step in (4, 8, 12, 20, 40, 60, 100, 200, 400, 1000):
        if n <= step:
            return step
    return ((n // 1000) + 1) * 1000


def _counted(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts[s]} {Status(s).words}" for s in CHART_ORDER)


def _trend_bar(t: TrendPoint, cx: float, bar_w: float, base: float, scale: float, label_y: float) -> list[str]:
    """One cycle: its stacked bar (bottom to top in ``CHART_ORDER``), its name and its total."""
    tip = escape(f"{t.cycle_id}: {_counted(t.counts)}; {t.slipped} slipped")
    out = [f'<g class="trend-cycle" data-cycle-id="{escape(t.cycle_id)}"><title>{tip}</title>']
    x, y = cx - bar_w / 2, base
    for s in CHART_ORDER:
        h = t.counts[s] * scale
        if h > 0:
            y -= h
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                       f'fill="{STATUS_COLOUR[s]}" data-status="{s}"/>')
    label = f"{t.cycle_id}{'' if t.final else ' (open)'}"
    out.append(f'<text x="{cx:.1f}" y="{label_y}" class="axis" text-anchor="middle">{escape(label)}</text>')
    out.append(f'<text x="{cx:.1f}" y="{y - 5:.1f}" class="total" text-anchor="middle">{t.total}</text></g>')
    return out


def _slipped_line(points: list[tuple[float, float, int]], bar_w: float) -> list[str]:
    """The dashed line of how many actions slipped in each cycle, each point labelled."""
    if not points:
        return []
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
    out = [(f'<polyline class="slipped-line" points="{path}" fill="none" stroke="{SLIPPED_INK}" '
            f'stroke-width="2" stroke-dasharray="5 4"/>')]
    for x, y, n in points:
        out.append(f'<circle class="slipped-point" cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="{SLIPPED_INK}">'
                   f'<title>{n} slipped</title></circle>'
                   f'<text x="{x + bar_w / 2 + 6:.1f}" y="{y + 4:.1f}" class="slipped-label">{n} slipped</text>')
    return out


def trend_chart_svg(trends: list[TrendPoint]) -> Markup:
    """A stacked bar per cycle (completed, on track, at risk, off track) and a line of actions slipped."""
    height, left, right, top, bottom = 300, 48, 16, 16, 44
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    base = top + plot_h
    peak = nice_max(max([max(t.total, t.slipped) for t in trends] + [1]))
    scale = plot_h / peak
    slot = plot_w / max(len(trends), 1)
    bar_w = min(64.0, slot * 0.55)
    out = [(f'<svg class="chart trend-chart" role="img" viewBox="0 0 {WIDTH} {height}" '
            f'aria-labelledby="trend-title">'),
           '<title id="trend-title">Actions by status in each cycle, and how many slipped</title>']
    for i in range(5):
        value = peak * i / 4
        y = base - value * scale
        out.append(f'<line x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                   f'<text x="{left - 8}" y="{y + 4:.1f}" class="axis" text-anchor="end">{value:g}</text>')
    points = []
    for i, t in enumerate(trends):
        cx = left + slot * (i + 0.5)
        out += _trend_bar(t, cx, bar_w, base, scale, height - bottom + 18)
        points.append((cx, base - t.slipped * scale, t.slipped))
    out += _slipped_line(points, bar_w)
    out.append(f'<line x1="{left}" x2="{WIDTH - right}" y1="{base}" y2="{base}" class="baseline"/>')
    out.append("</svg>")
    return Markup("".join(out))


def status_bar_svg(totals: dict[str, int]) -> Markup:
    """One horizontal bar: the whole region's actions split by status, each part labelled."""
    height = 46
    parts = [(Status(s), totals.get(s, 0)) for s in ("off_track", "at_risk", "on_track", "completed")]
    whole = sum(n for _, n in parts)
    out = [f'<svg class="chart status-bar" role="img" viewBox="0 0 {WIDTH} {height}" >',
           '<title>Actions by status this cycle</title>']
    if not whole:
        out.append(f'<rect width="{WIDTH}" height="{height}" fill="#f1f1f1"/>'
                   f'<text x="{WIDTH / 2}" y="28" text-anchor="middle" class="axis">no actions</text></svg>')
        return Markup("".join(out))
    x = 0.0
    for s, n in parts:
        w = WIDTH * n / whole
        if not w:
            continue
        out.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height}" fill="{STATUS_COLOUR[s]}">'
                   f'<title>{n} {s.words}</title></rect>')
        if w > 70:
            out.append(f'<text x="{x + w / 2:.1f}" y="28" text-anchor="middle" class="on-colour">'
                       f'{n} {s.words}</text>')
        x += w
    out.append("</svg>")
    return Markup("".join(out))


def done_chart_svg(done_counts: list[tuple[str, int]]) -> Markup:
    """Horizontal bars: how many of each thing was done about slipping actions."""
    row, label_w = 30, 290
    height = max(row * len(done_counts), row) + 8
    peak = max([n for _, n in done_counts] + [1])
    out = [f'<svg class="chart done-chart" role="img" viewBox="0 0 {WIDTH} {height}" >',
           '<title>What was done about slipping actions</title>']
    for i, (label, n) in enumerate(done_counts):
        y = i * row + 4
        w = (WIDTH - label_w - 50) * n / peak
        out.append(f'<text x="{label_w - 10}" y="{y + 17}" text-anchor="end" class="label">{escape(label)}</text>'
                   f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{row - 10}" fill="{DONE_BAR}" rx="3"/>'
                   f'<text x="{label_w + w + 8:.1f}" y="{y + 16}" class="value">{n}</text>')
    out.append("</svg>")
    return Markup("".join(out))
