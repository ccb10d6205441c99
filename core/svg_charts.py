"""The reports' charts as SVG, drawn on the server (no charting library in the browser: kiosks and desks may
be offline, and the page's Content-Security-Policy allows no inline script). Pages show them as
`<img src="data:image/svg+xml;base64,…">` beside a table with the same numbers (the text alternative).

Lines over time (people waiting), bars with a line (arrivals against capacity), bars (the wait
distribution); a y axis with round gridlines, a legend, a label every few x values. Colours are told apart
by shape too (a dashed line, bars against a line), and every text is escaped: the output parses as XML.
sim/svg.py draws the simulator's own figures; these are the staff pages'.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 40, 44
COLOURS = ("#1f5fa8", "#b3261e", "#2e7d32")  # blue, red, green: 4.5:1 or more against white
DASHES = ("", "6 4", "2 3")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


def nice_top(value: float) -> tuple[float, float]:
    """A round top for the y axis at or above `value`, and its gridline step (1, 2 or 5 × 10^n)."""
    if value <= 0:
        return 1.0, 1.0
    raw = value / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return step * math.ceil(value / step), step


def _number(value: float) -> str:
    return f"{value:g}"


class Chart:
    """One chart's canvas: frame, axes and legend; `line` and `bars` add series."""

    def __init__(self, title: str, labels: Sequence[str], top: float, y_label: str) -> None:
        self.labels = list(labels)
        self.top, step = nice_top(top)
        self.plot_w, self.plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
        self.parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="DejaVu Sans, Arial, sans-serif" font-size="11">',
            f"<title>{escape(title)}</title>",
            f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
            f'<text x="{LEFT}" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
            f'<text x="{LEFT}" y="{TOP - 8}" fill="#444">{escape(y_label)}</text>',
        ]
        ticks = int(round(self.top / step))
        for index in range(ticks + 1):
            value = step * index
            y = self.y(value)
            self.parts.append(
                f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
                f'stroke="{"#333" if index == 0 else "#ddd"}"/>'
            )
            self.parts.append(
                f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_number(value)}</text>'
            )
        every = max(1, math.ceil(len(self.labels) / 12))
        for index in range(0, len(self.labels), every):
            self.parts.append(
                f'<text x="{self.x_mid(index):.1f}" y="{HEIGHT - BOTTOM + 16}" '
                f'text-anchor="middle">{escape(self.labels[index])}</text>'
            )
        self.legend: list[str] = []

    def y(self, value: float) -> float:
        return TOP + self.plot_h * (1 - min(value, self.top) / self.top)

    def slot(self) -> float:
        return self.plot_w / max(1, len(self.labels))

    def x_mid(self, index: int) -> float:
        return LEFT + self.slot() * (index + 0.5)

    def _key(self, name: str, mark: str) -> None:
        """A legend entry at the bottom: `mark` (an SVG element with {x} and {y}) and the series' name."""
        x, y = LEFT + 200 * len(self.legend), HEIGHT - 10
        self.legend.append(
            mark.format(x=x, y=y, x2=x + 18) + f'<text x="{x + 24}" y="{y + 4}">{escape(name)}</text>'
        )

    def line(self, series: Series, number: int) -> None:
        colour, dash = COLOURS[number % len(COLOURS)], DASHES[number % len(DASHES)]
        points = " ".join(f"{self.x_mid(i):.1f},{self.y(v):.1f}" for i, v in enumerate(series.values))
        style = f'stroke="{colour}" stroke-width="2"' + (f' stroke-dasharray="{dash}"' if dash else "")
        self.parts.append(f'<polyline fill="none" {style} points="{points}"/>')
        self._key(series.name, f'<line x1="{{x}}" y1="{{y}}" x2="{{x2}}" y2="{{y}}" {style}/>')

    def bars(self, series: Series, number: int) -> None:
        colour, width = COLOURS[number % len(COLOURS)], self.slot() * 0.7
        for index, value in enumerate(series.values):
            y = self.y(value)
            self.parts.append(
                f'<rect x="{self.x_mid(index) - width / 2:.1f}" y="{y:.1f}" width="{width:.1f}" '
                f'height="{TOP + self.plot_h - y:.1f}" fill="{colour}" fill-opacity="0.75"/>'
            )
        self._key(
            series.name,
            f'<rect x="{{x}}" y="{{y}}" width="18" height="8" fill="{colour}" transform="translate(0 -4)"/>',
        )

    def svg(self) -> str:
        return "\n".join([*self.parts, *self.legend, "</svg>\n"])


def _top(*series: Series) -> float:
    return max((max(s.values, default=0) for s in series), default=0)


def lines(title: str, labels: Sequence[str], series: Sequence[Series], y_label: str) -> str:
    chart = Chart(title, labels, _top(*series), y_label)
    for number, one in enumerate(series):
        chart.line(one, number)
    return chart.svg()


def bars_and_line(title: str, labels: Sequence[str], bars: Series, line: Series | None, y_label: str) -> str:
    chart = Chart(title, labels, _top(bars, *([line] if line else [])), y_label)
    chart.bars(bars, 0)
    if line is not None:
        chart.line(line, 1)
    return chart.svg()


def data_uri(svg: str) -> str:
    """The chart as an `<img src>` the pages' Content-Security-Policy allows (`img-src 'self' data:`)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
