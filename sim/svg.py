"""Two small SVG charts, written by hand (no plotting library to install on a site server): a line chart of
a series over the day and grouped bars of a histogram. Text is escaped; the output parses as XML."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

WIDTH, HEIGHT, MARGIN = 720, 320, 48
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")


def _frame(title: str, x_label: str, y_label: str, top: float) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">',
        f'<title>{escape(title)}</title>',
        f'<text x="{WIDTH / 2}" y="16" text-anchor="middle" font-size="13">{escape(title)}</text>',
        f'<line x1="{MARGIN}" y1="{HEIGHT - MARGIN}" x2="{WIDTH - 10}" y2="{HEIGHT - MARGIN}" '
        'stroke="black"/>',
        f'<line x1="{MARGIN}" y1="{MARGIN / 2}" x2="{MARGIN}" y2="{HEIGHT - MARGIN}" stroke="black"/>',
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 8}" text-anchor="middle">{escape(x_label)}</text>',
        f'<text x="12" y="{HEIGHT / 2}" transform="rotate(-90 12 {HEIGHT / 2})" text-anchor="middle">'
        f'{escape(y_label)}</text>',
        f'<text x="{MARGIN - 4}" y="{MARGIN / 2 + 4}" text-anchor="end">{top:g}</text>',
        f'<text x="{MARGIN - 4}" y="{HEIGHT - MARGIN}" text-anchor="end">0</text>',
    ]


def _x(index: float, count: int) -> float:
    return MARGIN + (WIDTH - 10 - MARGIN) * index / max(1, count - 1)


def _y(value: float, top: float) -> float:
    return HEIGHT - MARGIN - (HEIGHT - 1.5 * MARGIN) * value / (top or 1)


def line_chart(title: str, labels: Sequence[str], series: dict[str, Sequence[float]], x_label: str,
               y_label: str) -> str:
    """One polyline per series over the same x labels (a label every so often under the axis)."""
    top = max((max(values, default=0) for values in series.values()), default=0) or 1
    parts = _frame(title, x_label, y_label, top)
    step = max(1, len(labels) // 8)
    for index in range(0, len(labels), step):
        parts.append(f'<text x="{_x(index, len(labels)):.1f}" y="{HEIGHT - MARGIN + 14}" '
                     f'text-anchor="middle">{escape(labels[index])}</text>')
    for number, (name, values) in enumerate(series.items()):
        colour = COLOURS[number % len(COLOURS)]
        points = " ".join(f"{_x(i, len(values)):.1f},{_y(v, top):.1f}" for i, v in enumerate(values))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{points}"/>')
        parts.append(f'<text x="{WIDTH - 120}" y="{34 + 14 * number}" fill="{colour}">{escape(name)}</text>')
    return "\n".join([*parts, "</svg>\n"])


def bar_chart(title: str, labels: Sequence[str], groups: dict[str, Sequence[float]], x_label: str,
              y_label: str) -> str:
    """Grouped bars: for each x label, one bar per group."""
    top = max((max(values, default=0) for values in groups.values()), default=0) or 1
    parts = _frame(title, x_label, y_label, top)
    slot = (WIDTH - 10 - MARGIN) / max(1, len(labels))
    width = slot * 0.8 / max(1, len(groups))
    for index, label in enumerate(labels):
        parts.append(f'<text x="{MARGIN + slot * (index + 0.5):.1f}" y="{HEIGHT - MARGIN + 14}" '
                     f'text-anchor="middle">{escape(label)}</text>')
    for number, (name, values) in enumerate(groups.items()):
        colour = COLOURS[number % len(COLOURS)]
        for index, value in enumerate(values):
            x = MARGIN + slot * index + slot * 0.1 + width * number
            parts.append(f'<rect x="{x:.1f}" y="{_y(value, top):.1f}" width="{width:.1f}" '
                         f'height="{HEIGHT - MARGIN - _y(value, top):.1f}" fill="{colour}"/>')
        parts.append(f'<text x="{WIDTH - 120}" y="{34 + 14 * number}" fill="{colour}">{escape(name)}</text>')
    return "\n".join([*parts, "</svg>\n"])
