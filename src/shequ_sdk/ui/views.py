"""Views of the township dashboard and the village page: small ``Viewer`` classes over a DataStore.

Each view has ``data_store`` and a ``__panel__``; it reads only through the store, so the same
view renders in ``shequ serve`` and inline in a notebook::

    store = DataStore(sdk=shequ_sdk.open("demo.db"), region="茅草街镇", period="2010")
    KpiCards(data_store=store)          # in a notebook cell
"""

from __future__ import annotations

import html
import logging
import time
import traceback
import weakref
from collections import deque
from decimal import Decimal
from functools import partial
from typing import Any, Callable, Optional

import pandas as pd
import panel as pn
import param

from ..plugins import registry
from ..registry import View as ViewSpec
from .app import HIDE_IN_PRINT
from .charts import TABLE_STYLE, axis_label, boxed, counted, data_grid, display_number, html_table, is_rate, message, table_pane
from .i18n import t
from .store import DataStore

log = logging.getLogger("shequ_sdk.ui")

CENT = Decimal("0.01")

# px: an indicator column of the village table holds 2,759,800.00; its title wraps above
INDICATOR_COLUMN_WIDTH = 112

# columns of a table shown under 近期记录 on a village page (the rest stay in the downloads)
RECENT_COLUMNS = 7

KPI_STYLE = """<style>
.shequ-kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px}
.shequ-kpi{background:#fff;border:1px solid #e0e0e0;border-left:4px solid #1565c0;border-radius:4px;padding:8px 10px}
.shequ-kpi .label{font-size:13px;color:#555}
.shequ-kpi .value{font-size:22px;font-weight:600;color:#222;margin-top:2px;overflow-wrap:anywhere}
.shequ-kpi .value .num{white-space:nowrap}
.shequ-kpi .value .num.long{font-size:17px}
.shequ-kpi .value .unit{font-size:14px;font-weight:normal;color:#555;white-space:nowrap}
.shequ-kpi .compare{font-size:12px;color:#616161;margin-top:2px}
.shequ-kpi .shequ-sparkline{display:block;width:100%;height:22px;margin-top:4px}
</style>"""


def staged() -> bool:
    """Whether a change can be drawn in stages: in a browser session of a served page, the parts
    that are quick to redraw (the cards) reach the browser first, and the slower ones (plugin
    views, the village table, a village page's body) follow on the server's next tick. In a
    notebook or a script everything is redrawn at once.

    No spinner over a view or the table meanwhile: toggling ``loading`` redraws what is under it
    in the browser twice, which cost more than the wait it announced (``make bench-ui``)."""
    doc = pn.state.curdoc
    return doc is not None and doc.session_context is not None


# ms between two waiting parts of a loaded page (see later): the browser applies a chart in about
# twice the time the server takes to draw it, and a part sent while it is still busy with the
# last one waits, and so does the answer to a click sent after it
SPACING_MS = 150

# ms after a waiting part that sent the browser nothing (a view computed ahead of its drawing):
# room for the server to read and answer what the browser sent meanwhile, which takes it several
# turns of its event loop (a next-tick callback would run between each of them)
QUIET_SPACING_MS = 30


# ms a page's first waiting part waits while its browser has not connected yet (the page was just
# written): the browser asks for the page's scripts and styles (3 MB) as soon as it reads the
# page, and the server answers none of them while it draws. The entry app's forms (0.18 s of
# drawing, next tick after the page) held them up by as long, and the browser's start with them
# (``make bench-ui``: entry usable 1.04 s → 0.84 s in the page; 0.95 s with 250 ms, when the forms
# were not ready for the browser's first request). On a slow network the browser takes longer
# than this to ask for the page's content anyway.
ASSETS_MS = 120

# ms a user must have paused since their last choice (an area, a period, a village: acted) before
# the parts that wait in turn or last are drawn. A choice's own answer (the cards, the heatmap
# and the table, a village's page: first) is not held. Without the pause, the ten charts of the
# first view, drawn in one block when the user had just come back from a village, reached the
# browser with the next period change and held its cards up by the 1 s the browser took to lay
# the charts out (``make bench-ui``: period change 0.11 s or 1.2-1.5 s, area change 0.2 s or
# 1.2-1.9 s). A user clicking through the periods gets the charts of the one they stop at.
USER_PAUSE_MS = 500

# Each served page's callbacks waiting for a tick of their own (see later), in the order they
# run, each with its rank: -1 first, 0 in turn, 1 last.
_LATER: "weakref.WeakKeyDictionary[Any, deque]" = weakref.WeakKeyDictionary()
# The pages whose oldest waiting callback is being run.
_RUNNING: "weakref.WeakSet[Any]" = weakref.WeakSet()
# Each page's latest scheduled run of its queue (an earlier one, still pending, is dropped).
_TICKETS: "weakref.WeakKeyDictionary[Any, int]" = weakref.WeakKeyDictionary()
# When each page's user last made a choice (time.monotonic()).
_ACTED: "weakref.WeakKeyDictionary[Any, float]" = weakref.WeakKeyDictionary()


def later(callback, first: bool = False, last: bool = False) -> None:
    """``callback()`` on a later tick of the session (after what changed so far is sent), with
    the document locked; at once when not :func:`staged`. ``first``: ahead of the others waiting
    (what a click asked for, such as a village's page; the village table before the charts).
    ``last``: behind the others, also those queued after it (a part below the first screen that
    is slow to draw, such as the village map).

    A page's waiting callbacks run one at a time, never several in one go: between two of them
    the server reads what the browser sent meanwhile (a change goes first), and on a loaded page
    the next one leaves the browser ``SPACING_MS`` to apply what the last one changed. So a click
    or a new period reaches the cards after one chart's drawing at most, not after every chart
    queued before it (``make bench-ui``: the area changed while the charts of a period change
    are still being drawn: 2.44 s when they ran in one go, 0.74 s one at a time).

    A page just written, whose browser has not connected yet, waits ``ASSETS_MS`` before its
    first part: the browser's requests for the page's scripts and styles are answered first.
    Parts in turn or last wait for the user to pause (``USER_PAUSE_MS`` after their last choice).
    """
    if not staged():
        callback()
        return
    doc = pn.state.curdoc
    queue = _LATER.get(doc)
    if queue is None:
        queue = _LATER[doc] = deque()
    queue_callback(queue, callback, -1 if first else 1 if last else 0, running=doc in _RUNNING)
    if queue[0][0] is callback and doc not in _RUNNING:
        # the queue was empty, or this part goes ahead of a part that waits for the user to pause
        _schedule(doc, ASSETS_MS if _fetching(doc) else None)


