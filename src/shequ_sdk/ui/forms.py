"""Data-entry forms generated from record metadata — never written by hand per table.

Each column of a registered table becomes a widget chosen from its :class:`~shequ_sdk.fields.FieldInfo`:

=====================================  ===============================================
metadata                               widget
=====================================  ===============================================
``choices``                            ``Select`` of the Chinese (or English) labels
foreign key to another record table    ``Select`` of that table's rows in the village
``money=True`` (integer fen)           text box in 元, converted to fen exactly
``int`` / ``float``                    ``IntInput`` / ``FloatInput``
``bool``                               ``Checkbox`` (``Select`` 是/否/空 when it may be blank)
``date`` / ``datetime``                ``DatePicker`` / ``DatetimePicker``
anything else                          ``TextInput``
=====================================  ===============================================

Required fields are marked ``*``. Values go to the SDK's write path unchanged
(``shequ_sdk.records.write``), which validates the whole batch and writes all of it or
nothing; each :class:`~shequ_sdk.errors.Problem` is shown under the field it names
(``Problem.field``), in Chinese. Blank inputs are left out of the row, so the SDK reports a
missing required field itself and fills defaults for the rest.

Sensitive values already on file are never sent to the browser: a loaded record shows them
masked as a placeholder, and a blank input keeps the stored value.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
from typing import Any, Callable, Optional

import panel as pn
import param
from pydantic_core import PydanticUndefined
from sqlalchemy import select
from sqlmodel import Session

from .. import audit, drafts
from ..errors import BatchError, ConflictError, PermissionDenied, Problem
from ..fields import FieldInfo
from ..ids import mask
from ..models import Region
from ..plugins import registry
from ..records import validate_rows, write
from ..registry import RecordTable
from ..values import (ParseError, fen_to_yuan_text, parse_date, parse_datetime, parse_int, parse_money_fen, parse_number,
                      units_of)
from .charts import data_grid
from .i18n import t
from .store import DataStore

HIDDEN = ("id", "region_id", "synthetic")
FK_LABEL_COLUMNS = ("number", "case_no", "voucher_no", "name", "title", "obligation_key", "content")
FK_DETAIL_COLUMNS = ("head_name", "name", "board", "period", "title", "mode", "stock_date", "post", "year")
FK_LIMIT = 2000
# touch targets of at least 40 px (a finger, not a mouse), 16 px text so a phone does not zoom in on focus
# and a focus ring that can be seen (Bokeh's is a pale glow, on a light button almost white on white)
FOCUS_RING = "outline: 3px solid #0d47a1; outline-offset: 2px;"
BUTTON_CSS = f":host button {{min-height: 40px; min-width: 88px;}} :host button:focus-visible {{{FOCUS_RING}}}"
TOUCH_CSS = (":host input, :host select, :host textarea {min-height: 40px; font-size: 16px;} :host input[type=checkbox] {min-height: 24px; width: 24px;} "
             f":host input:focus-visible, :host select:focus-visible, :host textarea:focus-visible {{{FOCUS_RING}}}")
_FEN_UNIT = re.compile(r"\s*[（(]\s*(分|fen)\s*[)）]\s*$", re.IGNORECASE)


FieldValueError = ParseError  # a typed value the form cannot read (kept as a name for callers)
log = logging.getLogger("shequ_sdk.ui")
CHINA_TIME = dt.timezone(dt.timedelta(hours=8))  # a draft's time as the clerk's clock shows it


def when_visible(component):
    """A box that holds ``component`` only while it is visible: a hidden bar, prompt or
    confirmation (most of them, most of the time) sends the browser nothing to draw. Show and
    hide ``component`` as usual, through its ``visible``."""
    holder = pn.Column(*([component] if component.visible else []), margin=0, sizing_mode="stretch_width")
    component.param.watch(lambda e: setattr(holder, "objects", [component] if e.new else []), "visible")
    return holder


def restored_note(key: str, lang: str, saved_at: dt.datetime, n: int) -> str:
    """A draft bar's note: when the restored input was typed (the clerk's clock) and how much."""
    when = saved_at.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")
    return f'<span style="color:#5d4037">{html.escape(t(key, lang, when=when, n=n))}</span>'


class TypedText(pn.widgets.TextInput):
    """The text box of a number, amount or date field: what the user types is kept as typed
    (read by :mod:`shequ_sdk.values` on save); code — a notebook, a test — may also set a typed
    value (``datetime.date``, ``int``, ``Decimal``), which is shown as its text."""

    def __init__(self, **params):
        if "value" in params:
            params["value"] = _as_text(params["value"])
        super().__init__(**params)

    def __setattr__(self, name, value):
        if name == "value":
            value = _as_text(value)
        super().__setattr__(name, value)


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value if isinstance(value, str) else str(value)


def field_label(info: FieldInfo, lang: str = "zh") -> str:
    """The field's label as the form shows it: money in 元, required fields marked ``*``."""
    label = info.label(lang)
    if info.money:
        base = _FEN_UNIT.sub("", label)
        label = f"{base}（元）" if lang == "zh" else f"{base} (yuan)"
    return f"{label} *" if info.required else label


def yuan_to_fen(text: str) -> int:
    """``"1,234.5"`` → ``123450``: :func:`shequ_sdk.values.parse_money_fen` (exact; more than
    two decimals is refused with a :class:`~shequ_sdk.values.ParseError`)."""
    return parse_money_fen(text)


