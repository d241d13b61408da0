"""The township dashboard printed: one area (county or township) and period as an A4 PDF.

What the page at ``/township`` shows, on paper: a title with the area, the period and the day it
was printed; the headline indicator cards (:meth:`KpiCards.items`, the values exactly as
``shequ indicators`` prints them); the plugins' printable views (a view's optional
``printable(store)``: the finance plugin's disclosure heatmap); the village table on landscape
pages (:meth:`VillageTable.frame`: every village, every headline indicator, the village's
name on each table and the header row repeated on each page); and the charts as inline SVG drawn
from the same figures (:mod:`shequ_sdk.ui.svg_charts`).

Everything is read through a :class:`~shequ_sdk.ui.DataStore`, so the signed-in user's scope
applies and only aggregates (and masked values) are printed. The PDF is made by
:func:`shequ_sdk.boards.render_pdf`, the same WeasyPrint call as the disclosure boards.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from decimal import Decimal
from pathlib import Path
from typing import Optional

log = logging.getLogger("shequ_sdk.report")

# indicator columns per village table: more are printed as a further table, names repeated
TABLE_COLUMNS = 9


def _css(lang: str) -> str:
    page = ('"第 " counter(page) " 页，共 " counter(pages) " 页"' if lang == "zh" else '"Page " counter(page) " of " counter(pages)')
    return """