def acted() -> None:
    """The user of the page being served made a choice (:meth:`DataStore.choose`): the parts
    that wait in turn or last wait until they pause (``USER_PAUSE_MS``)."""
    doc = pn.state.curdoc
    if doc is not None and doc.session_context is not None:
        _ACTED[doc] = time.monotonic()


def _pause_left_ms(doc) -> int:
    """ms until the page's user has paused ``USER_PAUSE_MS`` since their last choice (0: paused)."""
    left = USER_PAUSE_MS - (time.monotonic() - _ACTED.get(doc, float("-inf"))) * 1000
    return int(left) + 1 if left > 0 else 0


def _schedule(doc, ms: Optional[int] = None) -> None:
    """Run the page's next waiting part after ``ms`` (``None``: on the next tick); a run
    scheduled before and not yet made is dropped."""
    ticket = _TICKETS[doc] = _TICKETS.get(doc, 0) + 1
    run = partial(_run_next, doc, ticket)
    if ms is None:
        doc.add_next_tick_callback(run)
    else:
        doc.add_timeout_callback(run, ms)


def queue_callback(queue: deque, callback, rank: int, running: bool = False) -> None:
    """Put ``(callback, rank)`` into ``queue`` behind every entry of the same or a lower rank
    (-1 first, 0 in turn, 1 last); a running ``queue[0]`` stays where it is."""
    start = 1 if queue and running else 0
    at = next((i for i in range(start, len(queue)) if queue[i][1] > rank), len(queue))
    queue.insert(at, (callback, rank))


def after_load(callback, first: bool = False, last: bool = False) -> None:
    """:func:`later`, once the browser has drawn the page (at once when not :func:`staged`)."""
    if not staged():
        callback()
        return
    pn.state.onload(lambda: later(callback, first=first, last=last))


def filled_after_load(build: Callable[[], Any], first: bool = False, last: bool = False,
                      failed: Optional[Callable[[BaseException], Any]] = None) -> pn.Column:
    """A box that ``build()`` fills once the browser has drawn the page (:func:`after_load`,
    ``first`` or ``last`` among the waiting parts). ``failed(exc)``: what the box shows instead
    when ``build`` raises (else the error goes to Panel)."""
    box = pn.Column(sizing_mode="stretch_width")

    def fill():
        try:
            box.objects = [build()]
        except Exception as exc:
            if failed is None:
                raise
            box.objects = [failed(exc)]

    after_load(fill, first=first, last=last)
    return box


def _run_next(doc, ticket: int) -> None:
    """Run the page's oldest waiting callback, unless a change from the browser waits (or, for
    a part in turn or last, the user has not paused yet); the next one gets a tick of its own."""
    from panel.io.state import set_curdoc

    queue = _LATER.get(doc)
    if not queue or doc in _RUNNING or ticket != _TICKETS.get(doc):
        return
    if _closed(doc):
        queue.clear()
        return
    if _changes_waiting(doc):
        # the browser sent a change (a new period, a click) that Panel handles after its
        # debounce: it goes first, then the drawing resumes
        _schedule(doc, _change_debounce_ms() + 10)
        return
    entry = queue[0]
    pause = _pause_left_ms(doc) if entry[1] >= 0 else 0
    if pause:
        _schedule(doc, pause)
        return
    _RUNNING.add(doc)
    changed: list = []

    def note(event) -> None:
        changed.append(event)

    # not under Panel's hold: a chart's new data and the rest of its part in one message left the
    # browser's view of the data at its old length ("Size mismatch", the English switch's titles
    # never drawn; tests/ui/test_ui_township.py failed 1-2 runs in 3)
    doc.on_change(note)
    try:
        with set_curdoc(doc):
            entry[0]()
    finally:
        doc.remove_on_change(note)
        _RUNNING.discard(doc)
        queue.remove(entry)
        if queue and _closed(doc):  # nothing is drawn any more
            queue.clear()
        elif queue and pn.state._loaded.get(doc):
            _schedule(doc, SPACING_MS if changed else QUIET_SPACING_MS)
        elif queue:  # the page is being built: the browser has not got it yet
            _schedule(doc)


def _closed(doc) -> bool:
    """Whether the page's session ended or its browser went away (a loaded page whose last
    connection closed: a tab closed, another page opened). Its waiting redraws are dropped: they
    would only hold up the server's other pages."""
    if doc.session_context is None:
        return True
    return bool(pn.state._loaded.get(doc)) and _connections(doc) == 0


def _connections(doc) -> Optional[int]:
    """How many browser connections the page's session has (``None``: no session yet)."""
    session = getattr(doc.session_context, "_session", None)
    return None if session is None else getattr(session, "connection_count", None)


def _fetching(doc) -> bool:
    """Whether the page is being written or was just written, its browser not connected yet
    (it is fetching the page's scripts and styles)."""
    return not pn.state._loaded.get(doc) and not _connections(doc)


def _change_debounce_ms() -> int:
    """How long Panel waits before it applies a widget change sent by the browser."""
    from panel.reactive import Reactive

    return int(Reactive._debounce)


def _changes_waiting(doc) -> bool:
    """Whether the browser's changes wait in Panel for their debounce timer (Panel keeps them in
    ``state._change_callbacks`` until they are applied)."""
    return bool(getattr(pn.state, "_change_callbacks", {}).get(doc))


class Updating:
    """A card's small 更新中… note while its content is recomputed on the next tick (:func:`later`).
    Setting it is a text patch of its own little pane, so the chart or grid under it is not
    redrawn, unlike a ``loading`` spinner over the card."""

    STYLE = ".shequ-updating{font-size:12px;color:#1565c0;white-space:nowrap}"

    def __init__(self, store: "DataStore"):
        self.store = store
        self.pane = pn.pane.HTML("", margin=(2, 10), stylesheets=[self.STYLE], css_classes=["shequ-updating-box"])

    @property
    def shown(self) -> bool:
        return bool(self.pane.object)

    def text(self) -> str:
        return f'<span class="shequ-updating" role="status">{html.escape(self.store.t("updating"))}</span>'

    def on(self) -> None:
        self.pane.object = self.text()

    def off(self) -> None:
        self.pane.object = ""