def jump_link(form_id: str, field: str, text: str) -> str:
    """A link that scrolls to a field's input and focuses it (Panel draws each widget in its own
    shadow root, so a plain ``#anchor`` cannot reach it)."""
    target = f"shequ-input-{form_id}-{field}"
    js = ("(function(c){function f(r){var e=r.querySelector('.'+c);if(e)return e;"
          "for(var n of r.querySelectorAll('*')){if(n.shadowRoot){var x=f(n.shadowRoot);if(x)return x}}return null}"
          "var e=f(document);if(e){e.scrollIntoView({block:'center'});"
          "var i=(e.shadowRoot||e).querySelector('input,select,textarea');if(i)i.focus()}return false})"
          f"('{target}')")
    return (f'<button type="button" class="shequ-jump" data-form="{html.escape(form_id)}" data-field="{html.escape(field)}" '
            f'style="display:inline;background:none;border:0;padding:4px 0;min-height:32px;color:#0d47a1;text-decoration:underline;cursor:pointer;'
            f'text-align:left;font:inherit" onclick="{html.escape(js)}">{html.escape(text)}</button>')


def model_default(rt: RecordTable, name: str):
    """The column's declared default (``None`` when it has none or a factory)."""
    f = rt.model.model_fields.get(name)
    if f is None or f.default is PydanticUndefined or f.default_factory is not None:
        return None
    return f.default


def problem_text(p: Problem, info: Optional[FieldInfo], lang: str = "zh") -> str:
    """A problem's message without the field label the write path puts in front of it (the
    message sits under that field already)."""
    text = p.message_zh if lang == "zh" else p.message_en
    if info is not None and lang == "zh":
        for prefix in (f"{info.label_zh}（{info.name}）", info.label_zh):
            if text.startswith(prefix) and len(text) > len(prefix):
                return text[len(prefix):].lstrip("：: ")
    return text


def fk_options(session: Session, info: FieldInfo, region: Region, lang: str = "zh") -> Optional[dict[str, Any]]:
    """``{label: id}`` of the rows of the table ``info`` points to, in ``region`` (and its
    township and county, where shared things such as a township old people's home are
    registered). ``None`` when the target is not a record table (e.g. ``region``)."""
    if not info.foreign_key:
        return None
    target = info.foreign_key.split(".")[0]
    reg = registry()
    rt = reg.tables.get(target)
    if rt is None:
        return None
    tbl = rt.model.__table__
    label_col = next((c for c in FK_LABEL_COLUMNS if c in tbl.c), None)
    detail_col = next((c for c in FK_DETAIL_COLUMNS if c in tbl.c and c != label_col), None)
    cols = [tbl.c.id] + [tbl.c[c] for c in (label_col, detail_col) if c]
    ids = [i for i in (region.id, region.township_id, region.county_id) if i]
    rows = session.execute(select(*cols).where(tbl.c.region_id.in_(ids)).order_by(tbl.c.id.desc()).limit(FK_LIMIT)).all()
    infos = {f.name: f for f in rt.fields}
    out: dict[str, Any] = {}
    for row in rows:
        parts = []
        for name, value in zip((label_col, detail_col), row[1:]):
            if name is None or value is None:
                continue
            fi = infos.get(name)
            if fi is not None and fi.sensitive:
                value = mask(value, fi.sensitive)
            elif fi is not None and fi.choices:
                value = fi.choice_label(value, lang)
            parts.append(str(value))
        text = f"{parts[0]}（{parts[1]}）" if len(parts) > 1 else (parts[0] if parts else rt.label(lang))
        if text in out:  # two rows that read the same: told apart by their order, not an internal id
            n = 2
            while f"{text}（{n}）" in out:
                n += 1
            text = f"{text}（{n}）"
        out[text] = row[0]
    return out


def choice_options(info: FieldInfo, lang: str = "zh") -> dict[str, Any]:
    """``{label: code}`` of a field with ``choices``, as its list shows them."""
    return {(zh if lang == "zh" else en): code for code, (zh, en) in info.choices.items()}


def yes_no_options(lang: str = "zh") -> dict[str, bool]:
    """``{是: True, 否: False}``: the labels of a yes/no field."""
    return {t("entry.yes", lang): True, t("entry.no", lang): False}


def read_typed(info: FieldInfo, text: Any, options: Optional[dict[str, Any]] = None) -> tuple[bool, Any]:
    """``(present, value)`` of what was typed into a field, for the write path: the one reader of
    the form's text boxes and the grid's cells. Blank is ``(False, None)``; a value that is not
    text (a list's choice) passes through; ``options`` (``{label: value}``, a list's entries)
    reads the text as one of its labels; numbers, amounts and dates are read by
    :mod:`shequ_sdk.values`. What cannot be read raises :class:`~shequ_sdk.values.ParseError`,
    whose message names the text as typed (it is never altered)."""
    v = text.strip() if isinstance(text, str) else text
    if v is None or v == "":
        return False, None
    if not isinstance(v, str):
        return True, v
    if options is not None:
        if v in options:
            return True, options[v]
        labels = [label for label in options if label]
        if len(labels) <= 8:
            raise ParseError(v, "应为下列之一：" + "、".join(labels), "expected one of: " + ", ".join(labels))
        raise ParseError(v, "不在下拉列表中，请从列表中选择", "not in the list: pick one from it")
    units = units_of(info.label_zh, info.name)
    if info.money:
        return True, parse_money_fen(v)
    if info.python_type is int:
        return True, parse_int(v, units=units)
    if info.python_type is float:
        return True, float(parse_number(v, units=units))
    if info.python_type is dt.date:
        return True, parse_date(v, serials=False)
    if info.python_type is dt.datetime:
        return True, parse_datetime(v)
    return True, v


