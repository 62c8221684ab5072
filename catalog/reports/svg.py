"""Horizontal bar charts as SVG, drawn on the server (no Flask here).

A chart is an image with a title and a description for screen readers; the page
puts a table with the same numbers beside it. Every bar carries its value as
text, and the target line its own label, so nothing is said by colour alone.
The drawing scales to its container through the viewBox. Every piece of text
is escaped: labels come from course titles and country names people typed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from markupsafe import Markup

WIDTH = 760
LABEL_RIGHT = 290  # labels end here, right-aligned
BAR_LEFT = 300
BAR_SPACE = 280  # the longest bar
ROW = 28
BAR_HEIGHT = 18
TOP = 12
TARGET_TOP = 34  # room for the target's label above the bars
BOTTOM = 10
LABEL_CHARACTERS = 40

# Dark enough against white for graphics (WCAG 1.4.11 asks 3:1; these exceed 7:1),
# told apart by the labels beside them, never by colour alone.
COLOURS = ("#1d4f7a", "#6b3d00")
TARGET_COLOUR = "#a4262c"
TEXT_COLOUR = "#1b1b1b"
AXIS_COLOUR = "#5f6b77"
MARK_COLOUR = "#1b1b1b"
# A white outline under text keeps it readable where the target line crosses it.
HALO = 'stroke="#fff" stroke-width="4" stroke-linejoin="round" paint-order="stroke"'


@dataclass(frozen=True)
class Bar:
    """One row of the chart. ``value`` None draws no bar (a suppressed or missing
    figure); ``text`` says the value, or why there is none."""

    label: str
    value: float | None
    text: str
    series: int = 0  # which colour, for charts with two kinds of bar
    mark: float | None = None  # a short upright line across the row, e.g. a quota


def _text(value: object) -> str:
    return escape(str(value))


def _attribute(value: object) -> str:
    return escape(str(value), {'"': "&quot;"})


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _short(label: str) -> str:
    if len(label) <= LABEL_CHARACTERS:
        return label
    return label[: LABEL_CHARACTERS - 1].rstrip() + "…"


def chart_id(text: str) -> str:
    """A string safe as an XML id: letters, digits and dashes, starting with a letter."""
    return "chart-" + (re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or "x")


def bar_chart(
    *,
    chart: str,
    title: str,
    description: str,
    bars: Sequence[Bar],
    maximum: float | None = None,
    target: float | None = None,
    target_text: str = "",
) -> Markup:
    """The chart as inline SVG.

    ``chart`` makes the ids of the title and description unique on the page;
    ``maximum`` is the value of the longest possible bar (the largest value or
    mark when None); ``target`` draws a dashed vertical line labelled ``target_text``.
    """
    ident = chart_id(chart)
    top = TARGET_TOP if target is not None else TOP
    height = top + ROW * len(bars) + BOTTOM
    values = [v for bar in bars for v in (bar.value, bar.mark) if v is not None]
    scale_to = max([maximum or 0, *values, target or 0]) or 1

    def x_of(value: float) -> float:
        return BAR_LEFT + BAR_SPACE * min(value, scale_to) / scale_to

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'aria-labelledby="{ident}-title {ident}-desc" '
        f'font-family="system-ui, sans-serif" font-size="13" fill="{TEXT_COLOUR}">',
        f'<title id="{ident}-title">{_text(title)}</title>',
        f'<desc id="{ident}-desc">{_text(description)}</desc>',
    ]
    for index, bar in enumerate(bars):
        y = top + ROW * index
        middle = y + ROW / 2 + 4.5  # text baseline, centred on the bar
        parts.append(f"<g><title>{_text(bar.label)}: {_text(bar.text)}</title>")
        parts.append(
            f'<text x="{LABEL_RIGHT}" y="{_number(middle)}" text-anchor="end">'
            f"{_text(_short(bar.label))}</text>"
        )
        end = BAR_LEFT
        if bar.value is not None:
            end = x_of(bar.value)
            colour = COLOURS[bar.series % len(COLOURS)]
            parts.append(
                f'<rect x="{BAR_LEFT}" y="{_number(y + (ROW - BAR_HEIGHT) / 2)}" '
                f'width="{_number(end - BAR_LEFT)}" height="{BAR_HEIGHT}" '
                f'fill="{_attribute(colour)}"/>'
            )
        if bar.mark is not None:
            x = _number(x_of(bar.mark))
            parts.append(
                f'<line x1="{x}" y1="{_number(y + 2)}" x2="{x}" y2="{_number(y + ROW - 2)}" '
                f'stroke="{MARK_COLOUR}" stroke-width="3"/>'
            )
            end = max(end, x_of(bar.mark))
        parts.append(
            f'<text x="{_number(end + 6)}" y="{_number(middle)}" {HALO}>{_text(bar.text)}</text>'
        )
        parts.append("</g>")
    # The axis the bars grow from.
    parts.append(
        f'<line x1="{BAR_LEFT}" y1="{top - 4}" x2="{BAR_LEFT}" y2="{height - BOTTOM + 4}" '
        f'stroke="{AXIS_COLOUR}" stroke-width="1"/>'
    )
    if target is not None:
        x = _number(x_of(target))
        parts.append(
            f'<line x1="{x}" y1="{top - 8}" x2="{x}" y2="{height - BOTTOM + 4}" '
            f'stroke="{TARGET_COLOUR}" stroke-width="2" stroke-dasharray="6 4"/>'
        )
        parts.append(
            f'<text x="{x}" y="{top - 14}" text-anchor="middle" fill="{TARGET_COLOUR}" '
            f'font-weight="bold" {HALO}>{_text(target_text)}</text>'
        )
    parts.append("</svg>")
    # Every value above went through escape(); the rest is our own markup.
    return Markup("".join(parts))