class View(pn.viewable.Viewer):
    """Base of every dashboard view: it reads through ``data_store``."""

    view_type = "view"

    data_store = param.ClassSelector(class_=DataStore, doc="""The session's DataStore (area, period, language, data).""")

    defer = param.Boolean(default=False, doc="""Render after the page has loaded (served pages), so a slow view never delays the rest.""")

    def _deps(self) -> dict[str, Any]:
        s = self.data_store
        return {"region": s.param.region, "period": s.param.period, "lang": s.param.lang, "version": s.param.version}


def kpi_value_html(text: str) -> str:
    """``1,653 households`` as a large number and a smaller unit that wraps below it on a
    narrow card rather than being cut off; the text itself is unchanged."""
    number, sep, unit = text.partition(" ")
    num = "num long" if len(number) > 9 else "num"  # 2,759,800.00 fits a phone's card in a smaller size
    if not sep:
        return f'<span class="{num}">{html.escape(text)}</span>'
    return f'<span class="{num}">{html.escape(number)}</span> <span class="unit">{html.escape(unit)}</span>'


class KpiCards(View):
    """One card per headline indicator of the area and period, formatted exactly as
    ``shequ indicators`` prints it (:func:`shequ_sdk.indicators.format_value`)."""

    view_type = "kpis"

    keys = param.List(default=None, allow_None=True, item_type=str, doc="""
        Indicator keys to show; None shows every headline indicator that supports the period's kind.""")

    def items(self) -> list[tuple[str, str, str, str]]:
        """``(key, label, value text, description)`` of each card, in the user's language: what
        the cards show and the printed dashboard (:mod:`shequ_sdk.report`) prints."""
        s = self.data_store
        keys = self.keys if self.keys is not None else s.headline_keys()
        values = s.indicator_values(keys) if keys else {}
        out = []
        for key in keys:
            if key not in values:
                continue
            ind = s.indicator(key)
            out.append((key, ind.label(s.lang), s.format(key, values[key]), ind.description_zh if s.lang == "zh" else ind.description_en))
        return out

    compare = param.String(default="", doc="""
        An area (a region reference) whose value is printed under each card (a village's page:
        its township), or "".""")

    trend = param.Integer(default=0, doc="""
        Periods of a sparkline under each value (the period and those before it, same kind); 0: none.""")

    def extras(self, keys: list[str]) -> dict[str, str]:
        """``{key: HTML}`` under each card's value: the ``compare`` area's value and the sparkline."""
        from .charts import display_number
        from .svg_charts import sparkline_svg

        s = self.data_store
        out = dict.fromkeys(keys, "")
        if self.compare:
            values = s.indicator_values(keys, region=self.compare)
            area = s.sdk.region(self.compare).name
            for key in keys:
                if key in values:
                    line = s.t("kpi.compare", area=area, value=s.format(key, values[key]))
                    out[key] += f'<div class="compare">{html.escape(line)}</div>'
        if self.trend > 1:
            long = s.trend_frame(keys, length=self.trend)
            for key, rows in long.groupby("indicator", sort=False):
                if key not in out or len(rows) < 2:
                    continue
                rows = rows.sort_values("period_start")
                ind = s.indicator(key)
                values = [None if _missing(v) else (int(v) if ind.value_type == "count" and ind.denominator is None else v)
                          for v in rows["value"]]
                words = s.pick("，", ", ").join(f"{p} {s.format(key, v)}" for p, v in zip(rows["period"], values))
                out[key] += sparkline_svg([display_number(ind, v) for v in values], title=f"{ind.label(s.lang)}{s.pick('：', ': ')}{words}")
        return out

    def html(self) -> str:
        s = self.data_store
        items = self.items()
        extras = self.extras([key for key, *_ in items]) if (self.compare or self.trend > 1) and items else {}
        cards = [f'<div class="shequ-kpi" data-key="{html.escape(key)}" title="{html.escape(description)}">'
                 f'<div class="label">{html.escape(label)}</div>'
                 f'<div class="value">{kpi_value_html(text)}</div>{extras.get(key, "")}</div>' for key, label, text, description in items]
        if not cards:
            return f'<div class="shequ-kpis-empty">{html.escape(s.t("no_data"))}</div>'
        return (f'{KPI_STYLE}<div class="shequ-kpis" data-region="{html.escape(s.region)}" data-period="{html.escape(s.period)}">'
                f'{"".join(cards)}</div>')

    def __panel__(self):
        return pn.pane.HTML(pn.bind(lambda **_: self.html(), **self._deps()), sizing_mode="stretch_width", css_classes=["shequ-kpi-cards"])