def write_mode(rt: RecordTable, rows: list[dict]) -> str:
    """How the entry pages write ``rows``: by natural key (a record already on file is corrected)
    when the table has one or a row names its record, else as new records."""
    return "upsert" if rt.natural_key or any("id" in r for r in rows) else "insert"


def problems_with_unread(store: DataStore, rt: RecordTable, rows: list[dict], unread: dict[int, list[tuple[str, str]]]) -> list[Problem]:
    """Every problem of a batch in which some values could not be read (``unread``: by 1-based
    row, ``(field, message)``): those messages, then the field checks, row rules and cross-field
    rules on what did read — nothing is written. A rule's complaint about a field that could not
    be read is left out: the field's own message says it."""
    found = [Problem(text, text, row=k, field=name) for k, problems in unread.items() for name, text in problems]
    with store.sdk.transaction() as s:
        _, checked = validate_rows(s, rt, rows, mode=write_mode(rt, rows))
    for p in checked:
        if p.row in unread and p.field in {name for name, _ in unread[p.row]}:
            continue
        found.append(p)
    return found


def message_html(text: str, ok: bool) -> str:
    """A save's outcome as the entry pages show it: green when done, red when refused."""
    colour, kind = ("#1b5e20", "ok") if ok else ("#b00020", "error")
    return f'<div class="shequ-save-{kind}" role="status" style="color:{colour};font-weight:600">{html.escape(text)}</div>'


def summary_html(items: list[str], lang: str = "zh") -> str:
    """The list of a refused save's problems at the top of the page (``items``: ``<li>`` HTML);
    its count is the number of items."""
    n = len(items)
    return (f'<div class="shequ-problem-summary" data-count="{n}" role="alert" style="border-left:4px solid #c62828;'
            f'background:#fdecea;padding:6px 12px;margin:4px 0"><b class="shequ-problem-count">'
            f'{html.escape(t("entry.invalid", lang, n=n))}</b><ol style="margin:4px 0;padding-left:20px">{"".join(items)}</ol></div>')


# a field's share of a form's row: 240 px or more (and its margins), so one column on a phone and four or five on a laptop
FIELD_FLEX = {"flex": "1 1 240px", "min-width": "0", "max-width": "100%"}
# the same share for a field boxed with its message: the box has no margin, the widget inside keeps its 2 × 10 px
BOXED_FLEX = {**FIELD_FLEX, "flex": "1 1 260px"}


class FieldInput:
    """One column's widget and the error line under it."""

    def __init__(self, info: FieldInfo, *, form_id: str, lang: str = "zh", options: Optional[dict[str, Any]] = None,
                 default: Any = None):
        self.info = info
        self.lang = lang
        self.form_id = form_id
        self.default = default
        self.secret: Any = None  # a stored sensitive value, kept on the server
        self.fk_options = options
        self.widget = self._make_widget()
        self._error: Optional[pn.pane.HTML] = None
        self.messages: list[str] = []
        # the field in the form's grid: the widget alone until it has a message to show under it
        self.widget.styles = {**self.widget.styles, **FIELD_FLEX}
        self.panel = self.widget
        self.relocate: Optional[Callable[[Any, Any], None]] = None  # the form's: put a new box where the field is
        self.set(default)
        self._initial = self.raw()

    @property
    def error(self) -> pn.pane.HTML:
        """The message line under the widget, added on first use: most fields never need one, and
        a page draws faster without an empty pane (and a box) for each of its fields."""
        if self._error is None:
            self._error = pn.pane.HTML("", margin=(0, 10, 4, 10), css_classes=["shequ-field-error-pane"])
            self.widget.styles = {k: v for k, v in self.widget.styles.items() if k not in FIELD_FLEX}
            box = pn.Column(self.widget, self._error, margin=0, sizing_mode="stretch_width", css_classes=["shequ-field", f"shequ-field-{self.info.name}"],
                            styles=BOXED_FLEX)
            old, self.panel = self.panel, box
            if self.relocate is not None:
                self.relocate(old, box)
        return self._error

    # -- widget -----------------------------------------------------------------------------
    def _css(self) -> list[str]:
        return ["shequ-input", f"shequ-input-{self.form_id}-{self.info.name}"]

    def _make_widget(self):
        info, lang = self.info, self.lang
        label = field_label(info, lang)
        note = info.note_zh if lang == "zh" else info.note_en
        common: dict[str, Any] = {"label": label, "css_classes": self._css(), "sizing_mode": "stretch_width", "min_height": 40,
                                  "stylesheets": [TOUCH_CSS]}
        if note:
            common["description"] = note
        blank = t("entry.blank", lang)
        if self.fk_options is not None:
            return pn.widgets.Select(options={blank: None, **self.fk_options}, **common)
        if info.choices:
            # a required choice starts blank: the write path reports it if left so
            return pn.widgets.Select(options={blank: None, **choice_options(info, lang)}, **common)
        if info.money:
            return TypedText(placeholder=t("entry.money_hint", lang), **common)
        tp = info.python_type
        if tp is bool:
            if self.default is None and not info.required:
                return pn.widgets.Select(options={blank: None, **yes_no_options(lang)}, **common)
            # a Checkbox has no description (tooltip) parameter: its note goes into the label
            label_with_note = f"{common['label']}（{common['description']}）" if "description" in common else common["label"]
            return pn.widgets.Checkbox(**{**{k: v for k, v in common.items() if k != "description"}, "label": label_with_note})
        if tp in (int, float):
            units = units_of(info.label_zh, info.name)
            hint = t("entry.number_hint", lang) + (f"（{units[0]}）" if units and lang == "zh" else (f" ({units[0]})" if units else ""))
            return TypedText(placeholder=hint, **common)
        if tp is dt.date:
            return TypedText(placeholder=t("entry.date_hint", lang), **common)
        if tp is dt.datetime:
            return pn.widgets.DatetimePicker(value=None, **common)
        return pn.widgets.TextInput(**common)

    # -- values -----------------------------------------------------------------------------
    def raw(self):
        return self.widget.value

    def set(self, value) -> None:
        """Show a stored value (codes, fen, dates as the database holds them)."""
        info = self.info
        self.secret = None
        w = self.widget
        if info.sensitive and value not in (None, ""):
            # never send a stored sensitive value to the browser: show it masked, keep it here
            self.secret = value
            w.value = "" if isinstance(w, pn.widgets.TextInput) else None
            if hasattr(w, "placeholder"):
                w.placeholder = t("entry.keep_secret", self.lang, masked=mask(value, info.sensitive))
            return
        if info.sensitive and hasattr(w, "placeholder"):
            w.placeholder = ""
        if info.money:
            w.value = fen_to_yuan_text(value)
        elif isinstance(w, pn.widgets.Select):
            if value is not None and value not in w.options.values():
                # a stored value outside the listed choices (an old code, a row beyond the list) is
                # kept, so a correction never clears it silently
                w.options = {**w.options, t("entry.not_listed", self.lang): value}
            w.value = value
        elif isinstance(w, pn.widgets.Checkbox):
            w.value = bool(value)
        elif isinstance(w, pn.widgets.TextInput):
            if isinstance(value, dt.datetime) and info.python_type is dt.date:
                value = value.date()
            w.value = "" if value is None else (value.isoformat() if isinstance(value, dt.date) else str(value))
        elif isinstance(w, pn.widgets.DatetimePicker):
            w.value = value
        elif isinstance(w, pn.widgets.DatePicker):
            w.value = value.date() if isinstance(value, dt.datetime) else value
        else:
            w.value = value

    def changed(self) -> bool:
        return self.raw() != self._initial

    def value(self) -> tuple[bool, Any]:
        """``(present, value)`` for the write path; raises :class:`FieldValueError` for a bad amount."""
        present, value = read_typed(self.info, self.widget.value)  # a Select's choice passes through as chosen
        if not present and self.secret is not None:
            return True, self.secret
        return present, value

    def show(self, text: Optional[str]) -> None:
        """Add a message under the field (``None`` clears them): a field may have several
        problems at once (its own check and a rule across fields), and each is shown."""
        if not text:
            self.messages = []
            if self._error is not None:
                self._error.object = ""
            return
        if text in self.messages:
            return
        self.messages.append(text)
        self.error.object = "".join(
            f'<div class="shequ-field-error" data-form="{html.escape(self.form_id)}" data-field="{html.escape(self.info.name)}" '
            f'role="alert" style="color:#b00020;font-size:13px">{html.escape(m)}</div>' for m in self.messages)

    @property
    def disabled(self) -> bool:
        return self.widget.disabled

    @disabled.setter
    def disabled(self, value: bool) -> None:
        self.widget.disabled = value


