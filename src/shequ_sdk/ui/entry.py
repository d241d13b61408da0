"""村务录入 — the village data-entry app.

A village committee member picks the village (or community) and a quarter, then:

- fills in or corrects what the plugins offer as entry views (the three disclosure boards of
  the finance plugin, …);
- enters or corrects the records of any village table (the finance ledger, collection runs,
  star ratings, every other plugin's records) in a form generated from the table's metadata;
- imports a filled-in spreadsheet: upload, read the report, confirm.

Every session has its own forms and unsaved input; nothing is kept at module level. Saves go
through the SDK's write path (all rows or none) and refresh this session's data; the
township dashboard shows them when it is refreshed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import io
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Optional

import panel as pn
import param

from ..period import Period
from ..plugins import registry
from ..registry import RecordTable
from .app import App
from .forms import BUTTON_CSS, FOCUS_RING, TOUCH_CSS, TableEntry, when_visible
from .i18n import LANGS, t
from .keyboard import install as install_keyboard
from .lock_requests import ExceptionRequestBox
from .store import DataStore
from .views import PluginView, views_for

PLAN_SHOWN = 50
WEB_MAX_BYTES = 10 * 1024 * 1024  # an upload larger than this is refused before it is read
WEB_TIME_LIMIT = 60.0  # seconds a check or import from the browser may take (nothing is written past it)
# Checks and imports run here, off the server's event loop: one slow or hostile file never holds
# up the other sessions. Two workers: this is a village server, not a batch farm.
_IMPORTS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="shequ-import")


def entry_tables() -> list[RecordTable]:
    """Tables a village enters by hand: village-level (or any-level), not derived; the plugins'
    tables first (registry order), then the SDK's own (households, residents, associations…)."""
    reg = registry()
    tables = [rt for rt in reg.tables.values() if rt.level in ("village", "any") and not getattr(rt, "derived", False)
              and (not rt.writers or "village" in rt.writers)]
    return sorted(tables, key=lambda rt: reg.owner.get(("tables", rt.key)) == "core")


def table_choice_label(rt: RecordTable, lang: str = "zh") -> str:
    reg = registry()
    if rt.association_type and rt.association_type in reg.association_types:
        group = reg.association_types[rt.association_type].name(lang)
    else:
        group = "基础信息" if lang == "zh" else "Basic records"
    return f"{group} · {rt.label(lang)}"


def _inside(store: DataStore, village_id: int, area_id: int) -> bool:
    regions = store._regions_by_id()
    row = regions.loc[village_id]
    return area_id in (village_id, row["township_id"], row["county_id"])


def quarter_options(store: DataStore) -> dict[str, str]:
    """Quarters from the first data year to the current quarter, newest first."""
    first = Period("quarter", store.first_year or dt.date.today().year, 1)
    last = max(Period.quarter_of(dt.date.today()), store.period_obj)
    return {p.label(store.lang): str(p) for p in reversed(Period.range(first, last))}


class RecordsPanel(pn.viewable.Viewer):
    """Pick a record type, then enter or correct its records (:class:`~shequ_sdk.ui.forms.TableEntry`)."""

    store = param.ClassSelector(class_=DataStore)

    table = param.String(default="", doc="""The table chosen (default: the first one).""")

    def __init__(self, **params):
        super().__init__(**params)
        tables = entry_tables()
        self.choice = pn.widgets.Select(label=t("entry.table", self.store.lang),
                                        options={table_choice_label(rt, self.store.lang): rt.key for rt in tables},
                                        css_classes=["shequ-entry-table"], sizing_mode="stretch_width", max_width=520,
                                        min_height=40, stylesheets=[TOUCH_CSS])
        if self.table and self.table in self.choice.options.values():
            self.choice.value = self.table
        self.table = self.choice.value or ""
        self.choice.link(self, value="table")
        self.holder = pn.Column(sizing_mode="stretch_width")
        self._entry: Optional[TableEntry] = None
        self._drawn: Optional[str] = None  # the table whose form the holder shows (None: not built yet)
        self.param.watch(lambda _e: self._show(), "table")

    @property
    def entry(self) -> Optional[TableEntry]:
        """The chosen table's form, built on first use: the tab's form costs nothing until the
        tab is opened (or a notebook asks for it)."""
        if self._drawn != self.table:
            self._show()
        return self._entry

    def _show(self) -> None:
        self._drawn = self.table
        self._entry = None
        if not self.table:
            self.holder.objects = [pn.pane.HTML(html.escape(t("entry.no_tables", self.store.lang)))]
            return
        self._entry = TableEntry(store=self.store, table=self.table)
        self.holder.objects = [self._entry]

    def __panel__(self):
        def body():  # evaluated when the tab is first drawn
            self.entry
            return self.holder

        return pn.Column(self.choice, pn.param.ParamFunction(body, lazy=True, sizing_mode="stretch_width"), sizing_mode="stretch_width")


