"""表格录入 — many rows of one table at once: the 30 collection runs of a month, the items of a board.

A :class:`GridEntry` is a spreadsheet-like grid whose columns are the fields of the table's
:class:`~shequ_sdk.ui.forms.RecordForm` — the same fields, order, Chinese labels and units
(money in 元), lists of households or associations by the names the form offers, never an
internal id. Every cell is text: it is kept as typed and read on save by
:func:`~shequ_sdk.ui.forms.read_typed`, the form's own reader (:mod:`shequ_sdk.values`), so the
grid accepts exactly what the form accepts (``１２３``, ``¥1,234.50``, ``2011年4月6日``…).

- 向下填充 (:meth:`GridEntry.fill_down`) copies a cell into the empty cells below it, like Excel's
  Ctrl+D;
- 从 Excel 粘贴 (:meth:`GridEntry.paste`) fills rows from lines copied in Excel (cells separated by
  tabs), with or without a header line of column labels;
- 保存 (:meth:`GridEntry.save`) writes every row in use in one call of the write path, in one
  transaction: all rows or none, and one save names every problem of every row at once.
"""

from __future__ import annotations

import csv
import html
import io
import logging
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable, Optional

import pandas as pd
import panel as pn
import param
from sqlmodel import Session

from .. import drafts
from ..errors import BatchError, InputError, PermissionDenied, Problem
from ..fields import FieldInfo
from ..plugins import registry
from ..records import write
from ..values import ParseError
from .forms import (_FEN_UNIT, BUTTON_CSS, HIDDEN, TOUCH_CSS, _as_text, choice_options, field_label, fk_options, message_html,
                    problem_text, problems_with_unread, read_typed, restored_note, summary_html, when_visible, write_mode, yes_no_options)
from .charts import data_grid
from .i18n import t
from .keyboard import focus as keyboard_focus
from .store import DataStore

log = logging.getLogger("shequ_sdk.ui")

ROW, PROBLEMS = "_row", "_problems"  # the grid's own columns: the row number as shown, and its problems
ADD_ROWS = 10
# the grid scrolls sideways inside its own box; its cells are finger-sized; the problems column is red
GRID_CSS = (":host .tabulator-row .tabulator-cell {min-height: 36px; padding: 8px 6px;} "
            f":host .tabulator-cell[tabulator-field={PROBLEMS}] {{color: #b00020; white-space: normal;}}")


@dataclass
class GridColumn:
    """One field of the grid: its metadata, its title (as the form labels it) and, for a list,
    ``{label: value}`` of its entries."""

    info: FieldInfo
    title: str
    options: Optional[dict[str, Any]] = None

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def label(self) -> str:
        """The title without the required mark, as a message names the column."""
        return self.title.removesuffix(" *")


def _key(text: str) -> str:
    """A header cell as it is compared with the column labels: full-width folded, no spaces, no
    required mark, lower case."""
    return "".join(unicodedata.normalize("NFKC", text).split()).rstrip("*").lower()


def _refused(key: str, **fmt) -> InputError:
    """A paste refused, in both languages."""
    return InputError(t(key, "zh", **fmt), t(key, "en", **fmt))