class RecordForm(pn.viewable.Viewer):
    """A form for one row of a record table, generated from its field metadata.

    ``fixed`` values (the village, a board, a period…) are not shown and always written;
    ``defaults`` prefill a new record; ``match`` finds an existing record in the village to
    correct (its natural key is then read-only, since changing it would make another record).
    """

    store = param.ClassSelector(class_=DataStore, doc="""The entry session's store: the village (region) and quarter (period).""")

    table = param.String(doc="""Registered table key, such as finance_ledger_entry.""")

    fixed = param.Dict(default={}, doc="""Column values the form writes without showing them.""")

    defaults = param.Dict(default={}, doc="""Prefilled values of a new record.""")

    match = param.Dict(default=None, allow_None=True, doc="""Column values that find the existing record to correct.""")

    title = param.String(default="", doc="""Heading of the form.""")

    omit = param.List(default=[], item_type=str, doc="""
        Columns the form neither shows nor writes: another part of the page owns them (a
        workflow's status and signatures, for example). No input is built for them.""")

    form_id = param.String(default="", doc="""CSS name of the form; each input gets the class shequ-input-<form_id>-<field>.""")

    record_id = param.Integer(default=None, allow_None=True, doc="""The stored record being corrected (None: a new one).""")

    def __init__(self, **params):
        super().__init__(**params)
        self.rt: RecordTable = registry().table(self.table)
        self.form_id = self.form_id or self.table
        self.lang = self.store.lang
        region = self.store.region_obj
        self.fixed = {"region_id": region.id, **self.fixed}
        with Session(self.store.sdk.engine) as s:
            self.inputs: dict[str, FieldInput] = {}
            for info in self.rt.fields:
                if info.name in HIDDEN or info.name in self.fixed or info.name in self.omit:
                    continue
                default = self.defaults.get(info.name, model_default(self.rt, info.name))
                options = fk_options(s, info, region, self.lang) if info.foreign_key else None
                self.inputs[info.name] = FieldInput(info, form_id=self.form_id, lang=self.lang, options=options, default=default)
        self.general = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["shequ-form-errors"])
        self.status = pn.pane.HTML("", sizing_mode="stretch_width")
        self.version: Optional[int] = None  # the loaded record's audit version, sent back as _version
        # unsaved input is kept on the server as the user types (shequ_sdk.drafts) and offered back
        self._quiet = False  # True while the form itself fills its inputs
        self._restore_new = True  # a new record's draft comes back once, when the form first shows
        self.draft_note = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["shequ-draft-note"])
        self.draft_discard = pn.widgets.Button(label=t("entry.draft_discard", self.lang), color="light", css_classes=["shequ-draft-discard"],
                                               stylesheets=[BUTTON_CSS])
        self.draft_discard.on_click(lambda _e: self.discard_draft(reset=True))
        self.draft_bar = pn.FlexBox(self.draft_note, self.draft_discard, align_items="center", sizing_mode="stretch_width", visible=False,
                                    styles={"background": "#fff8e1", "border-left": "4px solid #f9a825", "padding": "2px 8px"})
        for fi in self.inputs.values():
            fi.widget.param.watch(lambda _e: self._autosave(), "value")
        if self.match is not None:
            self.load_match()

    # -- loading ---------------------------------------------------------------------------
    def load_match(self) -> None:
        tbl = self.rt.model.__table__
        conds = [tbl.c[k] == v for k, v in {**self.match, "region_id": self.fixed["region_id"]}.items()]
        with Session(self.store.sdk.engine) as s:
            row = s.execute(select(tbl).where(*conds).order_by(tbl.c.id)).mappings().first()
        if row is not None:
            self._show_record(dict(row))
        else:
            self.new()

    def load(self, record_id: int) -> None:
        """Fill the form with a stored record of this village, to correct it."""
        tbl = self.rt.model.__table__
        with Session(self.store.sdk.engine) as s:
            row = s.execute(select(tbl).where(tbl.c.id == int(record_id), tbl.c.region_id == self.fixed["region_id"])).mappings().first()
        if row is None:
            self.new()
            return
        self._show_record(dict(row))

    def _show_record(self, row: dict) -> None:
        self.record_id = row["id"]
        with Session(self.store.sdk.engine) as s:
            self.version = audit.version(s, self.rt.key, row["id"])
        self._quiet = True
        try:
            for name, fi in self.inputs.items():
                fi.set(row.get(name))
                fi.disabled = bool(self.store.readonly) or name in self.rt.natural_key
                fi._initial = fi.raw()
                fi.show(None)
        finally:
            self._quiet = False
        self.general.object = ""
        self.status.object = f'<span class="shequ-form-mode" style="color:#555">{html.escape(t("entry.editing", self.lang, what=self.describe()))}</span>'
        self.restore_draft()

    def describe(self) -> str:
        """The loaded record in words, by its natural key as shown (never its internal id)."""
        parts = []
        for name in self.rt.natural_key or ():
            fi = self.inputs.get(name)
            if fi is None:
                continue
            w = fi.widget
            value = w.value
            if isinstance(w, pn.widgets.Select):
                value = next((label for label, v in w.options.items() if v == value), value)
            if value not in (None, ""):
                parts.append(str(value))
        return " · ".join(parts) or self.rt.label(self.lang)

    def new(self) -> None:
        """Empty the form for a new record (defaults prefilled)."""
        self.record_id = None
        self.version = None
        self._quiet = True
        try:
            for name, fi in self.inputs.items():
                fi.set(self.defaults.get(name, model_default(self.rt, name)))
                fi.disabled = bool(self.store.readonly)  # a locked quarter stays read-only
                fi._initial = fi.raw()
                fi.show(None)
        finally:
            self._quiet = False
        self.general.object = ""
        self.status.object = f'<span class="shequ-form-mode" style="color:#555">{html.escape(t("entry.creating", self.lang))}</span>'
        if self._restore_new:
            self._restore_new = False
            self.restore_draft()
        else:
            self.draft_bar.visible = False

    # -- drafts: unsaved input kept on the server ---------------------------------------------
    def draft_key(self) -> str:
        """The form's draft name: table, quarter, form and record (or the new record, or the record
        its ``match`` finds); the village and the user are columns of their own."""
        target = (str(self.record_id) if self.record_id is not None
                  else ",".join(f"{k}={v}" for k, v in sorted((self.match or {}).items())) or "new")
        return f"{self.rt.key}|{self.store.period}|{self.form_id}|{target}"

    def _user(self):
        return getattr(self.store.sdk, "user", None)

    def draft_values(self) -> dict:
        """What the user changed, as entered: the text of a box, the choice of a list. Sensitive
        fields (ID and phone numbers) are left out: they are never kept in a draft."""
        out = {}
        for name, fi in self.inputs.items():
            if fi.info.sensitive or not fi.changed():
                continue
            value = fi.raw()
            if value is None or isinstance(value, (str, int, float, bool)):
                out[name] = value
        return out

    def _autosave(self) -> None:
        if self._quiet or self.store.readonly:
            return
        values = self.draft_values()
        try:
            with self.store.sdk.transaction() as s:
                if values:
                    drafts.save(s, self._user(), self.draft_key(), self.fixed["region_id"], values)
                else:
                    drafts.discard(s, self._user(), self.draft_key())
        except Exception:  # keeping a draft must never stop the typing; the save reports real problems
            log.warning("draft of %s not kept", self.draft_key(), exc_info=True)

    def restore_draft(self) -> bool:
        """Put the user's unsaved input for this form back, with a note saying when it was typed
        and a button to discard it. False when there is none (or the quarter is locked)."""
        self.draft_bar.visible = False
        if self.store.readonly:
            return False
        try:
            with Session(self.store.sdk.engine) as s:
                found = drafts.load(s, self._user(), self.draft_key(), self.fixed["region_id"])
        except PermissionDenied:  # a village outside the user's scope has no draft of theirs to show
            found = None
        if found is None:
            return False
        restored = 0
        self._quiet = True
        try:
            for name, value in found.values.items():
                fi = self.inputs.get(name)
                if fi is None or fi.disabled or fi.info.sensitive:
                    continue
                w = fi.widget
                if isinstance(w, pn.widgets.Select) and value not in w.options.values():
                    continue  # a choice no longer offered (a household removed since): typed again
                try:
                    w.value = value
                except Exception:  # a value the widget no longer takes: left as stored
                    continue
                restored += 1
        finally:
            self._quiet = False
        if restored:
            self.draft_note.object = restored_note("entry.draft_restored", self.lang, found.saved_at, restored)
            self.draft_bar.visible = True
        return bool(restored)

    def discard_draft(self, reset: bool = False) -> None:
        """Forget the user's draft of this form; with ``reset``, show the form as it was before."""
        with self.store.sdk.transaction() as s:
            drafts.discard(s, self._user(), self.draft_key())
        self.draft_bar.visible = False
        if reset:
            self._quiet = True
            try:
                for fi in self.inputs.values():
                    if fi.changed():
                        fi.widget.value = fi._initial
                    fi.show(None)
            finally:
                self._quiet = False

    def reload(self) -> None:
        """Show the stored values again (重新加载, after a conflict): the user's unsaved input for
        this record is what they chose to drop, so its draft goes too."""
        if not self.store.readonly:
            self.discard_draft()
        if self.record_id is not None:
            self.load(self.record_id)
        elif self.match is not None:
            self.load_match()

    # -- collecting -------------------------------------------------------------------------
    def touched(self) -> bool:
        """Whether the user entered anything (a new record left as prefilled is skipped)."""
        return self.record_id is not None or any(fi.changed() for fi in self.inputs.values())

    def collect(self) -> tuple[Optional[dict], list[tuple[str, str]]]:
        """``(row, problems)``: the row for the write path, or the fields the form itself cannot read."""
        row = dict(self.fixed)
        if self.record_id is not None:  # a correction: saved only if nobody saved the record since it was loaded
            row.update(id=self.record_id, _version=self.version or 0)
        problems = []
        for name, fi in self.inputs.items():
            try:
                present, value = fi.value()
            except FieldValueError as exc:
                problems.append((name, exc.zh if self.lang == "zh" else exc.en))
                continue
            if present:
                row[name] = value
        return row, problems

    def clear_problems(self) -> None:
        for fi in self.inputs.values():
            fi.show(None)
        self.general.object = ""
        self._general: list[str] = []

    def show_problem(self, p: Problem) -> Optional[tuple[Optional[str], str]]:
        """Show ``p`` under its field (or under the form when it names none of the inputs);
        ``(field, text)`` as shown, or ``None`` when the same message is shown there already."""
        fi = self.inputs.get(p.field or "")
        if fi is not None:
            text = problem_text(p, fi.info, self.lang)
            if text in fi.messages:
                return None
            fi.show(text)
            return p.field, text
        text = p.message_zh if self.lang == "zh" else p.message_en
        where = f"{p.field}：" if p.field and self.lang == "zh" else (f"{p.field}: " if p.field else "")
        general = getattr(self, "_general", [])
        if where + text in general:
            return None
        self._general = [*general, where + text]
        self.general.object += (f'<div class="shequ-form-error" role="alert" style="color:#b00020">{html.escape(where + text)}</div>')
        return None, where + text

    def __panel__(self):
        head = pn.pane.HTML(f'<h4 style="margin:4px 0;font-size:20px;font-weight:500">{html.escape(self.title)}</h4>') if self.title else None
        # one column on a phone, four or five side by side on a laptop (FIELD_FLEX)
        grid = pn.FlexBox(*[fi.panel for fi in self.inputs.values()], flex_wrap="wrap", sizing_mode="stretch_width")

        def relocate(old, new):  # a field that gets its first message moves into a box with it
            grid.objects = [new if o is old else o for o in grid.objects]

        for fi in self.inputs.values():
            fi.relocate = relocate
        parts = [p for p in (head, self.status, when_visible(self.draft_bar), grid, self.general) if p is not None]
        return pn.Column(*parts, sizing_mode="stretch_width", css_classes=["shequ-record-form", f"shequ-form-{self.form_id}"],
                         styles={"border-bottom": "1px solid #eee"})


