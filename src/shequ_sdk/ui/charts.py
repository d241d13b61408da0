"""Chart and table builders shared by the dashboards and the plugins' views.

HoloViews (Bokeh) for charts; plain HTML for grids and small tables, which render at once,
print well and can be read by tests and screen readers. Every text that comes from data is
escaped. Labels are passed in, already in the user's language.
"""

from __future__ import annotations

import html
from typing import Any, Iterable, Mapping, Optional, Sequence

import pandas as pd

from ..registry import Indicator
from .i18n import t

CHART_HEIGHT = 300

# status key -> colour; the finance deadline engine's four statuses and any other plugin's
# statuses use the same palette when they share these keys
STATUS_COLOURS = {
    "on_time": "#2e7d32",
    "late": "#f9a825",
    "missing": "#c62828",
    "not_yet_due": "#9e9e9e",
}
STATUS_SYMBOLS = {"on_time": "✓", "late": "!", "missing": "✗", "not_yet_due": "…"}


def _hv():
    import holoviews as hv
    import holoviews.plotting.bokeh  # noqa: F401  chart options need the Bokeh backend loaded

    return hv


def is_rate(ind: Indicator) -> bool:
    return ind.value_type == "ratio" or (ind.denominator is not None and ind.value_type != "money")


def axis_label(ind: Indicator, lang: str = "zh") -> str:
    """The indicator's label with its unit, ``户数（户）`` or ``Households (households)``; no
    brackets when the indicator has no unit in ``lang``."""
    unit = "%" if is_rate(ind) else (ind.unit_zh if lang == "zh" else ind.unit_en)
    return counted(ind.label(lang), unit, lang)


def counted(label: str, extra, lang: str = "zh") -> str:
    """``label（extra）`` in Chinese, ``label (extra)`` in English, ``label`` when extra is empty."""
    if extra is None or extra == "":
        return label
    return f"{label}（{extra}）" if lang == "zh" else f"{label} ({extra})"


def display_number(ind: Indicator, value) -> Optional[float]:
    """A value as a plain number for charts and sortable tables: rates in per cent, money in yuan."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    if is_rate(ind):
        return round(float(value) * 100, 1)
    return float(value)


def trend_chart(long: pd.DataFrame, ind: Indicator, *, lang: str = "zh", title: str = ""):
    """A line over periods of one indicator, from a long frame (``period``, ``value``)."""
    hv = _hv()
    df = long[long["indicator"] == ind.key] if "indicator" in long.columns else long
    data = pd.DataFrame({"period": df["period"].astype(str).tolist(), "value": [display_number(ind, v) for v in df["value"]]})
    kdim = ("period", t("period", lang))
    vdim = ("value", axis_label(ind, lang))
    opts = dict(responsive=True, height=CHART_HEIGHT, tools=["hover"], title=title, xrotation=45 if len(data) > 8 else 0)
    if is_rate(ind):
        opts["ylim"] = (0, 105)
    curve = hv.Curve(data, kdims=[kdim], vdims=[vdim]).opts(**opts, color="#1565c0", line_width=2)
    return curve * hv.Scatter(data, kdims=[kdim], vdims=[vdim]).opts(responsive=True, height=CHART_HEIGHT, size=7, color="#1565c0", tools=["hover"])


def village_bars(wide: pd.DataFrame, ind: Indicator, *, lang: str = "zh", title: str = ""):
    """One bar per village of one indicator, from a wide frame (``region_name``, ``<key>``)."""
    hv = _hv()
    data = pd.DataFrame({"region_name": wide["region_name"].astype(str).tolist(),
                         "value": [display_number(ind, v) for v in wide[ind.key]]}).sort_values("value", ascending=False)
    return hv.Bars(data, kdims=[("region_name", t("village", lang))], vdims=[("value", axis_label(ind, lang))]).opts(
        responsive=True, height=CHART_HEIGHT, tools=["hover"], title=title, xrotation=45, color="#1565c0")


def bar_chart(data: pd.DataFrame, x: str, y: str, *, x_label: str, y_label: str, title: str = "", color: str = "#1565c0",
              stack: Optional[str] = None, stack_label: Optional[str] = None):
    """Bars of ``y`` by ``x`` (optionally stacked by ``stack``), with labelled axes."""
    hv = _hv()
    kdims = [(x, x_label)] + ([(stack, stack_label or stack)] if stack else [])
    bars = hv.Bars(data, kdims=kdims, vdims=[(y, y_label)])
    opts: dict[str, Any] = dict(responsive=True, height=CHART_HEIGHT, tools=["hover"], title=title)
    if stack:
        opts.update(stacked=True, legend_position="right")
    else:
        opts["color"] = color
    return bars.opts(**opts)


def message(text: str, kind: str = "info"):
    """A short notice (no data, nothing to show) in the dashboards' style."""
    import panel as pn

    colour = {"info": "#555", "warning": "#8a6d00", "danger": "#b00020"}[kind]
    return pn.pane.HTML(f'<div class="shequ-message shequ-message-{kind}" style="color:{colour};padding:6px 0">{html.escape(text)}</div>',
                        sizing_mode="stretch_width")