class GridEntry(pn.viewable.Viewer):
    """Enter many new records of one table in a grid; see the module's description.

    ``defaults`` prefill every row (the period column with the chosen quarter); ``fixed`` values
    (the village) are written without being shown. A row is *in use* when any of its cells holds
    something other than its prefilled value; only rows in use are saved, and paste fills the
    rows after the last one in use."""

    store = param.ClassSelector(class_=DataStore)

    table = param.String(doc="""Registered table key, such as sanitation_collection_run.""")

    rows = param.Integer(default=ADD_ROWS, bounds=(1, None), doc="""Empty rows of a new grid.""")

    defaults = param.Dict(default={}, doc="""Prefilled values of every row (the period column).""")

    fixed = param.Dict(default={}, doc="""Column values written without being shown.""")

    def __init__(self, **params):
        super().__init__(**params)
        self.rt = registry().table(self.table)
        self.lang = lang = self.store.lang
        region = self.store.region_obj
        self.fixed = {"region_id": region.id, **self.fixed}
        self.columns: dict[str, GridColumn] = {}
        with Session(self.store.sdk.engine) as s:
            for info in self.rt.fields:
                if info.name in HIDDEN or info.name in self.fixed:
                    continue
                options = fk_options(s, info, region, lang) if info.foreign_key else None
                if options is None and info.choices:
                    options = choice_options(info, lang)
                elif options is None and info.python_type is bool:
                    options = yes_no_options(lang)
                self.columns[info.name] = GridColumn(info, field_label(info, lang), options)
        self.prefill = {name: _as_text(self.defaults.get(name)) for name in self.columns}
        self.on_saved: list[Callable[[int], None]] = []
        self.cell: Optional[tuple[int, str]] = None  # the last cell clicked: (row as shown, column)

        titles = {ROW: t("grid.row", lang), PROBLEMS: t("grid.problems", lang), **{c.name: c.title for c in self.columns.values()}}
        editors: dict[str, Any] = {ROW: None, PROBLEMS: None}
        for c in self.columns.values():
            editors[c.name] = ({"type": "list", "values": list(c.options), "autocomplete": True, "listOnEmpty": True, "clearable": True,
                                "allowEmpty": True} if c.options is not None else {"type": "input"})
        self.grid = data_grid(self._blank(self.rows), show_index=False, titles=titles, editors=editors, frozen_columns=[ROW],
                              layout="fit_data_fill", widths={ROW: 52, PROBLEMS: 260}, selectable=False, sortable=False,
                              sizing_mode="stretch_width", height=self._height(self.rows), header_align="left",
                              css_classes=["shequ-grid", f"shequ-grid-{self.table}"], stylesheets=[GRID_CSS])
        self.grid.on_click(self._clicked)

        def button(label: str, action: Callable[[], Any], *css: str, color: str = "light"):
            b = pn.widgets.Button(label=label, color=color, css_classes=list(css), min_height=40, min_width=96, stylesheets=[BUTTON_CSS])
            b.on_click(lambda _e: action())
            return b

        self.add_button = button(t("grid.add_rows", lang, n=ADD_ROWS), self.add_rows, "shequ-grid-add")
        self.fill_button = button(t("grid.fill_down", lang), self.fill_down, "shequ-grid-fill-down")
        self.paste_area = pn.widgets.TextAreaInput(label=t("grid.paste", lang), placeholder=t("grid.paste_hint", lang), rows=4,
                                                   sizing_mode="stretch_width", css_classes=["shequ-grid-paste"], stylesheets=[TOUCH_CSS])
        self.paste_button = button(t("grid.paste_fill", lang), lambda: self.paste(self.paste_area.value), "shequ-grid-paste-fill")
        self.save_button = button(t("entry.save", lang), self.save, "shequ-save", "shequ-grid-save", f"shequ-save-grid-{self.table}",
                                  color="primary")
        self.paste_message = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["shequ-grid-paste-message"])
        self.message = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["shequ-grid-message"])
        self.summary = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["shequ-problems", "shequ-grid-problems"])
        # unsaved rows are kept on the server as they are typed (shequ_sdk.drafts), as a form's are
        self.draft_note = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["shequ-draft-note", "shequ-grid-draft-note"])
        self.draft_discard = button(t("entry.draft_discard", lang), lambda: self.discard_draft(reset=True), "shequ-draft-discard",
                                    "shequ-grid-draft-discard")
        self.draft_bar = pn.FlexBox(self.draft_note, self.draft_discard, align_items="center", sizing_mode="stretch_width", visible=False)
        self._quiet = False
        self.store.forms.append(self)  # unsaved input is never dropped without asking (EntryApp.unsaved)
        if self.store.readonly:
            self.lock(self.store.readonly)
        else:
            self.restore_draft()
        self.grid.on_edit(lambda _event: self._autosave())  # a cell typed into in the browser

    # -- the grid's rows ---------------------------------------------------------------------
    def _blank(self, n: int, start: int = 1) -> pd.DataFrame:
        data: dict[str, list] = {ROW: list(range(start, start + n))}
        for name in self.columns:
            data[name] = [self.prefill[name]] * n
        data[PROBLEMS] = [""] * n
        return pd.DataFrame(data, dtype=object).astype({ROW: int})

    @staticmethod
    def _height(n: int) -> int:
        return min(480, 44 + 38 * n)

    def frame(self) -> pd.DataFrame:
        """The grid's cells as text (blank cells as ``""``), one row per grid row."""
        df = self.grid.value.copy()
        for name in (*self.columns, PROBLEMS):
            df[name] = df[name].map(lambda v: "" if v is None or (isinstance(v, float) and v != v) else str(v))
        return df.reset_index(drop=True)

    def _set(self, df: pd.DataFrame) -> None:
        df = df.reset_index(drop=True)
        df[ROW] = range(1, len(df) + 1)
        self.grid.height = self._height(len(df))
        self.grid.value = df
        self._autosave()

    def _in_use(self, cells: pd.Series) -> bool:
        return any(cells[name].strip() != self.prefill[name].strip() for name in self.columns)

    def rows_in_use(self) -> list[tuple[int, dict[str, str]]]:
        """``(row as shown, {column: text})`` of each row holding something other than its
        prefilled values, in the grid's order."""
        df = self.frame()
        return [(int(r[ROW]), {name: r[name] for name in self.columns}) for _, r in df.iterrows() if self._in_use(r)]

    def add_rows(self, n: int = ADD_ROWS) -> None:
        """添加 10 行: ``n`` more empty rows at the bottom."""
        df = self.frame()
        self._set(pd.concat([df, self._blank(n, len(df) + 1)], ignore_index=True))

    def clear(self) -> None:
        """An empty grid of :attr:`rows` rows (prefilled), no problems shown."""
        self._set(self._blank(self.rows))
        self.summary.object = ""
        self.cell = None

    def dirty(self) -> bool:
        """Whether the grid holds input that is not saved."""
        return not self.disabled and bool(self.rows_in_use())

    # -- drafts: unsaved rows kept on the server ------------------------------------------------
    def draft_key(self) -> str:
        """The grid's draft name: table and quarter (the village and the user are columns of their own)."""
        return f"{self.rt.key}|{self.store.period}|grid"

    def _user(self):
        return getattr(self.store.sdk, "user", None)

    def draft_rows(self) -> list[dict[str, str]]:
        """The rows in use as typed (their non-empty cells); sensitive columns (ID and phone
        numbers) are left out: they are never kept in a draft."""
        return [{name: text for name, text in cells.items() if text.strip() and not self.columns[name].info.sensitive}
                for _, cells in self.rows_in_use()]

    def _autosave(self) -> None:
        if self._quiet or self.disabled or not hasattr(self, "draft_bar"):
            return
        rows = self.draft_rows()
        try:
            with self.store.sdk.transaction() as s:
                if rows:
                    drafts.save(s, self._user(), self.draft_key(), self.fixed["region_id"], {"rows": rows})
                else:
                    drafts.discard(s, self._user(), self.draft_key())
        except Exception:  # keeping a draft must never stop the typing; the save reports real problems
            log.warning("draft of %s not kept", self.draft_key(), exc_info=True)

    def restore_draft(self) -> int:
        """Put the user's unsaved rows back into the grid, with a note saying when they were typed
        and a button to discard them; the number of rows restored."""
        self.draft_bar.visible = False
        try:
            with Session(self.store.sdk.engine) as s:
                found = drafts.load(s, self._user(), self.draft_key(), self.fixed["region_id"])
        except PermissionDenied:  # a village outside the user's scope has no draft of theirs to show
            found = None
        rows = [r for r in ((found.values.get("rows") if found else None) or []) if isinstance(r, dict)]
        if not rows:
            return 0
        df = self._blank(max(self.rows, len(rows)))
        for i, cells in enumerate(rows):
            for name, text in cells.items():
                if name in self.columns and not self.columns[name].info.sensitive and text is not None:
                    df.at[i, name] = str(text)
        self._quiet = True
        try:
            self._set(df)
        finally:
            self._quiet = False
        self.draft_note.object = restored_note("grid.draft_restored", self.lang, found.saved_at, len(rows))
        self.draft_bar.visible = True
        return len(rows)

    def discard_draft(self, reset: bool = False) -> None:
        """Forget the user's draft of this grid; with ``reset``, empty the grid."""
        with self.store.sdk.transaction() as s:
            drafts.discard(s, self._user(), self.draft_key())
        self.draft_bar.visible = False
        if reset:
            self.clear()

    # -- copy-down -----------------------------------------------------------------------------
    def _clicked(self, event) -> None:
        if event.column in self.columns and event.row is not None:
            self.cell = (int(event.row) + 1, event.column)

    def fill_down(self, column: Optional[str] = None, row: Optional[int] = None) -> int:
        """向下填充, like Excel's Ctrl+D: copy one cell of a column into the empty cells below it.

        The column and the source row are the ones given (``row`` as shown, from 1), else those
        of the last cell clicked. When that cell is empty (or no row is given), the source is the
        column's first non-empty cell. Its text goes into every *empty* cell below it, down to the
        last row in use (a row with anything entered in any column) — or down to the end of the
        grid when no row below the source is in use. A cell that holds something is never
        overwritten. Returns the number of cells filled (and says so on the page)."""
        if self.disabled:
            return 0
        if column is None and self.cell is not None:
            row, column = self.cell
        if column not in self.columns:
            self._say(t("grid.pick_cell", self.lang), False)
            return 0
        df = self.frame()
        label = self.columns[column].label
        values = df[column].tolist()
        if row is None or not 1 <= row <= len(values) or not values[row - 1].strip():
            row = next((i + 1 for i, v in enumerate(values) if v.strip()), None)
            if row is None:
                self._say(t("grid.nothing_to_fill", self.lang, column=label), False)
                return 0
        value = values[row - 1]
        in_use = [i + 1 for i in range(row, len(values)) if self._in_use(df.iloc[i])]
        last = in_use[-1] if in_use else len(values)
        targets = [i for i in range(row, last) if not values[i].strip()]  # 0-based positions below the source
        if not targets:
            self._say(t("grid.no_empty_below", self.lang, column=label, row=row), False)
            return 0
        df.loc[targets, column] = value
        self._set(df)
        self._say(t("grid.filled", self.lang, row=row, value=value, n=len(targets), column=label), True)
        return len(targets)

    # -- paste from Excel --------------------------------------------------------------------
    def read_paste(self, text: str) -> list[dict[str, str]]:
        """Rows ``{column: text}`` from lines copied in Excel: cells separated by tabs (a cell
        holding a tab or a line break comes quoted, as Excel copies it). The first line is a header
        when any of its cells is a column's label (with or without ``*``, in Chinese or English;
        an amount's label in 元 or without unit — ``金额(分)`` is refused, as its cells would be
        read as 元): its cells then name the columns of the lines below, a blank header cell
        skipping its column. Without a header the cells fill the columns in the grid's order.
        Blank lines are skipped, blank cells left as they are. Raises
        :class:`~shequ_sdk.errors.InputError` naming the line and column when a header cell is no
        column (or names one twice) or a line has more cells than there are columns."""
        lines = [(n, [c.strip() for c in cells]) for n, cells in enumerate(csv.reader(io.StringIO(text or ""), delimiter="\t"), start=1)]
        lines = [(n, cells) for n, cells in lines if any(cells)]
        if not lines:
            return []
        labels: dict[str, str] = {}
        for c in self.columns.values():
            info = c.info
            # a money column by its label in 元 or without unit, never in 分: a cell read as 元 under a 分 header would be 100 times too much
            for text_ in (c.title, field_label(info, "zh"), field_label(info, "en"), info.label_zh, info.label_en):
                labels.setdefault(_key(_FEN_UNIT.sub("", text_)), c.name)
        order = list(self.columns)
        line_no, first = lines[0]
        wide_key = "grid.paste_wide"
        if any(_key(cell) in labels for cell in first if cell):
            order = []
            for col, cell in enumerate(first, start=1):
                name = labels.get(_key(cell)) if cell else ""
                if name is None:
                    labels_zh = "、".join(field_label(c.info, "zh").removesuffix(" *") for c in self.columns.values())
                    labels_en = ", ".join(field_label(c.info, "en").removesuffix(" *") for c in self.columns.values())
                    raise InputError(t("grid.paste_unknown", "zh", line=line_no, col=col, text=cell, columns=labels_zh),
                                     t("grid.paste_unknown", "en", line=line_no, col=col, text=cell, columns=labels_en))
                if name and name in order:
                    raise _refused("grid.paste_twice", line=line_no, col=col, text=cell)
                order.append(name)
            lines = lines[1:]
            wide_key = "grid.paste_wide_header"
        rows = []
        for n, cells in lines:
            while cells and not cells[-1]:
                cells = cells[:-1]  # trailing empty cells are no columns
            if len(cells) > len(order):
                raise _refused(wide_key, line=n, n=len(cells), k=len(order), col=len(order) + 1)
            rows.append({name: cell for name, cell in zip(order, cells) if name and cell})
        return rows

    def paste(self, text: str) -> int:
        """填入表格: the rows of :meth:`read_paste` go into the grid after its last row in use (rows
        are added as needed), as pasted — they are read on save. On a problem of shape nothing is
        filled and the message names the line and column. Returns the number of rows filled."""
        if self.disabled:
            return 0
        try:
            rows = self.read_paste(text)
        except InputError as exc:
            self._say(exc.zh if self.lang == "zh" else exc.en, False, self.paste_message)
            return 0
        if not rows:
            self._say(t("grid.paste_empty", self.lang), False, self.paste_message)
            return 0
        df = self.frame()
        used = [i for i in range(len(df)) if self._in_use(df.iloc[i])]
        start = used[-1] + 1 if used else 0
        if start + len(rows) > len(df):
            df = pd.concat([df, self._blank(start + len(rows) - len(df), len(df) + 1)], ignore_index=True)
        for i, row in enumerate(rows):
            for name, value in row.items():
                df.at[start + i, name] = value
        self._set(df)
        self.paste_area.value = ""
        self._say(t("grid.pasted", self.lang, n=len(rows), first=start + 1, last=start + len(rows)), True, self.paste_message)
        # with the keyboard, 保存 is otherwise every cell of the grid away (each cell is a Tab stop)
        keyboard_focus(f"shequ-save-grid-{self.table}")
        return len(rows)

    # -- saving ------------------------------------------------------------------------------
    def save(self) -> int:
        """保存: every row in use, in one call of the write path in one transaction; returns the
        number of rows written (0 when refused: then nothing is written).

        One save names every problem at once — the cells that cannot be read (left as typed), the
        field checks, and the row and cross-field rules on the cells that did read — in a list at
        the top (its count is the number of items listed), each with its grid row and column, and
        in the grid's 问题 column. Saved, the grid empties."""
        if self.disabled:
            return 0
        in_use = self.rows_in_use()
        df = self.frame()
        df[PROBLEMS] = ""
        self.summary.object = ""
        if not in_use:
            self._set(df)
            self._say(t("entry.nothing", self.lang), False)
            return 0
        rows, unread, shown_rows = [], {}, []
        for k, (shown, cells) in enumerate(in_use, start=1):
            row = dict(self.fixed)
            for name, text in cells.items():
                try:
                    present, value = read_typed(self.columns[name].info, text, self.columns[name].options)
                except ParseError as exc:
                    unread.setdefault(k, []).append((name, exc.zh if self.lang == "zh" else exc.en))
                    continue
                if present:
                    row[name] = value
            rows.append(row)
            shown_rows.append(shown)
        if unread:
            self._report(df, shown_rows, problems_with_unread(self.store, self.rt, rows, unread))
            return 0
        try:
            with self.store.sdk.transaction() as s:
                write(session=s, table=self.rt.key, rows=rows, mode=write_mode(self.rt, rows), actor=getattr(self.store.sdk, "user", None))
        except BatchError as exc:
            self._report(df, shown_rows, exc.problems)
            return 0
        except Exception as exc:  # a constraint or lock the rules did not foresee: nothing was written
            self._report(df, shown_rows, [Problem(f"保存失败：{exc}", f"saving failed: {exc}")])
            return 0
        self.clear()  # the draft goes with the rows
        self.draft_bar.visible = False
        self.store.refresh()
        self._say(t("entry.saved", self.lang, n=len(rows), table=self.rt.label(self.lang)), True)
        for callback in self.on_saved:
            callback(len(rows))
        return len(rows)

    def _column_label(self, field: Optional[str]) -> str:
        """The grid's label of a problem's field; a natural key across columns names each."""
        names = [n for n in (field or "").split(",") if n in self.columns]
        return "、".join(self.columns[n].label for n in names) if self.lang == "zh" else ", ".join(self.columns[n].label for n in names)

    def _report(self, df: pd.DataFrame, shown_rows: list[int], problems: list[Problem]) -> int:
        """List every problem at the top (the count is the number of items) and in the rows'
        问题 column; the same message for the same cell is listed once."""
        sep = "：" if self.lang == "zh" else ": "
        items: list[tuple[int, int, str]] = []  # (grid row or 0, column position, line)
        seen = set()
        by_row: dict[int, list[str]] = {}
        order = list(self.columns)
        for p in problems:
            grid_row = shown_rows[p.row - 1] if p.row and 1 <= p.row <= len(shown_rows) else 0
            column = self._column_label(p.field)
            first = (p.field or "").split(",")[0]
            text = problem_text(p, self.columns[first].info if first in self.columns else None, self.lang)
            key = (grid_row, p.field if column else None, text)
            if key in seen:
                continue
            seen.add(key)
            cell = f"{column}{sep}{text}" if column else text
            where = t("grid.where", self.lang, row=grid_row) if grid_row else ""
            items.append((grid_row, order.index(first) if first in order else len(order), f"{where} · {cell}" if where else cell))
            if grid_row:
                by_row.setdefault(grid_row, []).append(cell)
        items.sort(key=lambda item: (item[0], item[1]))
        for grid_row, cells in by_row.items():
            df.loc[df[ROW] == grid_row, PROBLEMS] = "；".join(cells) if self.lang == "zh" else "; ".join(cells)
        self._set(df)
        self.summary.object = summary_html([f'<li class="shequ-grid-problem" data-row="{r}">{html.escape(line)}</li>' for r, _, line in items],
                                           self.lang)
        self._say(t("entry.invalid", self.lang, n=len(items)), False)
        return len(items)

    def _say(self, text: str, ok: bool, pane: Optional[pn.pane.HTML] = None) -> None:
        """A message under the grid (or in ``pane``); the other message pane is emptied."""
        other = self.message if pane is self.paste_message else self.paste_message
        other.object = ""
        (pane or self.message).object = message_html(text, ok)

    # -- a locked quarter ----------------------------------------------------------------------
    @property
    def disabled(self) -> bool:
        return self.save_button.disabled

    def lock(self, note: str) -> None:
        """Read-only: the quarter is locked. The grid and its buttons are disabled, the note says why."""
        self.grid.disabled = True
        for w in (self.add_button, self.fill_button, self.paste_area, self.paste_button, self.save_button):
            w.disabled = True
        self.message.object = f'<div class="shequ-readonly" style="color:#bf360c">{html.escape(note)}</div>'

    def __panel__(self):
        lang = self.lang
        help_line = pn.pane.HTML(f'<div class="shequ-grid-help" style="color:#555">{html.escape(t("grid.help", lang))}</div>',
                                 sizing_mode="stretch_width")
        paste = pn.FlexBox(self.paste_button, self.paste_message, align_items="center", sizing_mode="stretch_width")
        tools = pn.FlexBox(self.add_button, self.fill_button, flex_wrap="wrap", align_items="center", sizing_mode="stretch_width")
        # the grid scrolls sideways in its own box: the page itself never does
        box = pn.Column(self.grid, sizing_mode="stretch_width", styles={"overflow-x": "auto", "max-width": "100%"},
                        css_classes=["shequ-grid-box"])
        save = pn.FlexBox(self.save_button, self.message, align_items="center", sizing_mode="stretch_width")
        return pn.Column(help_line, when_visible(self.draft_bar), self.paste_area, paste, self.summary, tools, box, save, sizing_mode="stretch_width",
                         css_classes=["shequ-grid-entry", f"shequ-grid-entry-{self.table}"])