class BatchForm(pn.viewable.Viewer):
    """Several :class:`RecordForm` of one table saved together: one call of the write path, in
    one transaction — every row is written, or (when any field of any row is wrong) none."""

    store = param.ClassSelector(class_=DataStore)

    forms = param.List(default=[], item_type=RecordForm, doc="""The forms; all of one table.""")

    title = param.String(default="")

    css_name = param.String(default="batch", doc="""CSS name: the save button gets class shequ-save-<css_name>.""")

    def __init__(self, **params):
        super().__init__(**params)
        tables = {f.table for f in self.forms}
        if len(tables) > 1:
            raise ValueError(f"a BatchForm holds forms of one table, got {sorted(tables)}")
        self.lang = self.store.lang
        self.on_saved: list[Callable[[int], None]] = []
        self.button = pn.widgets.Button(label=t("entry.save", self.lang), color="primary", css_classes=["shequ-save", f"shequ-save-{self.css_name}"],
                                        min_height=40, min_width=96, stylesheets=[BUTTON_CSS])
        self.button.on_click(lambda _e: self.save())
        self.message = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["shequ-save-message"])
        self.summary = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["shequ-problems"])
        self.store.forms.append(self)
        if self.store.readonly:
            self.lock(self.store.readonly)
        for form in self.forms:  # Enter in a text field saves, as in any form
            for fi in form.inputs.values():
                if isinstance(fi.widget, pn.widgets.TextInput):
                    fi.widget.param.watch(lambda _e: self.save(), "enter_pressed")

    def _say(self, text: str, ok: bool) -> None:
        self.message.object = message_html(text, ok)

    def save(self) -> int:
        """Validate and write; returns the number of rows written (0 when refused).

        One save names every problem at once: what the form cannot read (shown back as typed),
        the field checks, and the row and cross-field rules on the fields that did read."""
        if self.disabled:
            return 0
        rows, owners, unread = [], [], {}
        self.summary.object = ""
        for form in self.forms:
            form.clear_problems()
            if not form.touched():
                continue
            row, problems = form.collect()
            rows.append(row)
            owners.append(form)
            if problems:
                unread[len(owners)] = problems  # 1-based, as the write path numbers rows
        if not rows:
            self._say(t("entry.nothing", self.lang), False)
            return 0
        rt = self.forms[0].rt
        mode = write_mode(rt, rows)
        actor = getattr(self.store.sdk, "user", None)
        if unread:  # nothing is written: the rest of the rows is checked, to report it all now
            self._report([(self._owner(owners, p), p) for p in problems_with_unread(self.store, rt, rows, unread)])
            return 0
        try:
            with self.store.sdk.transaction() as s:
                write(session=s, table=rt.key, rows=rows, mode=mode, actor=actor)
        except ConflictError as exc:
            owner = next((f for f in owners if f.record_id == exc.record_id), owners[0])
            owner.show_problem(Problem(exc.zh, exc.en))
            self._say(exc.zh if self.lang == "zh" else exc.en, False)
            return 0
        except BatchError as exc:
            self._report([(self._owner(owners, p), p) for p in exc.problems])
            return 0
        except Exception as exc:  # a database constraint the rules did not foresee: nothing was written
            self._report([(owners[0], Problem(f"保存失败：{exc}", f"saving failed: {exc}"))])
            return 0
        for form in owners:  # saved: the draft has served (reload drops it too)
            if form.record_id is None and form.match is None:
                form.discard_draft()
                form.new()
            else:
                form.reload()
        self.store.refresh()
        self._say(t("entry.saved", self.lang, n=len(rows), table=rt.label(self.lang)), True)
        for callback in self.on_saved:
            callback(len(rows))
        return len(rows)

    @staticmethod
    def _owner(owners: list, p: Problem):
        return owners[p.row - 1] if p.row and 1 <= p.row <= len(owners) else owners[0]

    def _report(self, found: list) -> int:
        """Show every problem next to its field and in the list at the top, which links to each;
        the count is the number of messages shown."""
        order = {id(f): (i, list(f.inputs)) for i, f in enumerate(self.forms)}

        def position(item):  # the order of the page: form by form, field by field, the rest last
            form, p = item
            i, names = order.get(id(form), (len(self.forms), []))
            return (i, names.index(p.field) if p.field in names else len(names))

        shown = []
        for form, p in sorted(found, key=position):
            where = form.show_problem(p)
            if where is not None:
                shown.append((form, *where))
        many = len(self.forms) > 1
        items = []
        for form, name, text in shown:
            fi = form.inputs.get(name or "")
            label = (f"{form.title} · " if many and form.title else "") + (field_label(fi.info, self.lang).rstrip(" *") if fi else "")
            line = f"{label}：{text}" if label and self.lang == "zh" else (f"{label}: {text}" if label else text)
            items.append(f"<li>{jump_link(form.form_id, name, line) if fi else html.escape(line)}</li>")
        self.summary.object = summary_html(items, self.lang)
        self._say(t("entry.invalid", self.lang, n=len(items)), False)
        return len(items)

    def dirty(self) -> bool:
        """Whether any field holds input that is not saved."""
        return not self.button.disabled and any(fi.changed() for form in self.forms for fi in form.inputs.values())

    @property
    def disabled(self) -> bool:
        return self.button.disabled

    def lock(self, note: str) -> None:
        """Read-only: the quarter is locked. Inputs and the save button are disabled, the note says why."""
        self.button.disabled = True
        for form in self.forms:
            for fi in form.inputs.values():
                fi.disabled = True
        self.message.object = f'<div class="shequ-readonly" style="color:#bf360c">{html.escape(note)}</div>'

    def footer(self) -> list:
        """What is shown under the save button (nothing; a subclass adds its own, such as a
        workflow's buttons)."""
        return []

    def __panel__(self):
        from .views import filled_after_load

        head = pn.pane.HTML(f'<h3 style="margin:4px 0;font-size:24px;font-weight:500">{html.escape(self.title)}</h3>') if self.title else None

        def rest():
            return pn.Column(*self.forms[1:], pn.FlexBox(self.button, self.message, align_items="center", sizing_mode="stretch_width"),
                             *self.footer(), sizing_mode="stretch_width", margin=0)

        # the first form is on the page at once; the others, the save button and the footer
        # follow once the browser has drawn it (at once in a notebook): a clerk starts typing
        # while the rest of a long page arrives (docs/performance.md, the entry app's figures)
        parts = [p for p in (head, self.summary, *self.forms[:1]) if p is not None]
        return pn.Column(*parts, filled_after_load(rest, first=True), sizing_mode="stretch_width",
                         css_classes=["shequ-batch-form", f"shequ-batch-{self.css_name}"])


