"""Small charts for printed pages (the PDF dashboard): bars by village and a line over periods,
the graphics as inline SVG and the words as HTML around them.

No plotting library: WeasyPrint draws the SVG as vectors, so the charts stay sharp on paper.
Names and values are HTML text rather than SVG ``<text>``: WeasyPrint lays out each SVG text
on its own, about twenty times slower, and a page of charts would take seconds. Every text is
escaped.
"""

from __future__ import annotations

import html
from typing import Optional, Sequence

BLUE = "#1565c0"
GREY = "#9e9e9e"

CHART_STYLE = """
table.shequ-bars { border-collapse: collapse; width: 100%; font-size: 7.5pt; }
table.shequ-bars caption, .shequ-line .title { caption-side: top; text-align: left; font-weight: bold; font-size: 8.5pt; padding-bottom: 1mm; }
table.shequ-bars td { padding: 0.3pt 2pt; white-space: nowrap; }
table.shequ-bars td.name { text-align: right; width: 22%; }
table.shequ-bars td.bar { width: 58%; }
table.shequ-bars td.bar svg { display: block; width: 100%; height: 7pt; }
.shequ-line svg { display: block; width: 100%; height: 30mm; }
table.shequ-line-values { width: 100%; border-collapse: collapse; font-size: 7pt; table-layout: fixed; }
table.shequ-line-values td { text-align: center; padding: 0; }
table.shequ-line-values tr.value td { color: #0d47a1; }
"""


def _number(value) -> Optional[float]:
    if value is None or (isinstance(value, float) and value != value):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def bars_html(labels: Sequence[str], values: Sequence, texts: Sequence[str], *, title: str) -> str:
    """One row per label: its name, a bar as long as its value (an inline SVG, the longest bar
    the full width) and the value as printed (``texts``; a blank value draws no bar)."""
    numbers = [_number(v) for v in values]
    top = max([abs(n) for n in numbers if n is not None] or [0]) or 1
    rows = []
    for label, number, text in zip(labels, numbers, texts):
        length = 0.0 if not number else max(abs(number) / top * 100, 0.5)
        bar = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 10" preserveAspectRatio="none">'
               f'<rect x="0" y="1" width="{length:.2f}" height="8" fill="{BLUE}"/></svg>')
        rows.append(f'<tr><td class="name">{html.escape(str(label))}</td><td class="bar">{bar}</td><td class="value">{html.escape(text)}</td></tr>')
    return f'<table class="shequ-bars"><caption>{html.escape(title)}</caption><tbody>{"".join(rows)}</tbody></table>'


def _line_segments(numbers: Sequence[Optional[float]], base: float, span: float, from_zero: bool = True) -> list[list[str]]:
    """``x,y`` points of a line over ``numbers`` in a 100-wide box, from zero (or, not
    ``from_zero``, the smallest number) at ``base`` up to ``span`` above it, each in the middle of
    its column; a blank number breaks the line, and numbers all equal draw a level line midway."""
    known = [n for n in numbers if n is not None]
    if from_zero:
        top, bottom = max(known + [0]) or 1, min(known + [0])
    else:
        top, bottom = max(known or [0]), min(known or [0])
        if top == bottom:
            base, span, top, bottom = base - span / 2, 0, bottom + 1, bottom
    count = len(numbers)
    segments, segment = [], []
    for i, n in enumerate(numbers):
        if n is None:
            segments, segment = segments + ([segment] if segment else []), []
        else:
            x = (i + 0.5) / count * 100
            y = base - (n - bottom) / ((top - bottom) or 1) * span
            segment.append(f"{x:.2f},{y:.2f}")
    return segments + ([segment] if segment else [])


def _line_shapes(segments: list[list[str]], width: float, dot: float) -> list[str]:
    shapes = [f'<polyline points="{" ".join(seg)}" fill="none" stroke="{BLUE}" stroke-width="{width}"/>' for seg in segments]
    return shapes + [f'<circle cx="{p.split(",")[0]}" cy="{p.split(",")[1]}" r="{dot}" fill="{BLUE}"/>' for seg in segments for p in seg]


def sparkline_svg(values: Sequence, *, title: str) -> str:
    """A small line of ``values`` (oldest first) without axes, for a card; ``title`` (the periods
    and values in words) is what a screen reader and a hovering pointer get."""
    segments = _line_segments([_number(v) for v in values], base=18, span=16, from_zero=False)  # the change, not the size
    return (f'<svg class="shequ-sparkline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 20" preserveAspectRatio="none" '
            f'role="img" aria-label="{html.escape(title)}"><title>{html.escape(title)}</title>{"".join(_line_shapes(segments, 1.5, 1.6))}</svg>')


def line_html(labels: Sequence[str], values: Sequence, texts: Sequence[str], *, title: str) -> str:
    """A line over periods (``labels``) from zero up, a dot at each period; under it the periods
    and their values as printed (``texts``). A blank value breaks the line."""
    segments = _line_segments([_number(v) for v in values], base=36, span=32)
    shapes = [f'<line x1="0" y1="36" x2="100" y2="36" stroke="{GREY}" stroke-width="0.3"/>', *_line_shapes(segments, 0.8, 0.9)]
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 40" preserveAspectRatio="none">{"".join(shapes)}</svg>')
    periods = "".join(f"<td>{html.escape(str(label))}</td>" for label in labels)
    printed = "".join(f"<td>{html.escape(text)}</td>" for text in texts)
    return (f'<div class="shequ-line"><div class="title">{html.escape(title)}</div>{svg}'
            f'<table class="shequ-line-values"><tr class="period">{periods}</tr><tr class="value">{printed}</tr></table></div>')