@page { size: A4 portrait; margin: 14mm 12mm 15mm 12mm;
  @bottom-center { content: %s; font-size: 7.5pt; color: #666; } }
@page wide { size: A4 landscape; margin: 12mm 12mm 14mm 12mm; }
html { font-family: "Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", sans-serif;
  font-size: 9pt; color: #222; }
h1 { font-size: 16pt; margin: 0 0 2mm 0; color: #0d47a1; }
h2 { font-size: 12pt; margin: 5mm 0 2mm 0; border-bottom: 0.6pt solid #0d47a1; padding-bottom: 1mm; }
h3 { font-size: 10pt; margin: 3mm 0 1mm 0; }
.meta { color: #555; margin: 0 0 3mm 0; }
.kpi { display: inline-block; width: 31.5%%; margin: 0 1%% 2mm 0; padding: 1.5mm 2mm; vertical-align: top;
  border: 0.5pt solid #ccc; border-left: 2pt solid #1565c0; box-sizing: border-box; page-break-inside: avoid; }
.kpi .label { font-size: 8pt; color: #555; }
.kpi .value { font-size: 12pt; font-weight: bold; }
.view { page-break-inside: auto; }
.view .shequ-heatmap table { font-size: 7.5pt; }
.view .shequ-heatmap th, .view .shequ-heatmap td { padding: 1pt 3pt; }
.view .shequ-heatmap thead { display: table-header-group; }
.view .shequ-heatmap tr { page-break-inside: avoid; }
.wide { page: wide; }
table.villages { border-collapse: collapse; width: 100%%; font-size: 7.5pt; margin-bottom: 4mm; }
table.villages thead { display: table-header-group; }
table.villages tr { page-break-inside: avoid; }
table.villages th { background: #eceff1; font-weight: bold; text-align: center; vertical-align: bottom; }
table.villages th, table.villages td { border: 0.4pt solid #cfd8dc; padding: 1pt 3pt; }
table.villages td.num { text-align: right; white-space: nowrap; }
table.villages .name { text-align: left; white-space: nowrap; }
.charts figure { display: inline-block; width: 48%%; margin: 0 1.5%% 4mm 0; vertical-align: top; page-break-inside: avoid; }
.note { color: #8a6d00; }
""" % page


def _cell(value, kind: str) -> str:
    """A village-table value as printed: counts as integers, yuan with two decimals, rates in per cent with one."""
    if _missing(value):
        return "—"
    if kind == "money":
        return f"{Decimal(value):,.2f}"
    if kind == "count":
        return f"{int(value):,}"
    return f"{float(value):,.1f}"


def _kind(ind) -> str:
    from .ui.charts import is_rate

    if is_rate(ind):
        return "rate"
    return ind.value_type if ind.value_type in ("money", "count") else "number"


def make_store(sdk, region, period, lang: str = "zh", as_of: Optional[dt.date] = None):
    """The DataStore a printed dashboard reads through: ``region`` checked against the user's
    scope and ``period`` parsed first, so a bad value is one error naming it."""
    from .period import Period
    from .ui.store import DataStore

    if lang not in ("zh", "en"):
        from .errors import InputError

        raise InputError(f"语言只能是 zh 或 en：{lang!r}", f"the language is zh or en: {lang!r}")
    label = str(Period.parse(period))
    sdk.readable_region(region)  # unknown, or outside the user's scope: refused here, naming it
    return DataStore(sdk=sdk, region=str(region), period=label, lang=lang, as_of=as_of)


def store_html(store, *, today: Optional[dt.date] = None) -> str:
    """The whole printed dashboard of ``store``'s area, period and language, as one HTML page."""
    from .ui.i18n import t
    from .ui.svg_charts import CHART_STYLE

    lang = store.lang
    today = today or dt.date.today()
    area = store.region_obj
    period_label = store.period_obj.label(lang)
    title = f"{t('township.title', lang)} · {area.name} · {period_label}"
    parts = [f'<h1>{html.escape(title)}</h1>',
             f'<p class="meta">{html.escape(t("area", lang))}：{html.escape(_area_path(store))} · '
             f'{html.escape(t("period", lang))}：{html.escape(period_label)} · '
             f'{html.escape(t("report.printed", lang))}：{today.isoformat()}</p>'
             if lang == "zh" else
             f'<p class="meta">{html.escape(t("area", lang))}: {html.escape(_area_path(store))} · '
             f'{html.escape(t("period", lang))}: {html.escape(period_label)} · '
             f'{html.escape(t("report.printed", lang))}: {today.isoformat()}</p>']
    parts.append(_kpis(store))
    parts.extend(_views(store))
    table, frame = _village_tables(store)
    parts.append(table)
    parts.append(_charts(store, frame))
    return (f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f'<title>{html.escape(title)}</title><style>{_css(lang)}{CHART_STYLE}</style></head><body>{"".join(parts)}</body></html>')


def _area_path(store) -> str:
    """``南县 › 茅草街镇``: the area under its county."""
    area = store.region_obj
    names = store.regions().set_index("id")["name"]
    chain = [i for i in (area.county_id, area.township_id) if i and i != area.id] + [area.id]
    return " › ".join(str(names.get(i, "")) for i in chain)


def _kpis(store) -> str:
    from .ui.i18n import t
    from .ui.views import KpiCards

    items = KpiCards(data_store=store).items()
    if not items:
        return f'<h2>{html.escape(t("kpis", store.lang))}</h2><p>{html.escape(t("no_data", store.lang))}</p>'
    cards = "".join(f'<div class="kpi" data-key="{html.escape(key)}"><div class="label">{html.escape(label)}</div>'
                    f'<div class="value">{html.escape(text)}</div></div>' for key, label, text, _ in items)
    return f'<section class="kpis"><h2>{html.escape(t("kpis", store.lang))}</h2>{cards}</section>'


def _views(store) -> list[str]:
    """The printable HTML of each township-dashboard view that has one, in the page's order."""
    from .ui.i18n import t
    from .ui.views import views_for

    out = []
    for spec in views_for("chart"):
        if spec.printable is None:
            continue
        try:
            body = spec.printable(store)
        except Exception as exc:  # a broken plugin view must not stop the rest of the report
            log.exception("printable view %s failed", spec.key)
            body = f'<p class="note">{html.escape(t("view_error", store.lang, label=spec.label(store.lang)))}：{html.escape(type(exc).__name__)}</p>'
        if body:
            out.append(f'<section class="view" data-view="{html.escape(spec.key)}"><h2>{html.escape(spec.label(store.lang))}</h2>{body}</section>')
    return out


def _village_tables(store):
    """The village table on landscape pages, the indicators split over tables of
    :data:`TABLE_COLUMNS` columns, each beginning with the village's name; and its frame."""
    from .ui.i18n import t
    from .ui.views import VillageTable

    lang = store.lang
    heading = f'<h2>{html.escape(t("village_table", lang))}</h2>'
    if store.region_obj.kind in ("village", "community"):
        return f'<section class="wide">{heading}<p>{html.escape(t("no_villages", lang))}</p></section>', None
    view = VillageTable(data_store=store)
    frame = view.frame()
    if frame.empty:
        return f'<section class="wide">{heading}<p>{html.escape(t("no_villages", lang))}</p></section>', frame
    titles = view.titles()
    names = [c for c in ("region_name", "township_name") if c in frame.columns]
    keys = [k for k in store.headline_keys() if k in frame.columns]
    kinds = {k: _kind(store.indicator(k)) for k in keys}
    chunks = [keys[i:i + TABLE_COLUMNS] for i in range(0, len(keys), TABLE_COLUMNS)] or [[]]
    tables = []
    for chunk in chunks:
        head = "".join(f'<th class="name">{html.escape(titles[c])}</th>' for c in names)
        head += "".join(f"<th>{html.escape(titles[k])}</th>" for k in chunk)
        rows = []
        for rec in frame.to_dict("records"):
            cells = "".join(f'<td class="name">{html.escape(str(rec[c]))}</td>' for c in names)
            cells += "".join(f'<td class="num">{_cell(rec[k], kinds[k])}</td>' for k in chunk)
            rows.append(f"<tr>{cells}</tr>")
        tables.append(f'<table class="villages"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')
    return f'<section class="wide">{heading}{"".join(tables)}</section>', frame


def _charts(store, frame) -> str:
    """Per headline indicator: its line over the recent periods for the area and, when the area
    has villages, its bars by village; drawn from the figures printed above."""
    from .ui.charts import axis_label, display_number
    from .ui.i18n import t
    from .ui.svg_charts import bars_html, line_html

    lang = store.lang
    keys = store.headline_keys()
    if not keys:
        return ""
    periods = store.trend_periods()
    trend = store.trend_frame(keys, periods=periods)
    figures = []
    for key in keys:
        ind = store.indicator(key)
        kind = _kind(ind)
        rows = trend[trend["indicator"] == key].set_index("period")["value"]
        values = [rows.get(str(p)) for p in periods]
        shown = [display_number(ind, v) for v in values]
        texts = [_cell(v, kind) for v in shown]
        label = axis_label(ind, lang)
        figures.append(f'<figure data-key="{html.escape(key)}">'
                       f'{line_html([short_label(p) for p in periods], shown, texts, title=f"{store.region_obj.name} · {label}")}</figure>')
        if frame is not None and not frame.empty and key in frame.columns:
            data = [(str(name), v) for name, v in zip(frame["region_name"], frame[key])]
            numbers = [(name, None if _missing(v) else float(v)) for name, v in data]
            numbers.sort(key=lambda item: (item[1] is None, -(item[1] or 0)))
            figures.append(f'<figure data-key="{html.escape(key)}">'
                           f'{bars_html([n for n, _ in numbers], [v for _, v in numbers], [_cell(v, kind) for _, v in numbers], title=label)}'
                           f'</figure>')
    return f'<section class="charts"><h2>{html.escape(t("charts", lang))}</h2>{"".join(figures)}</section>'


def short_label(period) -> str:
    from .ui.charts import short_period

    return short_period(str(period))


def _missing(value) -> bool:
    import pandas as pd

    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def dashboard_html(sdk, region, period, lang: str = "zh", *, today: Optional[dt.date] = None, as_of: Optional[dt.date] = None) -> str:
    """The printed dashboard of ``region`` (a county or township) and ``period`` as HTML, as the
    user of ``sdk`` may read it."""
    return store_html(make_store(sdk, region, period, lang, as_of), today=today)


def dashboard_pdf(sdk, region, period, lang: str = "zh", *, today: Optional[dt.date] = None, as_of: Optional[dt.date] = None) -> bytes:
    """:func:`dashboard_html` as A4 PDF bytes."""
    from .boards import render_pdf

    return render_pdf(dashboard_html(sdk, region, period, lang, today=today, as_of=as_of))


def store_pdf(store, *, today: Optional[dt.date] = None) -> bytes:
    """The printed dashboard of a dashboard session's store (the 导出 PDF button) as PDF bytes."""
    from .boards import render_pdf

    return render_pdf(store_html(store, today=today))


def pdf_filename(store) -> str:
    """``乡镇看板-茅草街镇-2010.pdf`` (``township-dashboard-…`` in English)."""
    from .ui.i18n import t

    return f"{t('report.file', store.lang)}-{store.region_obj.name}-{store.period}.pdf"


def write_report(sdk, *, region, period, out, lang: str = "zh") -> Path:
    """Write the printed dashboard to ``out`` (``.pdf``)."""
    from .errors import InputError

    out = Path(out)
    if out.suffix.lower() != ".pdf":
        raise InputError(f"看板只能输出为 .pdf：{out.name}", f"the dashboard is written as .pdf: {out.name}")
    data = dashboard_pdf(sdk, region, period, lang)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out