# Tabulator's options for every grid of the apps: its own size and visibility observers are off
# ("autoResize"). They drew every row anew each time a grid came into view (scrolled to, or
# shown) or changed size, on top of Panel's own redraw after a resize, and a click whose
# mouse-down landed before such a redraw and its mouse-up after it never happened: a village's
# name clicked on the township dashboard opened nothing (one pass in five of make bench-ui).
# Panel still redraws a grid whose size changed (its view's resize, which also covers a grid
# shown after being hidden).
GRID_CONFIGURATION = {"autoResize": False}


def data_grid(value: pd.DataFrame, *, configuration: Optional[Mapping[str, Any]] = None, **params):
    """A ``pn.widgets.Tabulator`` of ``value`` with the apps' grid options
    (:data:`GRID_CONFIGURATION`, then ``configuration``); ``params`` are Tabulator's."""
    import panel as pn

    return pn.widgets.Tabulator(value, configuration={**GRID_CONFIGURATION, **(configuration or {})}, **params)


def html_table(df: pd.DataFrame, *, css_class: str = "", labels: Optional[Mapping[str, str]] = None, max_rows: int = 200,
               data_attrs: Optional[Sequence[str]] = None) -> str:
    """A small HTML table of ``df`` (escaped), columns renamed by ``labels``."""
    labels = labels or {}
    cols = list(df.columns)
    head = "".join(f"<th>{html.escape(str(labels.get(c, c)))}</th>" for c in cols)
    body = []
    for _, row in df.head(max_rows).iterrows():
        attrs = "".join(f' data-{a.replace("_", "-")}="{html.escape(str(row[a]))}"' for a in (data_attrs or ()) if a in row)
        cells = "".join(f"<td>{html.escape(_cell(row[c]))}</td>" for c in cols)
        body.append(f"<tr{attrs}>{cells}</tr>")
    return (f'<table class="shequ-table {html.escape(css_class)}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def _cell(value) -> str:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool) or type(value).__name__ == "bool_":  # numpy's bool too
        return "是" if value else "否"
    return str(value)


def status_heatmap(cells: Mapping[tuple, Mapping[str, Any]], *, rows: Sequence[tuple[Any, str]], lines: Sequence[tuple[str, str]],
                   columns: Sequence[tuple[str, str]], statuses: Mapping[str, tuple[str, str]], lang: str = "zh",
                   row_header: str = "", title: str = "", css_class: str = "shequ-heatmap") -> str:
    """An HTML status grid: one row per item (village), a group of columns per line (board),
    one column per period; each cell coloured by its status, with a legend.

    ``cells[(row_key, line_key, column_key)] = {"status": key, "note": text}``; ``statuses`` maps a
    status key to its (Chinese, English) label. Each ``<td>`` carries ``data-row``,
    ``data-line``, ``data-period`` and ``data-status`` and a tooltip in the user's language.
    """
    esc = html.escape
    label = (lambda pair: pair[0] if lang == "zh" else pair[1])
    top = "".join(f'<th colspan="{len(columns)}" class="line">{esc(name)}</th>' for _, name in lines)
    sub = "".join(f'<th class="period" title="{esc(name)}">{esc(short_period(key, lang))}</th>' for _ in lines for key, name in columns)
    body = []
    for row_key, row_name in rows:
        tds = []
        for line_key, line_name in lines:
            for col_key, col_name in columns:
                cell = cells.get((row_key, line_key, col_key))
                if not cell or not cell.get("status"):
                    tds.append(f'<td class="cell empty" data-row="{esc(str(row_name))}" data-line="{esc(line_key)}" '
                               f'data-period="{esc(col_key)}" data-status="">—</td>')
                    continue
                status = cell["status"]
                status_text = label(statuses.get(status, (status, status)))
                tip = f"{row_name} · {line_name} · {col_name}：{status_text}" if lang == "zh" else f"{row_name} · {line_name} · {col_name}: {status_text}"
                if cell.get("note"):
                    tip += ("（" + cell["note"] + "）") if lang == "zh" else f" ({cell['note']})"
                colour = STATUS_COLOURS.get(status, "#607d8b")
                tds.append(f'<td class="cell" style="background:{colour}" data-row="{esc(str(row_name))}" data-line="{esc(line_key)}" '
                           f'data-period="{esc(col_key)}" data-status="{esc(status)}" title="{esc(tip)}" aria-label="{esc(tip)}">'
                           f'{STATUS_SYMBOLS.get(status, "")}</td>')
        body.append(f'<tr><th class="row" scope="row">{esc(str(row_name))}</th>{"".join(tds)}</tr>')
    legend = "".join(
        f'<span class="item"><span class="swatch" style="background:{STATUS_COLOURS.get(k, "#607d8b")}">{STATUS_SYMBOLS.get(k, "")}</span>'
        f'{esc(label(v))}</span>' for k, v in statuses.items())
    caption = f"<caption>{esc(title)}</caption>" if title else ""
    return (
        f'<div class="{esc(css_class)}">{HEATMAP_STYLE}'
        f'<table>{caption}<thead><tr><th rowspan="2" class="corner">{esc(row_header)}</th>{top}</tr><tr>{sub}</tr></thead>'
        f'<tbody>{"".join(body)}</tbody></table>'
        f'<div class="legend">{legend}</div></div>'
    )


def short_period(key: str, lang: str = "zh") -> str:  # noqa: ARG001 - same in both languages
    """A period's compact column header: ``2010Q4``, ``2010-12`` or ``2010``."""
    from ..period import Period

    try:
        p = Period.parse(key)
    except Exception:
        return key
    if p.kind == "quarter":
        return f"{p.year}Q{p.number}"
    if p.kind == "month":
        return f"{p.year}-{p.number:02d}"
    return str(p.year)


HEATMAP_STYLE = """<style>
.shequ-heatmap{overflow-x:auto;max-width:100%}
.shequ-heatmap table{border-collapse:collapse;font-size:13px}
.shequ-heatmap caption{caption-side:top;text-align:left;font-weight:600;padding:4px 0}
.shequ-heatmap th,.shequ-heatmap td{border:1px solid #fff;padding:3px 6px;text-align:center;white-space:nowrap}
.shequ-heatmap th.line{background:#eceff1;font-weight:600}
.shequ-heatmap th.period{background:#f5f5f5;font-weight:normal;font-size:12px}
.shequ-heatmap th.row{text-align:left;background:#fafafa;font-weight:normal;position:sticky;left:0}
.shequ-heatmap td.cell{color:#fff;min-width:28px;font-weight:600}
.shequ-heatmap td.empty{color:#bbb;background:#f7f7f7}
.shequ-heatmap .legend{margin-top:6px;font-size:13px}
.shequ-heatmap .legend .item{margin-right:14px;white-space:nowrap}
.shequ-heatmap .legend .swatch{display:inline-block;width:18px;height:16px;margin-right:4px;color:#fff;text-align:center;
 font-size:11px;line-height:16px;vertical-align:middle;border-radius:2px}
</style>"""

TABLE_STYLE = """<style>
.shequ-table-box{overflow-x:auto;max-width:100%}
.shequ-table{border-collapse:collapse;font-size:13px;margin:2px 0 8px 0}
.shequ-table th{background:#f1f3f5;text-align:left;font-weight:600}
.shequ-table th,.shequ-table td{border-bottom:1px solid #e3e3e3;padding:3px 8px;vertical-align:top}
</style>"""


def table_pane(df: pd.DataFrame, *, css_class: str = "", labels: Optional[Mapping[str, str]] = None, max_rows: int = 200,
               data_attrs: Optional[Iterable[str]] = None):
    import panel as pn

    return pn.pane.HTML(TABLE_STYLE + boxed(html_table(df, css_class=css_class, labels=labels, max_rows=max_rows,
                                                       data_attrs=list(data_attrs or ()))), sizing_mode="stretch_width")


def boxed(table_html: str) -> str:
    """A wide table in its own sideways-scrolling box, so the page never scrolls sideways."""
    return f'<div class="shequ-table-box">{table_html}</div>'