class VillageTable(View):
    """Every village of the area with each plugin's headline indicators: sortable, downloadable
    (CSV, XLSX through the masked, formula-safe export of :mod:`shequ_sdk.spreadsheets`), and a
    click on a village's name opens its page (sets ``data_store.village``)."""

    view_type = "table"

    def frame(self) -> pd.DataFrame:
        """Columns: ``region_id``, ``region_name``, (``township_name``), one per headline indicator:
        counts ``Int64``, rates in per cent (``Float64``, one decimal), money exact ``Decimal`` yuan."""
        s = self.data_store
        keys = s.headline_keys()
        wide = s.village_indicators(keys, exact=True)
        out = pd.DataFrame({"region_id": wide["region_id"].astype("int64"), "region_name": wide["region_name"].astype(str)})
        if s.region_obj.kind == "county":
            regions = s._regions_by_id()
            out["township_name"] = [str(regions.at[r, "township_name"]) for r in out["region_id"]]
        for key in keys:
            ind = s.indicator(key)
            values = wide[key] if key in wide else [None] * len(out)
            if is_rate(ind):
                out[key] = pd.array([display_number(ind, v) for v in values], dtype="Float64")
            elif ind.value_type == "money":
                out[key] = pd.Series([None if _missing(v) else Decimal(v).quantize(CENT) for v in values], dtype=object, index=out.index)
            elif ind.value_type == "count":
                out[key] = pd.array([None if _missing(v) else int(v) for v in values], dtype="Int64")
            else:
                out[key] = pd.array([display_number(ind, v) for v in values], dtype="Float64")
        return out

    def money_keys(self) -> list[str]:
        s = self.data_store
        return [k for k in s.headline_keys() if s.indicator(k).value_type == "money" and not is_rate(s.indicator(k))]

    def titles(self) -> dict[str, str]:
        s = self.data_store
        titles = {"region_name": s.t("village"), "township_name": s.pick("乡镇", "Township")}
        for key in s.headline_keys():
            titles[key] = axis_label(s.indicator(key), s.lang)
        return titles

    def formatters(self) -> dict:
        """Number formats per indicator column: counts as integers, rates with one decimal, yuan with two."""
        from bokeh.models.widgets.tables import NumberFormatter

        out = {}
        for key in self.data_store.headline_keys():
            ind = self.data_store.indicator(key)
            fmt = "0.0" if is_rate(ind) else {"count": "0,0", "money": "0,0.00"}.get(ind.value_type, "0,0.[00]")
            out[key] = NumberFormatter(format=fmt, text_align="right")
        return out

    def labelled(self) -> pd.DataFrame:
        """The table as downloaded: labelled columns, no internal ids; counts stay integers and
        money stays exact yuan (written with two decimals)."""
        from ..excel.export import MONEY_ATTR

        titles = self.titles()
        df = self.frame().drop(columns=["region_id"]).rename(columns=titles)
        df.attrs[MONEY_ATTR] = [titles[k] for k in self.money_keys()]
        return df

    def csv_bytes(self) -> bytes:
        from ..spreadsheets import to_csv_bytes

        return to_csv_bytes(self.labelled())

    def xlsx_bytes(self) -> bytes:
        from ..spreadsheets import to_xlsx_bytes

        s = self.data_store
        title = f"{s.region} · {s.period_obj.label(s.lang)} · {s.t('village_table')}"
        return to_xlsx_bytes(self.labelled(), sheet_name=s.t("village_table")[:31], title=title)

    def filename(self, ext: str) -> str:
        s = self.data_store
        name = s.region.replace("/", "_")
        return f"{name}_{s.period}_{s.pick('各村核心指标', 'villages')}.{ext}"

    def _build(self):
        """The table's box, built once (after the first paint when deferred): later changes of
        area, period, language or data update the same grid and buttons in place."""
        import io

        s = self.data_store
        self._note = pn.Column(sizing_mode="stretch_width")
        self._table = None
        self._columns: Optional[tuple] = None  # (columns, language) the grid was set up for
        self._box = pn.Column(sizing_mode="stretch_width", css_classes=["shequ-village-table-box"],
                              styles={"overflow-x": "auto", "max-width": "100%"})
        self._csv = pn.widgets.FileDownload(callback=lambda: io.BytesIO(self.csv_bytes()), filename="", label="", color="light",
                                            css_classes=["shequ-download-csv"])
        self._xlsx = pn.widgets.FileDownload(callback=lambda: io.BytesIO(self.xlsx_bytes()), filename="", label="", color="light",
                                             css_classes=["shequ-download-xlsx"])
        self._hint = pn.pane.HTML("")
        self._updating = Updating(s)
        self._controls = pn.Row(self._csv, self._xlsx, self._hint, self._updating.pane, styles={"flex-wrap": "wrap"},
                                stylesheets=[HIDE_IN_PRINT])
        self._waiting = False
        self._refresh()
        s.param.watch(self._changed, list(self._deps()))
        return pn.Column(self._note, self._controls, self._box, sizing_mode="stretch_width")

    def _changed(self, *_events) -> None:
        """A change of area, period, language or data: the table is refreshed in place, on a
        served page after the cards (:func:`later`)."""
        if not staged():
            self._refresh()
            return
        if self._waiting:
            return
        self._waiting = True
        self._updating.on()

        def refresh():
            self._waiting = False
            try:
                self._refresh()
            finally:
                self._updating.off()

        later(refresh, first=True)  # the answer to the user's choice, as the cards

    def _grid(self, shown: pd.DataFrame):
        s = self.data_store
        # the columns fit their data and the grid scrolls sideways inside its own box, the
        # village's name frozen at the left; the page itself never scrolls sideways
        table = data_grid(
            shown, show_index=False, disabled=True, hidden_columns=["region_id"], titles=self.titles(), formatters=self.formatters(),
            sizing_mode="stretch_width", layout="fit_data_fill", selectable=False, frozen_columns=["region_name"],
            widths={key: INDICATOR_COLUMN_WIDTH for key in s.headline_keys()},
            configuration={"columnDefaults": {"headerWordWrap": True}},  # long titles wrap in their column
            stylesheets=[".tabulator-cell[tabulator-field='region_name']{color:#0d47a1;cursor:pointer;text-decoration:underline}"],
            css_classes=["shequ-village-table"], **self._paging(shown),
        )

        def open_village(event):
            row = table.value.iloc[event.row]
            s.choose(village=s.ref(int(row["region_id"])))

        table.on_click(open_village, column="region_name")
        return table

    @staticmethod
    def _paging(shown: pd.DataFrame) -> dict:
        many = len(shown) > 25
        return {"pagination": "local" if many else None, "page_size": 25 if many else None}

    def _refresh(self, *_events) -> None:
        s = self.data_store
        df = None if s.region_obj.kind in ("village", "community") else self.frame()
        empty = df is None or df.empty
        self._note.objects = [message(s.t("no_villages"))] if empty else []
        self._controls.visible = self._box.visible = not empty
        if empty:
            return
        shown = grid_frame(df)
        columns = (tuple(shown.columns), s.lang)
        if self._table is None:
            self._table = self._grid(shown)
            self._box.objects = [self._table]
        elif columns == self._columns:  # the same grid and columns, new rows: the browser keeps its column set-up
            self._table.param.update(value=shown, **self._paging(shown))
        else:  # new columns, titles and formats too (the period's kind or the language changed)
            self._table.param.update(value=shown, titles=self.titles(), formatters=self.formatters(),
                                     widths={key: INDICATOR_COLUMN_WIDTH for key in s.headline_keys()}, **self._paging(shown))
        self._columns = columns
        self._csv.param.update(filename=self.filename("csv"), label=s.t("download_csv"))
        self._xlsx.param.update(filename=self.filename("xlsx"), label=s.t("download_xlsx"))
        self._hint.object = f'<span style="color:#666;font-size:12px">{html.escape(s.t("village_table.hint"))}</span>'

    def __panel__(self):
        if not (self.defer and staged()):
            return self._build()
        # its figures are read while the browser loads the page's scripts, so that the grid is
        # all that is left to build once the page is drawn, ahead of the charts waiting too (the
        # table is what a township user reads and clicks first)
        s = self.data_store
        later(lambda: s.village_indicators(s.headline_keys(), exact=True), first=True)  # cached per area and period
        return filled_after_load(self._build, first=True)


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def grid_frame(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` as the browser grid takes it: plain numbers, blanks as NaN (the downloads keep
    the exact values; the grid only draws them, rounded by its formatters)."""
    out = df.copy()
    for col in out.columns:
        dtype = str(out[col].dtype)
        if dtype in ("Float64", "Int64"):
            out[col] = out[col].astype("float64")
        elif dtype == "object" and any(isinstance(v, Decimal) for v in out[col]):
            out[col] = [float("nan") if _missing(v) else float(v) for v in out[col]]
    return out


def paged_table(df: pd.DataFrame, *, css_class: str, page: int = 10, lang: str = "zh"):
    """The first ``page`` rows of ``df``, and a 更多 (more) button that shows ``page`` more each time."""
    shown = [min(page, len(df))]
    pane = table_pane(df.head(shown[0]), css_class=css_class)
    if len(df) <= page:
        return pn.Column(pane, sizing_mode="stretch_width", css_classes=["shequ-paged"])
    more = pn.widgets.Button(label=t("more", lang, n=len(df) - shown[0]), color="light", css_classes=["shequ-more"],
                             visible=len(df) > shown[0], margin=(0, 0, 8, 0))

    def show_more(_event):
        shown[0] = min(shown[0] + page, len(df))
        pane.object = TABLE_STYLE + boxed(html_table(df.head(shown[0]), css_class=css_class, max_rows=shown[0]))
        more.param.update(label=t("more", lang, n=len(df) - shown[0]), visible=len(df) > shown[0])

    more.on_click(show_more)
    return pn.Column(pane, more, sizing_mode="stretch_width", css_classes=["shequ-paged"])


def error_card(label: str, exc: BaseException, lang: str = "zh"):
    """What a view that raised shows instead of itself: its title, a Chinese (or English) notice, the error."""
    text = f"{type(exc).__name__}: {exc}"
    return pn.pane.HTML(
        f'<div class="shequ-view-error" role="alert" style="border-left:4px solid #c62828;background:#fdecea;padding:8px 12px;'
        f'border-radius:3px"><b>{html.escape(t("view_error", lang, label=label))}</b><br>'
        f'<span>{html.escape(t("view_error.rest", lang, error=text))}</span></div>', sizing_mode="stretch_width")


def render_view(view: ViewSpec, store: DataStore):
    """``view.render(store)`` as a Panel object; an error card if rendering (or plotting) raises."""
    return render_view_checked(view, store)[0]


def render_view_checked(view: ViewSpec, store: DataStore):
    """``(Panel object, None)``; or ``(error card, exception)`` when rendering (or plotting) raised.
    What the dashboard shows, ``shequ plugins check`` and the ``render_view`` test fixture use."""
    try:
        return _to_panel(view.render(store)), None
    except Exception as exc:  # a broken plugin view must not take the page down
        log.error("view %s failed:\n%s", view.key, traceback.format_exc())
        return error_card(view.label(store.lang), exc, store.lang), exc


def _to_panel(obj):
    """Panel object for a view's result. HoloViews objects are plotted here, inside the caller's
    ``try``, so a plotting error becomes an error card rather than a broken page."""
    try:
        import holoviews as hv
    except ImportError:  # pragma: no cover - holoviews is a dependency
        hv = None
    if hv is not None and isinstance(obj, hv.core.Dimensioned):
        return pn.pane.Bokeh(bokeh_model(obj), sizing_mode="stretch_width")
    return pn.panel(obj, sizing_mode="stretch_width")


def bokeh_model(obj):
    """A HoloViews object plotted as a Bokeh model, in a document of its own; the model moves
    into the page's document when Panel shows it.

    Not into the session's document: a callback may run where Bokeh's ``curdoc()`` names a
    document Panel destroyed when its session ended (plotting then fails with "'Document' object
    has no attribute '_theme'"), and a HoloViews plot adds a session-destroyed hook that removes
    itself while Panel walks those hooks ("Set changed size during iteration" when a page is
    built ahead). HoloViews 1.23 attaches a plot to the document it is given only in server mode.
    WebGL is off: a village office PC (or headless Chromium) without a GPU emulates it slowly,
    and small charts draw at once on a plain canvas."""
    import holoviews as hv
    from bokeh.document import Document
    from bokeh.models import Plot

    model = hv.renderer("bokeh").instance(mode="server").get_plot(obj, doc=Document()).state
    for plot in model.select({"type": Plot}):
        plot.output_backend = "canvas"
    return model


def views_for(placement: str) -> list[ViewSpec]:
    """The registered views of one placement, by ``order`` then key. Read from the registry on
    every page build, so a newly installed plugin's view appears without editing dashboards."""
    return sorted((v for v in registry().views.values() if v.placement == placement), key=lambda v: (v.order, v.key))


SIMPLE_PANES = (pn.pane.HTML, pn.pane.Markdown, pn.pane.Str)


def same_pane(old, new) -> bool:
    """Whether ``new`` can be shown by setting ``old.object``: both the same simple pane type
    (HTML, Markdown, text) with the same settings apart from the content."""
    return isinstance(new, SIMPLE_PANES) and same_settings(old, new)


def same_settings(old, new) -> bool:
    """Whether the panes ``old`` and ``new`` are of one type with the same settings (sizes,
    classes, styles…) apart from what they show."""
    if old is None or type(old) is not type(new):
        return False
    a, b = old.param.values(), new.param.values()
    return all(a[k] == b[k] for k in a if k not in ("object", "name", "loading"))


def update_in_place(old, new) -> bool:
    """Show ``new`` by changing ``old`` where the two have the same shape; False when they do
    not, and ``new`` must replace ``old``.

    A simple pane gets the new content. A chart (a Bokeh pane) gets the new chart's data,
    ranges, labels and colours copied into its own models, when both charts are built of the
    same models in the same places: the browser then redraws the chart it has instead of
    building a new one, and lays out nothing else on the page. Replacing every chart of the
    township dashboard at a period change made the browser lay out the whole page once per chart
    (0.15–0.3 s each, ``make bench-ui``)."""
    if same_pane(old, new):
        old.object = new.object
        return True
    if not (isinstance(new, pn.pane.Bokeh) and same_settings(old, new)):
        return False
    changes = model_changes(old.object, new.object)
    if changes is None:
        return False
    try:
        for model, name, value in changes:
            setattr(model, name, value)
    except (ValueError, TypeError, AttributeError):  # a value the old model does not take: drawn anew
        log.warning("chart %s replaced, not updated:\n%s", type(old.object).__name__, traceback.format_exc())
        return False
    return True


def model_changes(old, new) -> Optional[list[tuple[Any, str, Any]]]:
    """``(model of old, property, value of new)`` that make the Bokeh model graph ``old`` show
    what ``new`` shows; None when the graphs differ in shape (another model type somewhere, a list
    of another length) or ``new`` has callbacks into Python (a clickable map: its callbacks
    refer to its own models and data, so it is always replaced)."""
    from bokeh.core.property.descriptors import UnsetValueError
    from bokeh.model import Model

    def models_in(value):
        if isinstance(value, Model):
            return [value]
        if isinstance(value, (list, tuple)):
            return [m for v in value for m in models_in(v)]
        if isinstance(value, dict):
            return [m for k in sorted(value, key=str) for m in models_in(value[k])]
        return []

    def same(a, b) -> bool:
        if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
            return True  # both NaN (a box-zoom overlay not drawn)
        try:
            return bool(a == b)
        except (ValueError, TypeError):  # arrays: compared elementwise
            return False

    changes, seen, todo = [], set(), [(old, new)]
    while todo:
        a, b = todo.pop()
        if a.id in seen:
            continue
        seen.add(a.id)
        if type(a) is not type(b) or getattr(b, "_event_callbacks", None) or getattr(b, "_callbacks", None):
            return None
        for name in sorted(a.properties()):
            if name in ("id", "name") or a.lookup(name).property.readonly:
                continue
            try:
                va, vb = getattr(a, name), getattr(b, name)
            except UnsetValueError:
                return None
            ma, mb = models_in(va), models_in(vb)
            if ma or mb:
                if len(ma) != len(mb):
                    return None
                todo.extend(zip(ma, mb))
                continue
            if name == "data" or not same(va, vb):
                changes.append((a, name, dict(vb) if name == "data" else vb))  # a source's columns: a plain dict
    return changes


class PluginView(View):
    """One plugin view (``shequ_sdk.View``) in a titled box; it re-renders when the area, period,
    language or data version change, and shows an error card if it raises.

    The box is built once: a change re-renders the view into the same box (an HTML view's
    content is replaced in place), served pages after the faster parts on the next tick."""

    view_type = "plugin"

    spec = param.ClassSelector(class_=ViewSpec, doc="""The registered view (key, labels, render, placement, order).""")

    first = param.Boolean(default=False, doc="""Redrawn after a change ahead of the other waiting parts, as part of the
        answer to the user's choice (a view of the first screen).""")

    def _watched(self) -> list[str]:
        names = list(self._deps())
        if self.spec.placement == "entry":
            # an entry view holds unsaved input: a save (which bumps the version) must not rebuild it
            names.remove("version")
        return names

    def _key(self) -> tuple:
        return tuple(getattr(self.data_store, name) for name in self._watched())

    def _build(self):
        """The view's body, rendered once; later changes re-render into the same column."""
        self._body = pn.Column(sizing_mode="stretch_width", css_classes=["shequ-view-body"])
        self._shown: Optional[tuple] = None
        self._waiting = False
        if self.spec.placement == "entry" and staged():
            # a served entry page: the page (pickers, heading) is written at once and the forms
            # follow (later: once the page's scripts are served), built while the browser loads
            # them and connects
            # (the note is put in the body: the title's 更新中… pane has a model not yet in the page,
            # and changing it now would point the page's shared stylesheets at Panel's CDN)
            self._waiting = True
            self._body.objects = [pn.pane.HTML(self._updating.text(), margin=(4, 10), stylesheets=[Updating.STYLE])]
            later(self._show_waiting, first=True)  # the page's answer: not held by a pause after Back or Forward
        else:
            self._show()
        self._watcher = self.data_store.param.watch(self._changed, self._watched())
        return self._body

    def _changed(self, *_events) -> None:
        if self._waiting or self._key() == self._shown:
            return
        if not staged():
            self._show()
            return
        self._waiting = True
        self._updating.on()
        later(self._show_waiting, first=self.first)

    def _show_waiting(self) -> None:
        self._waiting = False
        if not self._body._models:
            # no longer on the page (the entry app built new forms for another quarter): it
            # stops following the store, instead of drawing forms nobody sees at every change
            self.data_store.param.unwatch(self._watcher)
            return
        try:
            self._show()
        finally:
            self._updating.off()

    def prepare(self) -> None:
        """Render the view now, for its first drawing (if the area, period and language are
        still those when it is drawn)."""
        self._prepared = (self._key(), render_view(self.spec, self.data_store))

    def _show(self) -> None:
        key = self._key()
        if key == self._shown:
            return
        prepared, self._prepared = getattr(self, "_prepared", None), None
        new = prepared[1] if prepared is not None and prepared[0] == key else render_view(self.spec, self.data_store)
        self._shown = key
        old = self._body.objects[0] if len(self._body.objects) == 1 else None
        if old is None or not update_in_place(old, new):
            self._body.objects = [new]

    def __panel__(self):
        spec = self.spec
        title = pn.pane.HTML(pn.bind(lambda lang: f'<h3 class="shequ-view-title" style="margin:0;font-size:16px">{html.escape(spec.label(lang))}</h3>',
                                     self.data_store.param.lang), margin=(4, 10, 0, 10))
        self._updating = Updating(self.data_store)
        title = pn.Row(title, self._updating.pane, align="center", styles={"flex-wrap": "wrap"})

        def build():  # no parameters: evaluated once
            return self._build()

        # an entry view is built when its tab is first shown: a tab not opened costs nothing (the
        # dashboards' views are all on the page, drawn at once)
        lazy = self.spec.placement == "entry"
        body = pn.param.ParamFunction(build, defer_load=self.defer, lazy=lazy, sizing_mode="stretch_width") if lazy or self.defer else build()
        return pn.Column(title, body, sizing_mode="stretch_width", css_classes=["shequ-view", f"shequ-view-{spec.key.replace('.', '-')}"],
                         styles={"border": "1px solid #e0e0e0", "border-radius": "4px", "background": "#fff", "flex": "1 1 460px",
                                 "min-width": "0", "max-width": "100%"},
                         margin=(6, 6))


class PluginViews(View):
    """Every registered view of one ``placement`` (``chart``, ``village`` or ``entry``), in order."""

    view_type = "plugin_views"

    placement = param.Selector(default="chart", objects=["chart", "village", "entry"])

    min_order = param.Integer(default=None, allow_None=True, doc="""Only views with order ≥ this.""")

    max_order = param.Integer(default=None, allow_None=True, doc="""Only views with order < this.""")

    first = param.Boolean(default=False, doc="""The views are on the first screen: redrawn ahead of the other waiting
        parts after a change (``PluginView.first``).""")

    def specs(self) -> list[ViewSpec]:
        out = []
        for v in views_for(self.placement):
            if self.min_order is not None and v.order < self.min_order:
                continue
            if self.max_order is not None and v.order >= self.max_order:
                continue
            out.append(v)
        return out

    def cards(self, views: Optional[list["PluginView"]] = None):
        views = views if views is not None else [PluginView(data_store=self.data_store, spec=v, first=self.first) for v in self.specs()]
        return pn.FlexBox(*views, sizing_mode="stretch_width", flex_wrap="wrap")

    def __panel__(self):
        if not (self.defer and staged()):
            return self.cards()
        # built once the page has loaded: each view is rendered on a tick of its own (a click
        # or a new period waits for one view at most), then all are sent as one block (the
        # browser lays the page out once, not once per view)
        views = [PluginView(data_store=self.data_store, spec=v, first=self.first) for v in self.specs()]
        for view in views:
            after_load(view.prepare)
        return filled_after_load(lambda: self.cards(views))


SPARK_PERIODS = 5  # a village page's cards: the period and the four before it


class VillagePage(View):
    """A village's page: its headline indicators, associations, honours, recent records and the
    plugins' ``village`` views. Shown on the township dashboard when ``data_store.village`` is set."""

    view_type = "village"

    recent_rows = param.Integer(default=10, doc="""Rows shown per table under 近期记录, and added by each press of 更多.""")

    def __init__(self, **params):
        super().__init__(**params)
        self._scoped: Optional[DataStore] = None
        self._shown_page = None
        self._opened = False  # whether the page was drawn before (the first drawing is never staged)

    def store(self) -> DataStore:
        """The village's own store (same period, language and day as the dashboard)."""
        s = self.data_store
        if (self._scoped is None or self._scoped.region != s.village or self._scoped.period != s.period
                or self._scoped.lang != s.lang or self._scoped.version != s.version):
            self._scoped = s.scoped(s.village)
        return self._scoped

    def associations(self) -> pd.DataFrame:
        v = self.store()
        df = v.frame("association", period=None, columns=["name", "type_key", "founded", "dissolved", "leader_name", "leader_phone"])
        types = registry().association_types
        df = df.assign(type_key=[types[k].name(v.lang) if k in types else k for k in df["type_key"]])
        return df

    def honours(self) -> pd.DataFrame:
        v = self.store()
        df = v.frame("honour", period=None, columns=["year", "title", "level", "awarded_by"])
        return df.sort_values("year", ascending=False, kind="stable")

    def recent(self) -> list[tuple[Any, int, Optional[pd.DataFrame]]]:
        """``(table, count this year, this year's rows or None for sensitive tables)`` for each
        record table with a date or period column that holds rows of this village this year.

        The rows are as a person reads them: newest first, a referenced record by its name (a
        household by its number and head, an association by its name), money in yuan, labelled
        columns; no internal ids and no fen."""
        v = self.store()
        year = str(v.period_obj.year)
        out = []
        for rt in registry().tables.values():
            if rt.key in ("association", "honour") or getattr(rt, "derived", False) or not (rt.date_field or rt.period_field):
                continue
            n = v.count(rt.key, period=year)
            if not n:
                continue
            if rt.sensitive:
                out.append((rt, n, None))
                continue
            out.append((rt, n, self.readable(rt, v.frame(rt.key, period=year))))
        return out

    def readable(self, rt, df: pd.DataFrame) -> pd.DataFrame:
        """``df`` (a frame of ``rt`` with yuan columns) newest first, references named, money in
        yuan only, at most ``RECENT_COLUMNS`` labelled columns."""
        from ..frames import yuan_column

        v = self.store()
        order = [c for c in (rt.date_field or rt.period_field, "id") if c in df.columns]
        df = df.sort_values(order, ascending=False, kind="stable") if order else df
        columns = []
        for info in rt.fields:
            if info.name in ("id", "region_id", "synthetic") or info.name not in df.columns:
                continue
            if info.money and yuan_column(info.name) in df.columns:
                columns.append(yuan_column(info.name))
                continue
            if info.foreign_key and info.foreign_key.split(".")[0] in registry().tables:
                names = self.reference_names(info)
                df = df.assign(**{info.name: [names.get(int(x), v.t("recent.unknown")) if not _missing(x) else None for x in df[info.name]]})
            columns.append(info.name)
        columns = columns[:RECENT_COLUMNS]
        return df[columns].rename(columns=df.attrs.get("labels", {})).reset_index(drop=True)

    def reference_names(self, info) -> dict[int, str]:
        """``{id: name}`` of the records ``info`` refers to, in this village (and its township and
        county): the names the entry forms' pickers show."""
        from .forms import fk_options

        v = self.store()

        def compute():
            with v.reading() as session:
                options = fk_options(session, info, v.region_obj, v.lang) or {}
            return {int(i): label for label, i in options.items()}

        return v.cached(("reference_names", info.name, info.foreign_key), compute)

    @staticmethod
    def matching(df: pd.DataFrame, query: str) -> pd.DataFrame:
        """The rows of ``df`` with ``query`` in any cell as shown (case ignored); all for a blank query."""
        query = (query or "").strip().casefold()
        if not query or df.empty:
            return df
        hit = [False] * len(df)
        for col in df.columns:
            hit = [h or (not _missing(x) and query in str(x).casefold()) for h, x in zip(hit, df[col].astype(object))]
        return df[hit]

    def recent_section(self, recent: list, query: str = "") -> pn.Column:
        """近期记录: per table its count this year and its rows, newest first, ten at a time; with a
        ``query``, only the rows holding it (sensitive tables, shown by count only, are left out)."""
        v = self.store()
        query = (query or "").strip()
        parts = []
        for rt, n, df in recent:
            if df is None:
                if not query:
                    parts.append(pn.pane.HTML(f'<div class="shequ-recent-sensitive"><b>{html.escape(v.t("recent.count", table=rt.label(v.lang), count=n))}</b> '
                                              f'<span style="color:#777">（{html.escape(v.t("recent.sensitive"))}）</span></div>'))
                continue
            rows = self.matching(df, query)
            if query and rows.empty:
                continue
            head_text = (v.t("recent.found", table=rt.label(v.lang), count=n, found=len(rows), query=query) if query
                         else v.t("recent.count", table=rt.label(v.lang), count=n))
            parts.append(pn.pane.HTML(f"<div><b>{html.escape(head_text)}</b></div>"))
            parts.append(paged_table(rows, css_class=f"shequ-recent shequ-recent-{rt.key}", page=self.recent_rows, lang=v.lang))
        if not parts:
            parts.append(message(v.t("recent.none_found", query=query)))
        return pn.Column(*parts, sizing_mode="stretch_width", css_classes=["shequ-recent-records"])

    def _page(self, village: str, **_):
        s = self.data_store
        first, self._opened = not self._opened, True
        if not village:
            self._shown_page = None
            return pn.Spacer(height=0)
        v = self.store()
        region = v.region_obj
        regions = v._regions_by_id()
        path = " / ".join(x for x in (str(regions.at[region.id, "county_name"]), str(regions.at[region.id, "township_name"])) if x and x != "nan")
        back = pn.widgets.Button(label=s.t("back"), color="primary", css_classes=["shequ-back"])
        back.on_click(lambda _e: s.choose(village=""))
        head = pn.pane.HTML(f'<h2 class="shequ-village-name" style="margin:0;font-size:28px;font-weight:500">{html.escape(region.name)}</h2>'
                            f'<div style="color:#666">{html.escape(path)} · {html.escape(v.period_obj.label(v.lang))}</div>')
        rest = pn.Column(sizing_mode="stretch_width")
        page = pn.Column(pn.Row(back, head), rest, sizing_mode="stretch_width", css_classes=["shequ-village-page"])
        self._shown_page = page

        def fill(steps):
            if self._shown_page is not page:  # another village (or period) was opened meanwhile
                return
            try:
                rest.objects = [*rest.objects, *steps[0]()]
            finally:
                if rest.loading:
                    rest.param.update(loading=False, min_height=None)
            if steps[1:]:
                later(partial(fill, steps[1:]), first=True)

        # a village opened on a served page: its name and the back button at once, the rest
        # part by part on the ticks that follow (the server answers other clicks and pages in
        # between); a page opened on a village (a link, a reload) comes whole, as before
        if first or not staged():
            rest.objects = [part for step in self._rest(v) for part in step()]
        else:
            rest.param.update(loading=True, min_height=200)
            later(partial(fill, self._rest(v)), first=True)
        return page

    def _rest(self, v: DataStore) -> list[Callable[[], list]]:
        """The page below its heading, in parts drawn one after the other: the cards; the
        associations and honours; the recent records; the plugins' village views."""
        s = self.data_store

        def cards() -> list:
            region = v.region_obj
            compare = s.ref(region.township_id) if region.township_id and s.in_scope(region.township_id) else ""
            return [KpiCards(data_store=v, compare=compare, trend=SPARK_PERIODS)]

        def organisations() -> list:
            assoc = self.associations()
            labels = {"name": v.pick("名称", "Name"), "type_key": v.pick("类型", "Type"), "founded": v.pick("成立日期", "Founded"),
                      "dissolved": v.pick("撤销日期", "Dissolved"), "leader_name": v.pick("负责人", "Leader"),
                      "leader_phone": v.pick("负责人电话", "Leader's phone")}
            hon = self.honours()
            return [heading(counted(v.t("associations"), len(assoc), v.lang)),
                    table_pane(assoc, css_class="shequ-associations", labels=labels) if len(assoc) else message(v.t("none")),
                    heading(counted(v.t("honours"), len(hon), v.lang)),
                    table_pane(hon, css_class="shequ-honours", labels=hon.attrs.get("labels")) if len(hon) else message(v.t("none"))]

        def records() -> list:
            parts = [heading(f"{v.t('recent_records')} · {v.period_obj.year}")]
            recent = self.recent()
            if not recent:
                return [*parts, message(v.t("none"))]
            search = pn.widgets.TextInput(placeholder=v.t("recent.search"), css_classes=["shequ-recent-search"], sizing_mode="stretch_width",
                                          max_width=420, min_height=40)
            return [*parts, search, pn.panel(pn.bind(lambda query: self.recent_section(recent, query), query=search.param.value_input),
                                             sizing_mode="stretch_width")]

        def plugin_views() -> list:
            if not views_for("village"):
                return []
            return [heading(v.t("village_views")), PluginViews(data_store=v, placement="village")]

        def heading(text: str):
            return pn.pane.HTML(f'<h3 style="font-size:20px;font-weight:500">{html.escape(text)}</h3>')

        return [cards, organisations, records, plugin_views]

    def __panel__(self):
        s = self.data_store
        box = pn.Column(sizing_mode="stretch_width", css_classes=["shequ-village-box"])

        def update(*_events):
            if not s.village and self._shown_page is None and box.objects:
                return  # no village shown before or now: the township's period or data changed
            box.objects = [self._page(s.village)]

        update()
        s.param.watch(update, ["village", "period", "lang", "version"])
        return box