class ImportPanel(pn.viewable.Viewer):
    """Spreadsheet import for the chosen village and quarter: a template to download, upload,
    a dry run with its report, then confirm — through :mod:`shequ_sdk.spreadsheets`."""

    store = param.ClassSelector(class_=DataStore)

    def __init__(self, **params):
        super().__init__(**params)
        lang = self.store.lang
        self.template_table = pn.widgets.Select(label=t("entry.table", lang),
                                                options={table_choice_label(rt, lang): rt.key for rt in entry_tables()},
                                                sizing_mode="stretch_width", max_width=520, stylesheets=[TOUCH_CSS],
                                                css_classes=["shequ-template-table"])
        self.template_button = pn.widgets.FileDownload(callback=self._template_bytes, filename=self._template_name(), label=t("import.template", lang),
                                                       color="light", css_classes=["shequ-template-download"])
        self.template_table.param.watch(lambda _e: setattr(self.template_button, "filename", self._template_name()), "value")
        self.upload = pn.widgets.FileInput(accept=".xlsx,.xls,.ods,.csv", multiple=False, css_classes=["shequ-import-file"])
        self.check = pn.widgets.Button(label=t("import.check", lang), color="primary", css_classes=["shequ-import-check"], stylesheets=[BUTTON_CSS])
        self.confirm = pn.widgets.Button(label=t("import.confirm", lang), color="success", disabled=True, css_classes=["shequ-import-confirm"],
                                         stylesheets=[BUTTON_CSS])
        hidden = {t("import.hidden_refuse", lang): "refuse", t("import.hidden_skip", lang): "skip", t("import.hidden_include", lang): "include"}
        self.hidden_rows = pn.widgets.Select(label=t("import.hidden_rows", lang), options=hidden, value="refuse", min_width=150,
                                             css_classes=["shequ-import-hidden-rows"])
        self.hidden_columns = pn.widgets.Select(label=t("import.hidden_columns", lang), options=hidden, value="refuse", min_width=150,
                                                css_classes=["shequ-import-hidden-columns"])
        self.report = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["shequ-import-report"],
                                   styles={"overflow-wrap": "anywhere", "max-width": "calc(100vw - 40px)"})
        self.check.on_click(self._on_check)
        self.confirm.on_click(self._on_confirm)
        self.upload.param.watch(lambda _e: self._reset(), "value")
        self.hidden_rows.param.watch(lambda _e: self._reset(), "value")
        self.hidden_columns.param.watch(lambda _e: self._reset(), "value")
        self._checked: Optional[tuple[bytes, str, str, str]] = None
        self.busy = False

    def _template_name(self) -> str:
        rt = registry().tables.get(self.template_table.value or "")
        label = rt.label_zh if rt else "模板"
        return f"{self.store.region.replace('/', '_')}_{self.store.period}_{label}.xlsx"

    def _template_bytes(self) -> io.BytesIO:
        from ..spreadsheets import write_template_for

        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / "template.xlsx"
            write_template_for(self.store.sdk, self.template_table.value, region=self.store.region, period=self.store.period, out=out)
            return io.BytesIO(out.read_bytes())

    def _reset(self) -> None:
        self._checked = None
        self.confirm.disabled = True
        self.report.object = ""

    def run(self, *, dry_run: bool):
        """Check (``dry_run``) or import the uploaded file, here and now (a notebook, a test); the
        confirmed import uses the very bytes and choices checked. A click runs :meth:`run_async`."""
        job = self._prepare(dry_run)
        if job is None:
            return None
        return self._show(dry_run, self._work(dry_run, *job))

    async def _on_check(self, _event) -> None:
        """检查文件: Panel runs a coroutine callback on the event loop, which it leaves free while
        the worker thread reads and checks the file."""
        await self.run_async(dry_run=True)

    async def _on_confirm(self, _event) -> None:
        await self.run_async(dry_run=False)

    async def run_async(self, *, dry_run: bool):
        """:meth:`run` with the reading and checking in a worker thread, so the server keeps
        answering every other session while a large or hostile file is examined."""
        if self.busy:
            return None
        job = self._prepare(dry_run)
        if job is None:
            return None
        self.busy = True
        self.check.disabled = self.confirm.disabled = True
        self.report.object = f'<div class="shequ-import-busy">{html.escape(t("import.busy", self.store.lang))}</div>'
        try:
            result = await asyncio.wrap_future(_IMPORTS.submit(self._work, dry_run, *job))
        finally:
            self.busy = False
            self.check.disabled = False
        return self._show(dry_run, result)

    def _prepare(self, dry_run: bool) -> Optional[tuple[bytes, str, str, str]]:
        """The bytes, name and hidden-row/column choices to work on, or ``None`` (with the reason shown)."""
        lang = self.store.lang
        if dry_run:
            if not self.upload.value:
                self._error(t("import.no_file", lang))
                return None
            data = bytes(self.upload.value)
            if len(data) > WEB_MAX_BYTES:
                self._error(t("import.too_big", lang, size=f"{len(data) / 1024 / 1024:.1f}", limit=WEB_MAX_BYTES // 1024 // 1024))
                return None
            self._checked = (data, self.upload.filename or "upload.xlsx", self.hidden_rows.value, self.hidden_columns.value)
        elif self._checked is None:
            return None
        return self._checked

    def _error(self, text: str) -> None:
        self._checked = None
        self.confirm.disabled = True
        self.report.object = f'<div class="shequ-import-error" style="color:#b00020">{html.escape(text)}</div>'

    def _work(self, dry_run: bool, data: bytes, name: str, hidden_rows: str, hidden_columns: str):
        """Read, check and (unless ``dry_run``) write: no widget is touched here (a worker thread)."""
        from ..spreadsheets import import_file

        safe_name = re.sub(r"[\\/:*?\"<>|\x00-\x1f]", "_", Path(name).name) or "upload.xlsx"
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / safe_name
            path.write_bytes(data)
            return import_file(self.store.sdk, path, region=self.store.region, period=self.store.period, dry_run=dry_run,
                               max_bytes=WEB_MAX_BYTES, time_limit=WEB_TIME_LIMIT, hidden_rows=hidden_rows, hidden_columns=hidden_columns)

    def _show(self, dry_run: bool, result):
        from ..spreadsheets import problem_line

        lang = self.store.lang
        parts = [f'<div class="shequ-import-summary" style="font-weight:600;color:{"#1b5e20" if result.ok else "#b00020"}">'
                 f'{html.escape(result.summary())}</div>']
        if result.problems:
            shown = result.problems[:200]
            items = "".join(f"<li>{html.escape(problem_line(p, web=True))}</li>" for p in shown)
            count = (f"（{len(shown)}）" if lang == "zh" else f" ({len(shown)})") + (
                (f"，另有 {len(result.problems) - len(shown)} 个未列出" if lang == "zh" else f", {len(result.problems) - len(shown)} more not listed")
                if len(result.problems) > len(shown) else "")
            parts.append(f'<h4 class="shequ-import-count" data-count="{len(shown)}" style="font-size:18px;font-weight:500">{html.escape(t("import.problems", lang) + count)}</h4>'
                         f'<ol class="shequ-import-problems">{items}</ol>')
        notes = result.notes()
        if notes:
            parts.append('<ul class="shequ-import-notes">' + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>")
        if dry_run and result.ok and result.plan:
            items = "".join(f"<li>{html.escape(r.text())}</li>" for r in result.plan[:PLAN_SHOWN])
            more = (f"<li>{html.escape(t('import.more', lang, n=len(result.plan) - PLAN_SHOWN))}</li>" if len(result.plan) > PLAN_SHOWN else "")
            parts.append(f'<h4 style="font-size:18px;font-weight:500">{html.escape(t("import.plan", lang))}</h4><ul class="shequ-import-plan">{items}{more}</ul>')
        self.report.object = "".join(parts)
        self.confirm.disabled = not (dry_run and result.ok)
        if not dry_run:
            self._checked = None
            if result.written:
                self.store.refresh()
        return result

    def __panel__(self):
        return pn.Column(
            pn.FlexBox(self.template_table, self.template_button, align_items="end"),
            pn.pane.HTML(f"<div>{html.escape(t('import.upload', self.store.lang))}</div>"),
            pn.FlexBox(self.upload, self.check, self.confirm, align_items="end"),
            pn.FlexBox(self.hidden_rows, self.hidden_columns),
            self.report,
            sizing_mode="stretch_width",
        )


class LazyTabs(pn.Tabs):
    """Tabs (``dynamic``: only the open one is drawn) whose closed tabs are built when first
    opened: ``unbuilt`` maps a tab's index to its empty column and the function making its content."""

    def __init__(self, *objects, **params):
        self.unbuilt: dict[int, tuple[pn.Column, Callable[[], object]]] = {}
        super().__init__(*objects, **params)

    def _update_active(self, *events):
        # before the tab opened is drawn, so it is drawn once, with its content
        for event in events:
            if event.name == "active" and event.new in self.unbuilt:
                holder, make = self.unbuilt.pop(event.new)
                holder.objects = [make()]
        super()._update_active(*events)


class EntryApp(App):
    """村务录入: pick a village and a quarter, then enter boards, records or a spreadsheet."""

    title_key = "entry.title"

    shell = True  # phones first: the light page, without a template framework to load and lay out

    def __init__(self, sdk=None, **params):
        super().__init__(sdk=sdk, **params)
        s = self.data_store
        if s.region_obj.kind not in ("village", "community"):
            inside = [ref for _, ref, _ in s.village_choices()]
            area = s.region_obj
            within = [ref for vid, ref, _ in s.village_choices() if _inside(s, vid, area.id)]
            if within or inside:
                s.region = (within or inside)[0]
        if s.period_kind != "quarter":
            # no quarter asked for (the server's default is a year): the newest quarter this user may
            # still save; a link's ?quarter= is applied after this
            s.period = self.newest_open_quarter()
        self._tab = 0
        self._pending: Optional[tuple[str, str]] = None
        self._reverting = False
        self._guarded: list = []
        self.leave_prompt = self._leave_prompt()
        self._has_tabs = False  # the page shows the tabs of a village and quarter
        self._records_panel: Optional[RecordsPanel] = None
        self._import_panel: Optional[ImportPanel] = None
        self.request_box: Optional[ExceptionRequestBox] = None
        # the app works by quarter: a year or month (from a link) becomes its quarter
        s.param.watch(lambda e: setattr(s, "period", s.convert_period("quarter")) if s.period_kind != "quarter" else None, "period")

    # kept on the app (one per session) so a notebook or a test can reach the forms of the page
    @property
    def records_panel(self) -> Optional[RecordsPanel]:
        """The 录入记录 tab of the page shown (``None`` before the page is built, or without a village and quarter)."""
        if self._records_panel is None and self._has_tabs:
            self._records_panel = RecordsPanel(store=self.data_store)
        return self._records_panel

    @property
    def import_panel(self) -> Optional[ImportPanel]:
        """The 表格导入 tab of the page shown (``None`` before the page is built, or without a village and quarter)."""
        if self._import_panel is None and self._has_tabs:
            self._import_panel = ImportPanel(store=self.data_store)
        return self._import_panel

    def newest_open_quarter(self) -> str:
        """The newest quarter (up to today's) of the chosen village whose forms this session's
        user may save; the newest quarter when every one is locked."""
        from .. import locks

        s = self.data_store
        quarters = list(quarter_options(s).values())
        actor = getattr(s.sdk, "user", None)
        if not locks.is_subject(actor) or s.region_obj.kind not in ("village", "community"):
            return quarters[0]
        today = s.as_of or dt.date.today()
        with s.sdk.transaction() as session:
            for q in quarters:
                if locks.refusal_for(session, actor, s.region_obj.id, q, today) is None:
                    return q
        return quarters[0]

    def url_params(self) -> dict[str, str]:
        return {"region": "village", "period": "quarter", "lang": "lang"}

    def toolbar(self):
        """The village and quarter at the top, then the language and who is signed in; the
        pickers share the width and wrap to one per line on a phone."""
        controls = self.controls()
        for w in controls:
            w.param.update(sizing_mode="stretch_width", width=None, min_width=150, min_height=40,
                           styles={"flex": "1 1 200px"}, stylesheets=[TOUCH_CSS])
        return pn.FlexBox(*controls, self.language_switch(), *self.user_badge(), flex_wrap="wrap", align_items="flex-end",
                          sizing_mode="stretch_width", css_classes=["shequ-toolbar"], styles={"background": "#f5f7fa", "border-radius": "4px"})

    def layout(self):
        """The pickers first (a phone shows them without scrolling), then the heading and the forms."""
        if self._layout is None:
            denied = self.data_store.denied()
            main = [self.permission_card(denied)] if denied is not None else self.main()
            # Enter/Space open a focused tab; the focus goes where a step sends it (keyboard.focus)
            keys = install_keyboard(pn.state.curdoc)
            self._layout = pn.Column(self.toolbar(), when_visible(self.leave_prompt), self.heading(), *main, keys, sizing_mode="stretch_width",
                                     css_classes=["shequ-app"])
        return self._layout

    def heading_text(self, lang: str) -> str:
        s = self.data_store
        try:
            label = Period.parse(s.period).label(lang)
        except Exception:
            label = s.period
        return f"{t(self.title_key, lang)} · {s.region} · {label}"

    def controls(self) -> list:
        s = self.data_store
        villages = {label: ref for _, ref, label in s.village_choices()}
        if s.region not in villages.values():
            villages[s.region] = s.region
        village = pn.widgets.Select(label=s.t("village"), options=villages, value=s.region, css_classes=["shequ-village"])
        self.guarded(village, "region")
        quarter = pn.widgets.Select(label=s.t("quarter"), options=quarter_options(s), value=s.period, css_classes=["shequ-quarter"])
        self.guarded(quarter, "period")
        s.param.watch(lambda e: setattr(village, "value", e.new), "region")

        def on_period(event):
            options = quarter_options(s)
            if quarter.options != options:
                quarter.options = options
            quarter.value = event.new

        s.param.watch(on_period, "period")

        def on_lang(_event):
            village.label, quarter.label = s.t("village"), s.t("quarter")
            quarter.options = quarter_options(s)
            quarter.value = s.period

        s.param.watch(on_lang, "lang")
        return [village, quarter]

    # -- unsaved input is never lost without asking ---------------------------------------------------
    def unsaved(self) -> bool:
        """Whether any form of the page holds input not saved yet."""
        return any(form.dirty() for form in self.data_store.forms)

    def guarded(self, widget, name: str) -> None:
        """``widget`` sets the store's ``name`` (village, quarter, language) — at once when nothing
        is unsaved, else after the user confirms that the unsaved input may go."""

        def on_change(event):
            s = self.data_store
            if self._reverting or event.new == getattr(s, name):
                return
            if not self.unsaved():
                setattr(s, name, event.new)
                return
            self._pending = (name, event.new)
            self.leave_prompt.visible = True
            old = getattr(s, name)
            # the picker shows where the page still is until confirmed; on the next tick, or the
            # browser would not hear of a change made while its own change is being handled
            doc = pn.state.curdoc
            if doc is not None and doc.session_context is not None:
                doc.add_next_tick_callback(lambda: self._revert(widget, old))
            else:
                self._revert(widget, old)

        widget.param.watch(on_change, "value")
        self._guarded.append((widget, name))

    def _revert(self, widget, value) -> None:
        self._reverting = True
        try:
            widget.value = value
        finally:
            self._reverting = False

    def _leave(self, confirmed: bool) -> None:
        pending, self._pending = self._pending, None
        self.leave_prompt.visible = False
        if confirmed and pending is not None:
            name, value = pending
            setattr(self.data_store, name, value)
            for widget, n in self._guarded:
                if n == name:
                    self._revert(widget, value)

    def _leave_prompt(self):
        lang = self.data_store.lang
        text = pn.pane.HTML(f'<div class="shequ-leave-text" style="font-weight:600;color:#bf360c">{html.escape(t("entry.leave", lang))}</div>',
                            sizing_mode="stretch_width")
        go = pn.widgets.Button(label="切换，放弃未保存的输入" if lang == "zh" else "Switch and discard", color="danger",
                               css_classes=["shequ-leave-confirm"], stylesheets=[BUTTON_CSS])
        stay = pn.widgets.Button(label="留在本页" if lang == "zh" else "Stay", color="light", css_classes=["shequ-leave-cancel"], stylesheets=[BUTTON_CSS])
        go.on_click(lambda _e: self._leave(True))
        stay.on_click(lambda _e: self._leave(False))
        return pn.FlexBox(text, go, stay, flex_wrap="wrap", align_items="center", sizing_mode="stretch_width", visible=False,
                          css_classes=["shequ-leave-prompt"], styles={"background": "#fff3e0", "border-left": "4px solid #e65100", "padding": "4px 8px"})

    def language_switch(self):
        s = self.data_store
        switch = pn.widgets.RadioButtonGroup(options={v: k for k, v in LANGS.items()}, value=s.lang, color="light",
                                             css_classes=["shequ-lang"], margin=(5, 10), stylesheets=[BUTTON_CSS])
        self.guarded(switch, "lang")
        s.param.watch(lambda e: self._revert(switch, e.new), "lang")
        return switch

    def tabs(self, **_):
        s = self.data_store
        s.forms = []  # the forms of the page being built (unsaved input belongs to one village and quarter)
        self._records_panel = self._import_panel = None  # this village and quarter's, made when first asked for
        self._has_tabs = Period.parse(s.period).kind == "quarter" and s.region_obj.kind in ("village", "community")
        if not self._has_tabs:
            return pn.pane.HTML(html.escape(s.t("entry.pick")))
        notice = self.lock_notice()  # first: the forms below read store.readonly
        items = [(spec.label(s.lang), lambda spec=spec: PluginView(data_store=s, spec=spec)) for spec in views_for("entry")]
        items.append((s.t("entry.records"), lambda: self.records_panel))
        items.append((s.t("entry.import"), lambda: self.import_panel))
        active = min(self._tab, len(items) - 1)
        # only the open tab is built with the page; another is built when it is first opened (an
        # empty column until then: the tabs draw only the open one)
        unbuilt = {i: (pn.Column(sizing_mode="stretch_width"), make) for i, (_, make) in enumerate(items) if i != active}
        tabs = LazyTabs(*[(label, unbuilt[i][0] if i in unbuilt else make()) for i, (label, make) in enumerate(items)], active=active,
                        sizing_mode="stretch_width", dynamic=True, css_classes=["shequ-entry-tabs"],
                        stylesheets=[":host .bk-header .bk-tab {min-height: 40px; padding: 10px 12px; box-sizing: border-box;} "
                                     f":host .bk-header .bk-tab:focus-visible {{{FOCUS_RING}}}"])
        tabs.unbuilt = unbuilt
        tabs.param.watch(lambda e: setattr(self, "_tab", e.new), "active")
        if notice is None:
            self.request_box = None
            return tabs
        # a locked quarter: ask the township for an exception right here
        self.request_box = ExceptionRequestBox(store=s)
        return pn.Column(notice, self.request_box, tabs, sizing_mode="stretch_width")

    def lock_note(self) -> str:
        """Why this session's user cannot save the chosen village's quarter (it is locked and no
        exception covers it) and what to do — the write path's own message, whose command-line
        hint stays off the page; ``""`` when saving is open."""
        from .. import locks

        s = self.data_store
        actor = getattr(s.sdk, "user", None)
        if not locks.is_subject(actor):
            return ""
        with s.sdk.transaction() as session:
            denied = locks.refusal_for(session, actor, s.region_obj.id, s.period, s.as_of or dt.date.today())
        if denied is None:
            return ""
        return f"{denied.zh}。{t('entry.locked_readonly', 'zh')}" if s.lang == "zh" else f"{denied.en}. {t('entry.locked_readonly', 'en')}"

    def lock_notice(self) -> Optional[pn.pane.HTML]:
        """:meth:`lock_note` above the forms (``None`` when saving is open); the forms are then read-only."""
        s = self.data_store
        note = self.lock_note()
        s.readonly = note
        if not note:
            return None
        text = html.escape(note)
        return pn.pane.HTML(f'<div class="shequ-lock-notice" role="alert" style="background:#fff3e0;border-left:4px solid #e65100;'
                            f'padding:8px 12px;color:#bf360c">{text}</div>', sizing_mode="stretch_width")

    def main(self) -> list:
        s = self.data_store
        # rebuilt when the village, quarter or language changes: unsaved input belongs to one village and quarter
        return [pn.panel(pn.bind(self.tabs, region=s.param.region, period=s.param.period, lang=s.param.lang), sizing_mode="stretch_width")]