class TableEntry(pn.viewable.Viewer):
    """Enter or correct the records of one table for the village and quarter: the generated
    form, its save button, and the records already on file (click one to correct it). The
    toggle 逐条录入 / 表格录入 (``mode``) switches to a grid of many new rows
    (:class:`~shequ_sdk.ui.grid.GridEntry`), built when first shown."""

    store = param.ClassSelector(class_=DataStore)

    table = param.String()

    max_rows = param.Integer(default=200, doc="""Records listed at most.""")

    mode = param.Selector(default="form", objects=["form", "grid"], doc="""逐条录入 (form) or 表格录入 (grid).""")

    def __init__(self, **params):
        super().__init__(**params)
        self.rt = registry().table(self.table)
        self.lang = self.store.lang
        self.form = RecordForm(store=self.store, table=self.table, defaults=self.period_defaults(), form_id=self.table)
        self.form.new()
        self.batch = BatchForm(store=self.store, forms=[self.form], css_name=self.table)
        self.batch.on_saved.append(lambda _n: self._refresh_list())
        self.new_button = pn.widgets.Button(label=t("entry.new", self.lang), color="light", css_classes=["shequ-new"], stylesheets=[BUTTON_CSS])
        self.new_button.on_click(lambda _e: self.form.new())
        self.list_holder = pn.Column(sizing_mode="stretch_width")
        self._refresh_list()
        self.grid = None  # the GridEntry, once the grid is first shown
        self.mode_switch = pn.widgets.RadioButtonGroup(options={t("entry.mode_form", self.lang): "form", t("entry.mode_grid", self.lang): "grid"},
                                                       value=self.mode, color="primary", variant="outline", css_classes=["shequ-entry-mode"],
                                                       stylesheets=[BUTTON_CSS])
        self.mode_switch.link(self, value="mode")
        self.mode_holder = pn.Column(sizing_mode="stretch_width")
        self.param.watch(lambda _e: self._show_mode(), "mode")
        self._show_mode()

    def _show_mode(self) -> None:
        if self.mode_switch.value != self.mode:
            self.mode_switch.value = self.mode
        if self.mode == "grid":
            if self.grid is None:
                from .grid import GridEntry

                self.grid = GridEntry(store=self.store, table=self.table, defaults=self.period_defaults())
                self.grid.on_saved.append(lambda _n: self._refresh_list())
            self.mode_holder.objects = [self.grid]
        else:
            self.mode_holder.objects = [pn.Row(self.new_button), self.batch]

    def period_defaults(self) -> dict:
        """A new record's period column: the chosen quarter, or its year for yearly tables."""
        rt = self.rt
        if not rt.period_field:
            return {}
        p = self.store.period_obj
        if rt.period_kind == "year":
            info = rt.field(rt.period_field)
            return {rt.period_field: p.year if info.python_type is int else str(p.year)}
        if rt.period_kind == "quarter":
            return {rt.period_field: str(p) if p.kind == "quarter" else None}
        return {}

    def records(self):
        """The village's records of the period, newest first (by date, then as entered)."""
        s = self.store
        period = s.table_period(self.rt)
        df = s.sdk.frame(self.table, region=s.region, period=period, lang=self.lang)
        keys = [c for c in (self.rt.date_field, self.rt.period_field) if c and c in df.columns] + ["id"]
        return df.sort_values(keys, ascending=False, kind="stable").head(self.max_rows)

    def shown_records(self, df):
        """What the list shows: names, not internal ids (a household as its number and masked head,
        an association by name), money in 元, dates as dates; the id stays hidden for the click."""
        import pandas as pd

        labels = dict(df.attrs.get("labels", {}))
        shown = df[[c for c in df.columns if c not in ("region_id", "synthetic")]].copy()
        for name, fi in self.form.inputs.items():
            if name not in shown.columns:
                continue
            if fi.info.money:
                shown[name] = shown[name].map(lambda v: fen_to_yuan_text(v) if pd.notna(v) else None)
                labels[name] = field_label(fi.info, self.lang).removesuffix(" *")
            elif fi.fk_options is not None:
                names = {v: k for k, v in fi.fk_options.items()}
                other = t("entry.not_listed", self.lang)
                shown[name] = shown[name].map(lambda v: names.get(int(v), other) if pd.notna(v) else None)
        for c in shown.columns:
            if str(shown[c].dtype).startswith("datetime"):
                shown[c] = shown[c].dt.strftime("%Y-%m-%d")
            elif str(shown[c].dtype) in ("category", "Int64", "boolean"):
                shown[c] = shown[c].astype(object)
        return shown.where(shown.notna(), None), labels

    def _refresh_list(self) -> None:
        df = self.records()
        key = "entry.existing" if (self.rt.date_field or self.rt.period_field) else "entry.existing_all"
        more = t("entry.too_many", self.lang, n=self.max_rows) if len(df) >= self.max_rows else ""
        head = pn.pane.HTML(f'<h4 style="margin:8px 0 2px 0;font-size:18px;font-weight:500">{html.escape(t(key, self.lang))}（{len(df)}）{html.escape(more)}</h4>')
        if df.empty:
            self.list_holder.objects = [head]
            return
        shown, labels = self.shown_records(df)
        table = data_grid(shown, show_index=False, disabled=True, titles=labels, sizing_mode="stretch_width",
                          layout="fit_data_table", height=min(400, 40 + 32 * len(shown)), selectable=False,
                          hidden_columns=["id"], css_classes=["shequ-existing"])
        table.on_click(lambda e: self.form.load(int(table.value.iloc[e.row]["id"])))
        self.list_holder.objects = [head, table]

    def __panel__(self):
        return pn.Column(self.mode_switch, self.mode_holder, self.list_holder, sizing_mode="stretch_width")
