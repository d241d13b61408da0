"""Importing a filled-in spreadsheet: the whole file is checked, then written in one transaction.

For each sheet: find the header row (a title row above it is fine), map headers to fields
(spacing and full/half width do not matter), read the fill-in region and period above the
header, parse every cell tolerantly (see :mod:`.cells`), resolve regions and foreign keys,
refuse duplicate natural keys and future dates, then hand the rows to ``records.write`` (upsert
for rows whose natural key is stored, insert for the rest), which validates them against the
field metadata and every registered rule. Any problem anywhere — in any cell, sheet or rule — means nothing is written;
the report names sheet, row (the spreadsheet's own row number), column, value and reason.

Merging with stored rows: a column missing from the file keeps the stored value; an empty
cell clears an optional value (a required one is reported).
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import zip_longest
from operator import itemgetter
from pathlib import Path
from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from ..errors import BatchError, InputError, PermissionDenied, Problem
from ..ids import id_number_problem, looks_masked, mask, phone_problem
from ..models import Region
from ..period import Period
from ..plugins import registry
from ..records import find_existing, keep_masked, validate_rows, write
from ..regions import find_region
from ..registry import RecordTable
from ..values import units_of
from .cells import (CellError, check_not_error, clean_text, header_key, is_blank, parse_bool, parse_choice, parse_date, parse_datetime,
                    parse_decimal, parse_float, parse_id_number, parse_int, parse_money_fen, parse_period)
from .columns import IGNORED_HEADERS, REGION_ALIASES, Column, TableColumns, table_columns
from .display import CENT, chain_display, iter_chunks, parse_period_or_none, period_value, resolve_table_name
from .reading import Book, FileRefused, Sheet, column_name, read_book

DEFAULT_MAX_YUAN = 100_000_000  # 1亿元 for one row: far above any village account (the seed has 2000万元 of loans); env SHEQU_IMPORT_MAX_YUAN
HEADER_SCAN_ROWS = 30
MAX_REPORTED = 500  # problems listed in a report; a file with more is refused all the same
PERIOD_FILLIN = ("期间", "时期", "报告期", "所属期间", "填报期间", "period")
_REGION_KEYS = {header_key(a) for a in REGION_ALIASES}
_PERIOD_KEYS = {header_key(a) for a in PERIOD_FILLIN}
_IGNORED_KEYS = {header_key(a) for a in IGNORED_HEADERS}


def max_yuan_default() -> Decimal:
    raw = os.environ.get("SHEQU_IMPORT_MAX_YUAN")
    try:
        return Decimal(raw) if raw else Decimal(DEFAULT_MAX_YUAN)
    except Exception:
        raise InputError(f"SHEQU_IMPORT_MAX_YUAN 应为数字，收到 {raw!r}", f"SHEQU_IMPORT_MAX_YUAN must be a number, got {raw!r}") from None


def column_letter(index: int) -> str:
    return column_name(index)


# -- results ---------------------------------------------------------------------------------------

@dataclass
class RowPlan:
    """What the import does with one row: ``new``, ``changed`` (with the changes) or ``unchanged``."""

    sheet: str
    row: int
    table: str
    action: str
    key: str
    changes: list[tuple[str, Any, Any]] = field(default_factory=list)
    masked: list[str] = field(default_factory=list)  # columns whose masked cell kept the stored value

    def text(self) -> str:
        verb = {"new": "新增", "changed": "修改", "unchanged": "不变"}[self.action]
        line = f"{verb} 工作表「{self.sheet}」第 {self.row} 行 {self.key}"
        if self.changes:
            line += "：" + "；".join(f"{label} {_show(old)} → {_show(new)}" for label, old, new in self.changes)
        if self.masked:
            line += f"（打码值保持原值：{'、'.join(self.masked)}）"
        return line


def _show(v: Any) -> str:
    return "（空）" if v is None or v == "" else str(v)


@dataclass
class SheetSummary:
    sheet: str
    table: str
    table_label: str
    rows: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0


@dataclass
class ImportResult:
    """Outcome of :func:`import_file`. ``ok`` is false when any problem was found (nothing written)."""

    path: Path
    kind: Optional[str] = None
    encoding: Optional[str] = None
    dry_run: bool = False
    written: bool = False
    problems: list[Problem] = field(default_factory=list)
    sheets: list[SheetSummary] = field(default_factory=list)
    plan: list[RowPlan] = field(default_factory=list)
    truncated: bool = False
    book: Optional[Book] = field(default=None, repr=False)
    skipped_sheets: list[str] = field(default_factory=list)  # sheets without the --table's header (cover sheets)
    totals: list[dict] = field(default_factory=list)  # 合计/小计/总计 rows checked and not imported
    hidden: list[dict] = field(default_factory=list)  # hidden rows/columns skipped or included on request
    masked_kept: dict[str, int] = field(default_factory=dict)  # column header -> masked cells that kept the stored value

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def new(self) -> int:
        return sum(s.new for s in self.sheets)

    @property
    def changed(self) -> int:
        return sum(s.changed for s in self.sheets)

    @property
    def unchanged(self) -> int:
        return sum(s.unchanged for s in self.sheets)

    def summary(self) -> str:
        """One line, Chinese / English."""
        name = self.path.name
        if self.problems:
            more = "（问题过多，只列出前面部分）" if self.truncated else ""
            return (f"{name}：发现 {len(self.problems)} 个问题{more}，未写入任何数据 / "
                    f"{name}: {len(self.problems)} problem(s) found; nothing was written")
        counts = f"新增 {self.new} 行，修改 {self.changed} 行，不变 {self.unchanged} 行"
        counts_en = f"{self.new} new, {self.changed} changed, {self.unchanged} unchanged"
        if self.masked_kept:
            n = sum(self.masked_kept.values())
            which = "、".join(f"{k} {v}" for k, v in self.masked_kept.items())
            counts += f"；{n} 个打码值视为不变，保持已登记的值（{which}）"
            counts_en += f"; {n} masked values kept as stored ({', '.join(f'{k} {v}' for k, v in self.masked_kept.items())})"
        if self.dry_run:
            return f"{name}：试运行（未写入）将{counts} / {name}: dry run (nothing written) would give {counts_en}"
        return f"{name}：已导入，{counts} / {name}: imported, {counts_en}"

    def report_lines(self) -> list[str]:
        return [problem_line(p) for p in self.problems]

    def notes(self) -> list[str]:
        """What was left out or checked on the way (Chinese / English): cover sheets skipped,
        total rows checked and not imported, hidden rows or columns skipped or included."""
        out = []
        for name in self.skipped_sheets:
            out.append(f"已跳过工作表「{name}」（没有该数据表的表头）/ sheet {name!r} skipped (no header of the table)")
        for t in self.totals:
            cols = "、".join(t["columns"]) or "无数值"
            out.append(f"工作表「{t['sheet']}」第 {t['row']} 行是{t['kind']}行：已核对（{cols}），不导入 / "
                       f"sheet {t['sheet']!r} row {t['row']} is a total row: checked ({len(t['columns'])} column(s)), not imported")
        for h in self.hidden:
            what_zh = f"隐藏的第 {_number_list(h['rows'])} 行" if "rows" in h else f"隐藏的 {'、'.join(h['columns'])} 列"
            what_en = f"hidden row(s) {_number_list(h['rows'])}" if "rows" in h else f"hidden column(s) {', '.join(h['columns'])}"
            act_zh, act_en = ("已跳过", "skipped") if h["action"] == "skip" else ("已照常导入", "included")
            out.append(f"工作表「{h['sheet']}」{what_zh}{act_zh} / sheet {h['sheet']!r}: {what_en} {act_en}")
        return out

    def raise_for_problems(self) -> None:
        if self.problems:
            raise BatchError(self.problems)


def problem_line(p: Problem, *, web: bool = False) -> str:
    """One report line: sheet, row, column (header label), value, reason — Chinese, then English.
    A command-line hint (``--hidden-rows skip`` …) is left out for the web (``web=True``), whose
    page offers the same choice itself."""
    parts = []
    if p.sheet:
        parts.append(f"工作表「{p.sheet}」")
    if p.row is not None:
        parts.append(f"第 {p.row} 行")
    column = p.extra.get("column")
    if column:
        letter = p.extra.get("letter")
        parts.append(f"列「{column}」" + (f"（{letter}列）" if letter else ""))
    if p.value is not None and p.value != "":
        parts.append(f"值「{p.value}」")
    where = "，".join(parts)
    zh, en = p.message_zh, p.message_en
    hint = p.extra.get("hint") or p.hint
    if hint and not web:
        zh, en = zh + hint[0], en + hint[1]
    return f"{where}：{zh} / {en}" if where else f"{zh} / {en}"


# -- the import ----------------------------------------------------------------------------------------

@dataclass
class ImportOptions:
    table: Optional[str] = None
    region: Optional[str] = None
    period: Optional[str] = None
    dry_run: bool = False
    today: Optional[dt.date] = None
    max_bytes: Optional[int] = None
    max_yuan: Optional[Decimal] = None
    append: bool = False
    actor: Any = None  # who imports (shequ_sdk.auth.Actor): the write path checks every row against their scope
    hidden_rows: str = "refuse"  # refuse, skip or include rows hidden in the spreadsheet
    hidden_columns: str = "refuse"  # the same for hidden columns
    deadline: Optional[float] = None  # time.monotonic() after which the import gives up (nothing written)
    time_limit: Optional[float] = None


class TimedOut(Exception):
    """The import ran past its time limit (``import_file(time_limit=…)``)."""


HIDDEN_CHOICES = ("refuse", "skip", "include")


def import_file(sdk, path: str | os.PathLike, *, table: Optional[str] = None, region: Optional[str] = None,
                period: Optional[str] = None, dry_run: bool = False, today: Optional[dt.date] = None,
                max_bytes: Optional[int] = None, max_yuan=None, append: bool = False,
                report_xlsx: Optional[str | os.PathLike] = None, hidden_rows: str = "refuse",
                hidden_columns: str = "refuse", time_limit: Optional[float] = None) -> ImportResult:
    """Import ``path`` (.xlsx or CSV) into ``sdk`` (a :class:`shequ_sdk.api.Shequ`).

    - ``table``: the table key or Chinese label (else: the template's metadata, else detected
      from the headers); ``region`` / ``period``: defaults for rows and files without them.
    - ``dry_run``: do everything, report new / changed / unchanged rows, then roll back.
    - ``append``: allow importing into a table without a natural key (rows are always added).
    - ``report_xlsx``: write a copy of the file with every problem cell filled red and commented.
    - ``hidden_rows`` / ``hidden_columns``: what to do with rows / columns hidden in the
      spreadsheet that hold data: ``"refuse"`` (the default: the file is refused, naming them),
      ``"skip"`` (left out) or ``"include"`` (imported like visible ones).
    - ``time_limit``: seconds after which the import stops, reports it and writes nothing
      (checked between the steps: reading, each sheet, before the commit). The entry app sets it.

    Nothing is written unless the whole file is valid. Returns an :class:`ImportResult`.
    """
    for name, value in (("hidden_rows", hidden_rows), ("hidden_columns", hidden_columns)):
        if value not in HIDDEN_CHOICES:
            raise InputError(f"{name} 只能是 refuse、skip 或 include，收到 {value!r}", f"{name} must be refuse, skip or include, got {value!r}")
    opts = ImportOptions(table=table, region=region, period=period, dry_run=dry_run, today=today or dt.date.today(),
                         max_bytes=max_bytes, max_yuan=Decimal(str(max_yuan)) if max_yuan is not None else max_yuan_default(),
                         append=append, actor=getattr(sdk, "user", None), hidden_rows=hidden_rows, hidden_columns=hidden_columns,
                         time_limit=time_limit, deadline=None if time_limit is None else time.monotonic() + time_limit)
    result = ImportResult(path=Path(path), dry_run=dry_run)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # a large sheet is millions of small, acyclic objects: collections only slow it down
    try:
        _import(sdk, path, opts, result)
    finally:
        if gc_was_enabled:
            gc.enable()
    if report_xlsx is not None:
        from .report import write_annotated

        write_annotated(result.book, result, report_xlsx, source=Path(path))
    result.book = None  # the cells are not needed any more
    return result


def _check_time(opts: ImportOptions) -> None:
    if opts.deadline is not None and time.monotonic() > opts.deadline:
        raise TimedOut()


def _import(sdk, path, opts: ImportOptions, result: ImportResult) -> None:
    book: Optional[Book] = None
    try:
        book = read_book(path, max_bytes=opts.max_bytes)
        result.book = book
        result.kind, result.encoding = book.kind, book.encoding
    except FileRefused as exc:
        result.problems.append(Problem(exc.zh, exc.en, extra={"hint": exc.hint} if exc.hint else {}))
    if book is not None:
        session = Session(sdk.engine, expire_on_commit=False)
        try:
            live = getattr(sdk, "_live", None)  # a signed-in user's session must still be live (where the SDK has sessions)
            if live is not None:
                live(session)
            try:
                _check_time(opts)
                _run(session, book, opts, result)
                _check_time(opts)
            except TimedOut:
                session.rollback()
                result.problems.append(Problem(f"检查超时：超过 {opts.time_limit:g} 秒仍未完成，未写入任何数据；请把文件拆成几份再导入",
                                               f"the check ran past its time limit of {opts.time_limit:g} s; nothing was written: split the file"))
                return
            if result.ok and not opts.dry_run:
                session.commit()
                result.written = True
            else:
                session.rollback()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


def _run(session: Session, book: Book, opts: ImportOptions, result: ImportResult) -> None:
    meta = book.meta
    forced = resolve_table_name(opts.table) if opts.table else None
    meta_table = None
    if forced is None and meta.get("table"):
        reg = registry()
        if meta["table"] not in reg.tables:
            result.problems.append(Problem(f"模板所属的数据表 {meta['table']!r} 未安装（插件缺失？）",
                                           f"the template's table {meta['table']!r} is not installed (missing plugin?)"))
            return
        meta_table = reg.tables[meta["table"]]
    sheets = book.sheets
    if meta.get("sheet") and any(s.name == meta["sheet"] for s in sheets):
        sheets = [s for s in sheets if s.name == meta["sheet"]]
    sheets = [s for s in sheets if any(any(not is_blank(v) for v in r) for r in s.rows)]
    if not sheets:
        result.problems.append(Problem("文件中没有任何数据", "the file holds no data"))
        return
    if forced is not None and len(sheets) > 1:
        # --table given: sheets without that table's header (a cover sheet, notes) are skipped
        matching = [s for s in sheets if best_header(s, [forced]) is not None]
        if matching:
            result.skipped_sheets = [s.name for s in sheets if s not in matching]
            sheets = matching
    default_region = opts.region
    default_period = parse_period_or_none(opts.period)
    seen_keys: dict[tuple, tuple[str, int]] = {}
    any_rows = False
    for sheet in sheets:
        job = SheetJob(session, sheet, forced or meta_table, opts, meta, default_region, default_period, seen_keys, result)
        job.run()
        _check_time(opts)
        any_rows = any_rows or job.row_count > 0
        if len(result.problems) >= MAX_REPORTED:
            result.truncated = True
            break
    if result.ok and not any_rows:
        result.problems.append(Problem("文件中没有数据行（只有表头）", "the file has headers but no data rows"))


def best_header(sheet: Sheet, candidates: list[RecordTable], with_scores: bool = False):
    """The header row among the first rows, and the table it belongs to: the ``(score, row index,
    TableColumns)`` whose column names match best (matched minus unrecognised cells, then
    matched), or ``None`` when no row names at least two of a table's columns."""
    best = None  # (score, row index, TableColumns)
    scored: list[tuple[tuple, int, TableColumns]] = []
    for rt in candidates:
        tc = table_columns(rt)
        for i, row in enumerate(sheet.rows[:HEADER_SCAN_ROWS]):
            cells = [c for c in row if not is_blank(c)]
            if len(cells) < 2 and len(tc.columns) > 1:
                continue
            if len(cells) > len(tc.columns) * 4 + 50:
                cells = cells[: len(tc.columns) * 4 + 50]  # a very wide row cannot score better
            found = [tc.match(c)[0] if isinstance(c, str) else None for c in cells]
            matched = {col.name for col in found if col is not None}
            if not matched:
                continue
            unmatched = sum(1 for c, col in zip(cells, found) if col is None and header_key(c) not in _IGNORED_KEYS)
            score = (len(matched) - unmatched, len(matched))
            scored.append((score, i, tc))
            if best is None or score > best[0]:
                best = (score, i, tc)
    if best is None or best[0][1] < min(2, len(best[2].columns)):
        best = None
    return (best, scored) if with_scores else best


class SheetJob:
    """Import one sheet: header, fill-ins, cells, lookups, duplicates, then write (or validate)."""

    def __init__(self, session, sheet: Sheet, table: Optional[RecordTable], opts: ImportOptions, meta: dict,
                 default_region, default_period: Optional[Period], seen_keys: dict, result: ImportResult):
        self.session = session
        self.sheet = sheet
        self.table = table
        self.opts = opts
        self.meta = meta
        self.default_region = default_region
        self.default_period = default_period
        self.seen_keys = seen_keys
        self.result = result
        self.problems: list[Problem] = []
        self.row_count = 0
        self.bad_cells: set[tuple[int, str]] = set()
        self.region_cache: dict[str, Any] = {}
        self.positions: dict[str, int] = {}
        self.headers: dict[str, str] = {}
        self.mapping: dict[int, tuple[Column, int]] = {}

    # -- problems -------------------------------------------------------------------------------------
    def problem(self, zh: str, en: str, *, row: Optional[int] = None, col: Optional[Column] = None, index: Optional[int] = None,
                value: Any = None, field_name: Optional[str] = None, header: Optional[str] = None,
                hint: Optional[tuple[str, str]] = None) -> Problem:
        extra: dict[str, Any] = {"hint": hint} if hint else {}
        if header is None and col is not None:
            header = self.headers.get(col.name) or col.header
        if header:
            extra["column"] = header
        if index is None and col is not None:
            index = self.positions.get(col.name)
        if index is not None:
            extra["letter"] = column_letter(index)
            extra["index"] = index
        p = Problem(zh, en, row=row, field=field_name or (col.name if col else None), value=value, sheet=self.sheet.name,
                    table=self.table.key if self.table else None, extra=extra)
        if len(self.problems) + len(self.result.problems) < MAX_REPORTED:
            self.problems.append(p)
        else:
            self.result.truncated = True  # keep checking (nothing is written anyway), stop listing
        return p

    # -- steps ----------------------------------------------------------------------------------------
    def run(self) -> None:
        try:
            self.hidden_cells()  # a refusal here still lets the rest be checked: one round reports all
            if not self.find_header():
                return
            if not self.map_columns():
                return
            self.read_fillins()
            rows = self.read_rows()
            if rows:
                self.resolve_foreign_keys(rows)
                self.check_rows(rows)
                self.store(rows)
        finally:
            self.result.problems.extend(self.problems)

    def hidden_cells(self) -> bool:
        """Rows and columns hidden in the spreadsheet that hold data are never imported silently:
        refused (naming them) unless the import was asked to skip or include them."""
        sheet, opts = self.sheet, self.opts
        ok = True
        if sheet.hidden_rows:
            numbers = [i + 1 for i in sheet.hidden_rows]
            shown = _number_list(numbers)
            if opts.hidden_rows == "refuse":
                self.problem(f"有隐藏的行含有数据：第 {shown} 行；隐藏的行不会被悄悄导入——请取消隐藏后核对，或选择跳过或照常导入",
                             f"hidden rows hold data: row(s) {shown}; unhide and check them, or choose to skip or include them",
                             row=numbers[0], hint=("（命令行：--hidden-rows skip 或 include）", " (--hidden-rows skip or include)"))
                ok = False
            else:
                self.result.hidden.append({"sheet": sheet.name, "rows": numbers, "action": opts.hidden_rows})
                if opts.hidden_rows == "skip":
                    for i in sheet.hidden_rows:
                        sheet.rows[i] = []
        if sheet.hidden_columns:
            letters = "、".join(column_letter(j) for j in sheet.hidden_columns)
            if opts.hidden_columns == "refuse":
                self.problem(f"有隐藏的列含有数据：{letters} 列；隐藏的列不会被悄悄导入——请取消隐藏后核对，或选择跳过或照常导入",
                             f"hidden columns hold data: column(s) {letters}; unhide and check them, or choose to skip or include them",
                             index=sheet.hidden_columns[0], hint=("（命令行：--hidden-columns skip 或 include）", " (--hidden-columns skip or include)"))
                ok = False
            else:
                self.result.hidden.append({"sheet": sheet.name, "columns": [column_letter(j) for j in sheet.hidden_columns],
                                           "action": opts.hidden_columns})
                if opts.hidden_columns == "skip":
                    for row in sheet.rows:
                        for j in sheet.hidden_columns:
                            if j < len(row):
                                row[j] = None
        return ok

    def find_header(self) -> bool:
        """The header row among the first rows, and the table it belongs to (see :func:`best_header`)."""
        candidates = [self.table] if self.table else list(registry().tables.values())
        found = best_header(self.sheet, candidates, with_scores=True)
        best, scored = found if found is not None else (None, [])
        if best is None:
            known = "、".join(sorted(rt.label_zh for rt in registry().tables.values()))
            if self.table:
                self.problem(f"找不到「{self.table.label_zh}」的表头（前 {HEADER_SCAN_ROWS} 行中没有可识别的列名）",
                             f"no header row for {self.table.label_en} in the first {HEADER_SCAN_ROWS} rows")
            else:
                self.problem(f"无法识别这是哪张数据表：前 {HEADER_SCAN_ROWS} 行中没有可识别的表头（可选：{known}）",
                             "cannot tell which table this is: no recognisable header row", hint=("；请用 --table 指定", "; use --table"))
            return False
        ties = [tc for score, i, tc in scored if score == best[0] and tc.table.key != best[2].table.key]
        if ties and not self.table:
            names = "、".join(sorted({best[2].table.label_zh, *(t.table.label_zh for t in ties)}))
            self.problem(f"表头同时符合多张数据表（{names}）", f"the headers fit several tables ({names})", hint=("，请用 --table 指定", "; use --table"))
            return False
        self.header_index = best[1]
        self.cols = best[2]
        self.table = self.cols.table
        # a two-level header: the rows above whose titles are merged down into the header row
        # belong to the header (not to the fill-ins above it)
        h = self.header_index
        self.header_top = min([r0 for r0, c0, r1, c1 in self.sheet.merged if r0 < h <= r1] or [h])
        return True

    def map_columns(self) -> bool:
        header = self.sheet.rows[self.header_index]
        width = max((len(r) for r in self.sheet.rows[self.header_index:]), default=0)
        ok = True
        row_no = self.header_index + 1
        h = self.header_index
        # a header title merged across columns (a wide 备注 over two columns): the columns after
        # the first carry no column of their own when their cells repeat the first's (merged too)
        spread = {j: c0 for r0, c0, r1, c1 in self.sheet.merged if r0 <= h <= r1 for j in range(c0 + 1, c1 + 1)}
        for j in range(width):
            text = header[j] if j < len(header) else None
            if j in spread:
                a = spread[j]
                if all((r[j] if j < len(r) else None) == (r[a] if a < len(r) else None) or is_blank(r[j] if j < len(r) else None)
                       for r in self.sheet.rows[h + 1:]):
                    continue
                text = None  # different data under a merged title: a column without a name of its own
            if is_blank(text):
                has_data = any(j < len(r) and not is_blank(r[j]) for r in self.sheet.rows[self.header_index + 1:])
                if has_data:
                    self.problem(f"第 {column_letter(j)} 列有数据但没有列名", f"column {column_letter(j)} has data but no header",
                                 row=row_no, index=j)
                    ok = False
                continue
            col, scale = self.cols.match(text) if isinstance(text, str) else (None, 1)
            if col is None:
                if header_key(text) in _IGNORED_KEYS:
                    continue
                known = "、".join(c.header for c in self.cols.columns)
                self.problem(f"无法识别的列名（{self.table.label_zh}的列：{known}）", f"unknown column for {self.table.label_en}",
                             row=row_no, index=j, value=text, header=str(text))
                ok = False
                continue
            if col.name in self.positions:
                first = column_letter(self.positions[col.name])
                self.problem(f"列「{col.header}」重复（已在 {first} 列）", f"column {col.header} appears twice (first in column {first})",
                             row=row_no, index=j, value=text, header=str(text))
                ok = False
                continue
            self.mapping[j] = (col, scale)
            self.positions[col.name] = j
            self.headers[col.name] = str(text).strip()
        for col in self.cols.columns:
            if col.name in self.positions or not col.required or col.kind in ("region", "period"):
                continue
            self.problem(f"缺少必填列「{col.header}」", f"required column {col.info.label_en if col.info else col.name} is missing",
                         row=row_no, header=col.header)
            ok = False
        return ok

    def read_fillins(self) -> None:
        """``村/社区 | 新尚村社区`` and ``期间 | 2010Q4`` pairs (or ``村/社区：新尚村社区`` cells) above the header."""
        self.fill_region: Optional[tuple[str, int, int]] = None
        self.fill_period: Optional[tuple[Any, int, int]] = None
        for i in range(self.header_top):
            row = self.sheet.rows[i]
            for j, cell in enumerate(row):
                if not isinstance(cell, str) or is_blank(cell):
                    continue
                label, value, vj = cell, None, None
                for sep in ("：", ":"):
                    if sep in cell:
                        label, value = cell.split(sep, 1)
                        vj = j
                        break
                key = header_key(label)
                if key not in _REGION_KEYS and key not in _PERIOD_KEYS:
                    continue
                if is_blank(value):
                    value, vj = None, None
                    for k in range(j + 1, len(row)):
                        if not is_blank(row[k]):
                            value, vj = row[k], k
                            break
                if value is None:
                    continue
                if key in _REGION_KEYS and self.fill_region is None:
                    self.fill_region = (_text(value), i + 1, vj)
                elif key in _PERIOD_KEYS and self.fill_period is None:
                    self.fill_period = (value, i + 1, vj)
        self.period_default = self.default_period
        if self.fill_period is not None:
            value, r, j = self.fill_period
            try:
                self.period_default = parse_period(value)
            except CellError as exc:
                self.problem(f"表头上方填写的期间无法识别：{exc.zh}", f"the period filled in above the header is not valid: {exc.en}",
                             row=r, index=j, value=value, header="期间")
        self.region_default_cell = None
        if self.fill_region is not None:
            text, r, j = self.fill_region
            self.region_default_cell = (r, j)
            if text and self.meta.get("region") == text and self.meta.get("region_id", "").isdigit():
                # the template's own region: use its id (names may repeat across counties), if this
                # database has that id under that name (the file may come from another database)
                region = self.session.get(Region, int(self.meta["region_id"]))
                if region is not None and region.name == text:
                    self.region_cache[text] = region.id
            self.region_default = text
            self.region_source = "fillin"
        else:
            self.region_default = self.default_region
            self.region_source = "option" if self.default_region else None

    # -- cells ----------------------------------------------------------------------------------------
    def read_rows(self) -> list["ParsedRow"]:
        """Parse every data row, column by column (a column's cells share one parser, so the
        common all-valid case runs as one ``map``); blanks become ``None`` or the field's default."""
        table_columns_ = self.table.model.__table__.columns
        nullable = {c.name: c.nullable for c in table_columns_}
        capacity = {c.name: _int_capacity(c) for c in table_columns_}
        rows = self.sheet.rows
        kept: list[tuple[int, list]] = []
        totals: list[tuple[int, list, str, int]] = []  # (row number, cells, 合计/小计/总计, data rows before it)
        for i in range(self.header_index + 1, len(rows)):
            raw = rows[i]
            first = next(filter(None, raw), None)  # None, "" and 0 are falsy: a 0 alone still counts below
            if first is None:
                if not any(v == 0 and v is not False for v in raw if v is not None):
                    continue
                first = 0
            if type(first) is str and (first[0].isspace() or first[0] in "\u200b\ufeff") and is_blank(first):
                first = next((v for v in raw if not is_blank(v)), None)
                if first is None:
                    continue
            if type(first) is str and first.lstrip()[:1] == "【" and all(
                    is_blank(v) or (type(v) is str and v.strip().startswith("【")) for v in raw):
                continue  # the template's notes row
            kind = _total_kind(raw)
            if kind is not None:
                totals.append((i + 1, raw, kind, len(kept)))
                continue
            kept.append((i + 1, raw))
        names: list[str] = []
        parsed: list[list] = []
        omit_columns = []
        by_column = list(zip_longest(*(raw for _, raw in kept))) if kept else []  # transposed, short rows padded with None
        for j, (col, scale) in sorted(self.mapping.items()):
            if col.kind == "region":
                continue  # resolved with the fill-in default in resolve_foreign_keys
            cells = list(by_column[j]) if j < len(by_column) else [None] * len(kept)
            values = self._parse_column(col, j, cells, kept, self.cell_parser(col, scale), self.value_check(col, capacity.get(col.name)))
            if None in values:
                can_be_null = nullable.get(col.name, True)
                for k, v in enumerate(values):
                    if v is not None:
                        continue
                    if col.kind == "period":
                        values[k] = _OMIT  # filled in from the defaults later
                    elif col.required:
                        row_no = kept[k][0]
                        self.bad_cells.add((row_no, col.name))
                        self.problem("必填，不能为空", f"{col.info.label_en if col.info else col.name} is required", row=row_no, col=col, index=j)
                        values[k] = _OMIT
                    elif not can_be_null:
                        values[k] = _OMIT  # the field's default applies (or the stored value stays)
            if _OMIT in values:
                omit_columns.append(col.name)
            names.append(col.name)
            parsed.append(values)
        positions = self.positions
        out = [ParsedRow(row=row_no, values=dict(zip(names, vals)), raw=raw, positions=positions)
               for (row_no, raw), vals in zip(kept, zip(*parsed) if parsed else ((),) * len(kept))]
        for name in omit_columns:
            for pr in out:
                if pr.values.get(name) is _OMIT:
                    del pr.values[name]
        self.row_count = len(out)
        if self.sheet.merged:
            self.check_merged_numbers(kept)
        if totals:
            self.check_totals(kept, totals)
        self.fill_defaults(out)
        return out

    def check_merged_numbers(self, kept: list[tuple[int, list]]) -> None:
        """A money or number cell merged down over several data rows is one figure for those rows
        together; copying it to each row would multiply it, so the rows are refused instead."""
        numeric = {j: col for j, (col, _scale) in self.mapping.items() if col.kind in ("money", "int", "float")}
        data_rows = {row_no for row_no, _raw in kept}
        for r0, c0, r1, c1 in self.sheet.merged:
            if r1 == r0:
                continue
            covered = [n for n in range(r0 + 1, r1 + 2) if n in data_rows]
            if len(covered) < 2:
                continue
            for j in range(c0, c1 + 1):
                col = numeric.get(j)
                if col is None:
                    continue
                for n in covered:
                    self.bad_cells.add((n, col.name))
                self.problem(f"该数值单元格合并了第 {covered[0]}–{covered[-1]} 行：无法确定每一行的数值（复制到每行会重复计算），请拆分单元格后逐行填写",
                             f"a number merged over rows {covered[0]}-{covered[-1]}: each row's own figure is unknown (copying it would count it "
                             f"{len(covered)} times); unmerge and fill in each row", row=covered[0], col=col, index=j)

    def check_totals(self, kept: list[tuple[int, list]], totals: list[tuple[int, list, str, int]]) -> None:
        """Each 合计/总计 row against the sum of the data rows above it (since the previous
        合计/总计), each 小计 row since the previous total of any kind; a total row with no data
        rows above it (a total first, as statistical reports do) against the rows below it, up to
        the next total. Every money and number column the total row fills in is compared exactly
        (fen / Decimal). The total rows themselves are never imported."""
        numeric = [(j, col, scale) for j, (col, scale) in sorted(self.mapping.items()) if col.kind in ("money", "int", "float")]
        last_any = last_grand = 0
        bounds = []
        for n, (row_no, raw, kind, pos) in enumerate(totals):
            start = last_any if kind == "小计" else last_grand
            end = pos
            if start == end:  # nothing above: the rows below, up to the next total row
                end = totals[n + 1][3] if n + 1 < len(totals) else len(kept)
            bounds.append((start, end))
            last_any = pos
            if kind != "小计":
                last_grand = pos
        for (row_no, raw, kind, pos), (start, end) in zip(totals, bounds):
            checked = []
            for j, col, scale in numeric:
                cell = raw[j] if j < len(raw) else None
                if is_blank(cell):
                    continue
                try:
                    stated = self._total_value(col, scale, cell)
                except CellError as exc:
                    self.problem(f"{kind}行的数值无法识别：{exc.zh}", f"the {kind} (total) row's value cannot be read: {exc.en}", row=row_no, col=col, index=j, value=cell)
                    continue
                computed = Decimal(0)
                try:
                    for _row_no, data in kept[start:end]:
                        v = data[j] if j < len(data) else None
                        if not is_blank(v):
                            computed += self._total_value(col, scale, v)
                except CellError:
                    continue  # a data cell is bad: reported on its own row, no sum to compare
                checked.append(col.header)
                if stated != computed:
                    first, last = (kept[start][0], kept[end - 1][0]) if end > start else (None, None)
                    span_zh = f"第 {first}–{last} 行" if first is not None else "（没有数据行）"
                    span_en = f"rows {first}-{last}" if first is not None else "(no data rows)"
                    unit = "元" if col.kind == "money" else ""
                    self.problem(f"{kind}与各行之和不符：表中填写 {_plain(stated)}{unit}，按{span_zh}计算为 {_plain(computed)}{unit}，相差 {_plain(stated - computed)}{unit}",
                                 f"the {kind} (total) row does not add up: it states {_plain(stated)}, {span_en} sum to {_plain(computed)}",
                                 row=row_no, col=col, index=j, value=cell)
            self.result.totals.append({"sheet": self.sheet.name, "row": row_no, "kind": kind, "columns": checked})

    def _total_value(self, col: Column, scale, cell) -> Decimal:
        """A number in a total calculation: money in 元 (exact, from fen), other numbers as Decimal."""
        if col.kind == "money":
            return (Decimal(parse_money_fen(cell, scale)) / 100).quantize(CENT)
        if type(cell) is str and cell[:1] == "#":
            check_not_error(cell)
        return parse_decimal(cell)

    def _parse_column(self, col: Column, j: int, cells: list, kept: list, parse, check) -> list:
        """Parsed values of one column; ``None`` for blank cells, ``_OMIT`` for bad ones (reported)."""
        if parse is clean_text and check is None:
            one = clean_text  # blank -> None, formula errors raise: exactly what a text column needs
        else:
            def one(cell):
                if cell is None or cell == "":
                    return None
                if type(cell) is str:
                    if (cell[0].isspace() or cell[0] in "\u200b\ufeff") and is_blank(cell):
                        return None
                    if cell[0] == "#":
                        check_not_error(cell)
                value = parse(cell)
                if check is not None:
                    check(value)
                return value

        try:
            return list(map(one, cells))
        except CellError:
            pass
        values = []
        for k, cell in enumerate(cells):  # some cell is bad: find and report each one
            try:
                values.append(one(cell))
            except CellError as exc:
                row_no = kept[k][0]
                self.bad_cells.add((row_no, col.name))
                self.problem(exc.zh, exc.en, row=row_no, col=col, index=j, value=cell, hint=exc.hint)
                values.append(_OMIT)
        return values

    def metadata_checks(self, rows: list["ParsedRow"]) -> None:
        """Phone and ID-number checks on every parsed cell. The write path makes them too, but
        only on rows whose other fields are valid; when the file is being refused anyway, this
        reports them for every row."""
        for col in self.cols.columns:
            if col.name not in self.positions or col.info is None or not (col.info.phone or col.info.id_number):
                continue
            check = id_number_problem if col.info.id_number else phone_problem
            for pr in rows:
                value = pr.values.get(col.name)
                if value is None or (pr.row, col.name) in self.bad_cells or looks_masked(value, col.info.sensitive or ""):
                    continue  # a masked cell: kept as stored, or refused as a mask, by the write path's checks
                found = check(value)
                if found:
                    self.bad_cells.add((pr.row, col.name))
                    self.problem(found[0], found[1], row=pr.row, col=col, value=pr.cell(col.name))

    def cell_parser(self, col: Column, scale: int):
        """A function cell -> value for ``col`` (raising ``CellError``), memoised where values repeat."""
        kind, info = col.kind, col.info
        if kind == "money":
            fn = lambda cell: parse_money_fen(cell, scale)  # noqa: E731
        elif kind == "int" or (kind == "fk" and not col.fk_chain):
            units = units_of(info.label_zh, info.name) if info is not None and kind == "int" else ()

            def fn(cell):
                if type(cell) is int:
                    return cell
                if type(cell) is str and cell.isdecimal():
                    return int(cell)
                return parse_int(cell, units)  # 120公斤 in a kilogram column: the same parser as the web form
        elif kind == "float":
            units = units_of(info.label_zh, info.name) if info is not None else ()
            fn = lambda cell: parse_float(cell, units)  # noqa: E731
        elif kind == "date":
            fn = parse_date
        elif kind == "datetime":
            fn = parse_datetime
        elif kind == "bool":
            fn = parse_bool
        elif kind == "choice":
            allowed = "、".join(zh for zh, _ in info.choices.values())

            def fn(cell):
                code = parse_choice(cell, info.choices)
                if code not in info.choices:
                    raise CellError(f"{info.label_zh}的值不在可选范围内（可选：{allowed}）", f"{info.label_en} must be one of {', '.join(info.choices)}")
                return code
        elif kind == "period":
            fn = lambda cell: period_value(self.table, parse_period(cell, col.period_kind))  # noqa: E731
        elif kind == "id_number":
            fn = parse_id_number  # checksum: the write path, or metadata_checks when the file is refused anyway
        elif info is not None and info.phone:
            def fn(cell):
                return str(int(cell)) if isinstance(cell, float) and cell.is_integer() else clean_text(cell)
        else:
            fn = clean_text
        if info is not None and info.sensitive and fn is not clean_text:
            # a masked cell (an export's 430921********1234, ***) is no value to parse: the write path
            # keeps the stored value it masks, or refuses it as a mask
            parse_value, sensitive = fn, info.sensitive

            def fn(cell):
                if type(cell) is str and looks_masked(cell, sensitive):
                    return cell.strip()
                return parse_value(cell)
        if kind not in ("choice", "bool", "period", "date", "datetime", "region_ref"):
            return fn
        cache: dict = {}  # these columns repeat a few values down the whole sheet

        def parse(cell):
            key = (type(cell), cell)
            hit = cache.get(key)
            if hit is None:
                try:
                    hit = cache[key] = (True, fn(cell))
                except CellError as exc:
                    hit = cache[key] = (False, exc)
            if hit[0]:
                return hit[1]
            raise hit[1]

        return parse

    def value_check(self, col: Column, capacity: Optional[int]):
        """Range checks on a parsed number: negative or implausible money, the column's capacity."""
        if col.kind == "money":
            lower = col.info.ge if col.info is not None else None
            max_fen = int(self.opts.max_yuan * 100)
            max_yuan = self.opts.max_yuan

            def check(fen):
                if lower is not None and fen < lower:
                    if lower == 0:
                        raise CellError("金额不能为负数", "the amount cannot be negative")
                    raise CellError(f"金额不能小于 {Decimal(int(lower)) / 100:.2f} 元", f"the amount cannot be below {Decimal(int(lower)) / 100:.2f} yuan")
                if abs(fen) > max_fen:
                    raise CellError(f"金额不合理：超过 {max_yuan:,} 元的上限", f"implausible amount: above the limit of {max_yuan:,} yuan",
                                    hint=("（可用 SHEQU_IMPORT_MAX_YUAN 调整）", " (see SHEQU_IMPORT_MAX_YUAN)"))
                if capacity is not None and abs(fen) > capacity:
                    shown = f"{Decimal(capacity) / 100:,.2f} 元"
                    raise CellError(f"数值超出数据库可存储的范围（绝对值最大 {shown}）", f"the value is beyond what the database column can hold (at most {shown})")
            return check
        if col.kind in ("int", "fk") and capacity is not None:
            def check(value):
                if isinstance(value, int) and abs(value) > capacity:
                    raise CellError(f"数值超出数据库可存储的范围（绝对值最大 {capacity:,}）", f"the value is beyond what the database column can hold (at most {capacity:,})")
            return check
        return None

    def fill_defaults(self, rows: list["ParsedRow"]) -> None:
        period_col = next((c for c in self.cols.columns if c.kind == "period"), None)
        cleaned: dict[Any, Optional[str]] = {}
        for pr in rows:
            cell = pr.cell("region_id")
            text = cleaned.get(cell) if cell in cleaned else cleaned.setdefault(cell, _text(cell))
            if text is None:
                pr.region_text = self.region_default
                pr.region_from_fillin = True
            else:
                pr.region_text = text
            if period_col is not None and period_col.name not in pr.values and (pr.row, period_col.name) not in self.bad_cells:
                p = self.period_default
                if p is not None:
                    if p.kind == period_col.period_kind:
                        pr.values[period_col.name] = period_value(self.table, p)
                    else:
                        self.bad_cells.add((pr.row, period_col.name))
                        self.problem(f"请填写期间：表头上方的期间 {p} 不是{_KIND_ZH[period_col.period_kind]}",
                                     f"fill in the period: the period above the header ({p}) is not a {period_col.period_kind}",
                                     row=pr.row, col=period_col)

    # -- lookups ----------------------------------------------------------------------------------------
    def region_id(self, text: Optional[str]) -> Any:
        """A region id for a name / path / code, or a ``(zh, en)`` problem."""
        if text is None:
            return ("未指定地区：请填写该列，或在表头上方填写地区（命令行可用 --region）", "no region: fill in the column, the region above the header, or --region")
        if text in self.region_cache:
            return self.region_cache[text]
        try:
            r = find_region(self.session, text)
            found: Any = r.id
        except InputError as exc:
            found = (exc.zh, exc.en)
        self.region_cache[text] = found
        return found

    def resolve_foreign_keys(self, rows: list["ParsedRow"]) -> None:
        region_col = self.cols.columns[0] if self.cols.columns and self.cols.columns[0].kind == "region" else None
        reported_default = False
        if region_col is not None and self.region_source == "option":
            self.check_region_option(rows, region_col)
        for pr in rows:
            if region_col is None or (pr.row, "region_id") in self.bad_cells:
                continue
            rid = self.region_id(pr.region_text)
            if not isinstance(rid, tuple):
                pr.values["region_id"] = rid
                continue
            self.bad_cells.add((pr.row, "region_id"))
            if not pr.region_from_fillin or pr.region_text is None:
                self.problem(rid[0], rid[1], row=pr.row, col=region_col, value=pr.region_text)
            elif not reported_default:  # one line for the fill-in, not one per row
                reported_default = True
                if self.region_default_cell:
                    r, j = self.region_default_cell
                    self.problem(f"表头上方填写的地区有误：{rid[0]}", f"the region filled in above the header is wrong: {rid[1]}",
                                 row=r, index=j, value=pr.region_text, header=region_col.header, field_name="region_id")
                else:
                    self.problem(f"指定的地区有误：{rid[0]}", f"the region given is wrong: {rid[1]}", value=pr.region_text, field_name="region_id")
        for col in self.cols.columns:
            if col.name not in self.positions:
                continue
            if col.kind == "region_ref":
                for pr in rows:
                    text = pr.values.get(col.name)
                    if text is None or (pr.row, col.name) in self.bad_cells:
                        continue
                    rid = self.region_id(text)
                    if isinstance(rid, tuple):
                        self.bad_cells.add((pr.row, col.name))
                        del pr.values[col.name]
                        self.problem(rid[0], rid[1], row=pr.row, col=col, value=text)
                    else:
                        pr.values[col.name] = rid
            elif col.kind == "fk" and col.fk_chain:
                self._resolve_fk(col, rows)

    def check_region_option(self, rows: list["ParsedRow"], region_col: Column) -> None:
        """``--region`` only fills in rows of a sheet that names no region at all. A sheet whose
        rows name their own villages (a township summary) keeps them: a row left blank there is
        refused rather than filed under ``--region``, and a row whose own region lies outside
        ``--region`` is refused, naming the row — misfiling is worse than refusing."""
        own = [pr for pr in rows if not pr.region_from_fillin]
        if not own:
            return
        option = self.default_region
        for pr in rows:
            if pr.region_from_fillin:
                self.bad_cells.add((pr.row, "region_id"))
                self.problem(f"该行没有填写{region_col.header}，而本表其他行各自填写了{region_col.header}；为免归错，不会用指定的地区「{option}」补上，请逐行填写",
                             f"the row names no region while other rows of the sheet name their own; it is not filed under the region given ({option}), which could be the wrong one: fill it in",
                             row=pr.row, col=region_col, hint=("（--region）", " (--region)"))
        target = self.region_id(option)
        if isinstance(target, tuple):
            self.problem(f"指定的地区有误：{target[0]}", f"the region given is wrong: {target[1]}", value=option, field_name="region_id")
            return
        inside: dict[Any, bool] = {}
        for pr in own:
            rid = self.region_id(pr.region_text)
            if isinstance(rid, tuple):
                continue  # reported when the row's region is resolved
            if rid not in inside:
                inside[rid] = self._within(rid, target)
            if not inside[rid]:
                self.bad_cells.add((pr.row, "region_id"))
                self.problem(f"该行的{region_col.header}「{pr.region_text}」与指定的地区「{option}」不一致（不在其范围内），为免归错不导入；请核对该行",
                             f"the row's region {pr.region_text!r} contradicts the region given ({option}, not within it); it is not imported: check the row",
                             row=pr.row, col=region_col, value=pr.region_text, hint=("（--region）", " (--region)"))

    def _within(self, rid: Any, target: Any) -> bool:
        """Whether region ``rid`` is ``target`` or lies below it."""
        seen = 0
        while rid is not None and seen < 10:
            if rid == target:
                return True
            region = self.session.get(Region, rid)
            rid = region.parent_id if region is not None else None
            seen += 1
        return False

    def _resolve_fk(self, col: Column, rows: list["ParsedRow"]) -> None:
        """Shown values (户号 …) back to ids, within each row's region, walking the chain backwards."""
        reg = registry()
        target_rt = reg.tables[col.fk_table]
        last_table, last_col = col.fk_chain[-1]
        shown_type = reg.tables[last_table].field(last_col).python_type
        wanted: dict[int, set] = defaultdict(set)
        for pr in rows:
            v = pr.values.get(col.name)
            if v is not None and "region_id" in pr.values:
                pr.values[col.name] = v = v if shown_type is str else _as_type(v, shown_type)
                wanted[pr.values["region_id"]].add(v)
        found: dict[tuple, Any] = {}
        for rid, vals in wanted.items():
            current = {v: v for v in vals}  # shown value -> key in the current table
            for table, column in reversed(col.fk_chain):
                tbl = reg.tables[table].model.__table__
                step: dict[Any, Any] = {}
                keys = list(set(current.values()) - {None})
                for chunk in iter_chunks(keys):
                    stmt = select(tbl.c.id, tbl.c[column]).where(tbl.c.region_id == rid, tbl.c[column].in_(chunk))
                    for tid, val in self.session.execute(stmt):
                        step[val] = tid
                current = {shown: step.get(k) for shown, k in current.items()}
            for shown, tid in current.items():
                if tid is not None:
                    found[(rid, shown)] = tid
        for pr in rows:
            v = pr.values.get(col.name)
            if v is None or "region_id" not in pr.values:
                continue
            tid = found.get((pr.values["region_id"], v))
            if tid is None:
                self.bad_cells.add((pr.row, col.name))
                del pr.values[col.name]
                self.problem(f"找不到{col.fk_display_label}为「{v}」的{target_rt.label_zh}（在该行的地区内）",
                             f"no {target_rt.label_en} with {col.fk_display_label or col.fk_display} {v!r} in the row's region",
                             row=pr.row, col=col, value=pr.cell(col.name) if pr.has(col.name) else v)
            else:
                pr.values[col.name] = tid

    # -- checks -------------------------------------------------------------------------------------------
    def check_rows(self, rows: list["ParsedRow"]) -> None:
        rt = self.table
        today = self.opts.today
        date_col = self.positions.get(rt.date_field) if rt.date_field else None
        date_field, period_field = rt.date_field, rt.period_field
        periods: dict[Any, Period] = {}
        for pr in rows if (date_field or period_field) else ():
            if date_field and isinstance(pr.values.get(date_field), dt.date):
                d = pr.values[date_field]
                d = d.date() if isinstance(d, dt.datetime) else d
                if d > today:
                    self.bad_cells.add((pr.row, rt.date_field))
                    self.problem(f"日期晚于今天（{today.isoformat()}），不能登记未来的记录", f"the date is after today ({today.isoformat()})",
                                 row=pr.row, col=self.cols.get(rt.date_field), index=date_col, value=pr.cell(rt.date_field) or d)
            if period_field and isinstance(pr.values.get(period_field), (str, int)):
                value = pr.values[period_field]
                p = periods.get(value) or periods.setdefault(value, Period.parse(value))
                if p.start > today:
                    self.bad_cells.add((pr.row, rt.period_field))
                    self.problem(f"期间 {p.label('zh')} 尚未开始（今天是 {today.isoformat()}），不能登记未来的期间",
                                 f"the period {p} has not started yet (today is {today.isoformat()})", row=pr.row,
                                 col=self.cols.get(rt.period_field), value=pr.cell(rt.period_field) or str(p))
        if not rt.natural_key:
            if not self.opts.append:
                self.problem(f"数据表「{rt.label_zh}」没有自然键，重复导入会产生重复记录；确认只追加时请加 --append",
                             f"table {rt.label_en} has no natural key, so re-importing would duplicate rows; use --append to add rows anyway")
            return
        labels = [self._key_label(c) for c in rt.natural_key]
        nk, table_key, seen, sheet_name = rt.natural_key, rt.key, self.seen_keys, self.sheet.name
        getter = itemgetter(*nk)
        for pr in rows:
            values = pr.values
            try:
                key = getter(values)
            except KeyError:
                continue  # a key cell was bad or blank: reported already
            if len(nk) == 1:
                key = (key,)
            elif None in key:
                continue
            if len(nk) == 1 and key[0] is None:
                continue
            full = (table_key, key)
            if full not in seen:
                seen[full] = (sheet_name, pr.row)
            else:
                sheet, first = seen[full]
                where = f"第 {first} 行" if sheet == self.sheet.name else f"工作表「{sheet}」第 {first} 行"
                shown = "，".join(f"{lab}={self._key_value(c, pr)}" for lab, c in zip(labels, rt.natural_key))
                pr.duplicate = True
                self.problem(f"与{where}重复（{shown}）：同一记录在文件中出现了两次", f"duplicates row {first} ({shown}): the same record appears twice",
                             row=pr.row, col=self._key_column(), value=self._key_value(self._key_column().name, pr) if self._key_column() else None)

    def _key_column(self) -> Optional[Column]:
        for name in reversed(self.table.natural_key):
            if name in self.positions:
                return self.cols.get(name)
        return None

    def _key_label(self, name: str) -> str:
        try:
            return self.cols.get(name).header
        except KeyError:
            return name

    def _key_value(self, name: str, pr: "ParsedRow") -> Any:
        if name == "region_id":
            return pr.region_text
        cell = pr.cell(name)
        if not is_blank(cell):
            return _text(cell)
        return pr.values.get(name)

    # -- writing ----------------------------------------------------------------------------------------------
    def store(self, rows: list["ParsedRow"]) -> None:
        rt = self.table
        summary = SheetSummary(sheet=self.sheet.name, table=rt.key, table_label=rt.label_zh, rows=len(rows))
        self.result.sheets.append(summary)
        nk = rt.natural_key
        existing = self._existing(rows) if nk else {}
        if not existing:  # the common bulk case: nothing stored yet for these keys
            merged = [pr.values for pr in rows]  # the write path copies rows as it adds defaults
        else:
            merged = []
            bad = self.bad_cells
            for pr in rows:
                key = tuple([pr.values.get(c) for c in nk])
                old = None if None in key or any((pr.row, c) in bad for c in nk) else existing.get(key)
                pr.old = old
                if old is not None:
                    d = {k: v for k, v in old.items() if k != "id"}
                    d.update(pr.values)
                else:
                    d = pr.values
                merged.append(d)
        if not (not self.problems and self.result.ok):
            self.metadata_checks(rows)
            merged, _ = keep_masked(self.session, rt, merged)  # masks of the stored values are no problem
            _, problems = validate_rows(self.session, rt, merged, today=self.opts.today, start_row=0)
            self._map_problems(problems, rows)
            return
        # Rows matching a stored natural key are upserted; the rest are plain inserts, which
        # spares the write path a second natural-key lookup for them.
        updates = [i for i, pr in enumerate(rows) if pr.old is not None]
        inserts = [i for i, pr in enumerate(rows) if pr.old is None]
        parts = [(updates, "upsert"), (inserts, "insert")] if nk else [(inserts, "insert")]
        failed = False
        for index, mode in parts:
            if not index:
                continue
            batch = [merged[i] for i in index]
            if failed:  # an earlier part was refused: validate the rest only, to report everything
                _, problems = validate_rows(self.session, rt, batch, today=self.opts.today, start_row=0)
                self._map_problems(problems, rows, index)
                continue
            try:
                res = write(session=self.session, table=rt, rows=batch, mode=mode, today=self.opts.today, start_row=0, actor=self.opts.actor)
            except BatchError as exc:
                self._map_problems(exc.problems, rows, index)
                failed = True
                continue
            except PermissionDenied as exc:  # rows outside the importing user's scope: reported, nothing written
                k = getattr(exc, "row_index", None)
                self.problem(exc.zh, exc.en, row=rows[index[k]].row if k is not None and 0 <= k < len(index) else None, hint=exc.hint)
                failed = True
                continue
            except IntegrityError as exc:
                self.session.rollback()
                first = str(exc.orig).splitlines()[0] if exc.orig else str(exc).splitlines()[0]
                self.problem(f"数据库拒绝写入（违反唯一性或关联约束）：{first}", f"the database refused the rows (unique or foreign-key constraint): {first}")
                return
            except DBAPIError as exc:  # e.g. a value out of the column's range on PostgreSQL
                if exc.connection_invalidated:
                    raise
                self.session.rollback()
                first = str(exc.orig).splitlines()[0] if exc.orig else str(exc).splitlines()[0]
                self.problem(f"数据库拒绝写入：{first}", f"the database refused the rows: {first}")
                return
            summary.new += res.inserted
            summary.changed += res.updated
            summary.unchanged += res.unchanged
            for name, positions in res.masked.items():
                header = self.headers.get(name) or self._key_label(name)
                self.result.masked_kept[header] = self.result.masked_kept.get(header, 0) + len(positions)
                for k in positions:
                    rows[index[k]].masked.append(name)
        if self.opts.dry_run and not failed:
            self._plan(rows)

    def _existing(self, rows: list["ParsedRow"]) -> dict[tuple, dict]:
        """Stored rows sharing a natural key with ``rows``. When the key includes the region and
        those regions hold few rows, one query per region chunk beats matching key tuples."""
        rt = self.table
        tbl = rt.model.__table__
        if "region_id" in rt.natural_key:
            from sqlalchemy import func

            regions = sorted({pr.values.get("region_id") for pr in rows} - {None})
            stored = 0
            for chunk in iter_chunks(regions):
                stored += self.session.execute(select(func.count()).select_from(tbl).where(tbl.c.region_id.in_(chunk))).scalar_one()
            if stored == 0:
                return {}
            if stored <= 4 * len(rows) + 20_000:
                out: dict[tuple, dict] = {}
                for chunk in iter_chunks(regions):
                    for r in self.session.execute(select(tbl).where(tbl.c.region_id.in_(chunk))).mappings():
                        out[tuple(r[c] for c in rt.natural_key)] = dict(r)
                return out
        keyed = [pr.values for pr in rows if all(pr.values.get(c) is not None and (pr.row, c) not in self.bad_cells for c in rt.natural_key)]
        return find_existing(self.session, rt, keyed) if keyed else {}

    def _map_problems(self, problems: list[Problem], rows: list["ParsedRow"], index: Optional[list[int]] = None) -> None:
        """Problems of a write-path batch (row = position in the batch) onto spreadsheet rows."""
        for p in problems:
            pos = p.row if index is None or p.row is None or not 0 <= p.row < len(index) else index[p.row]
            pr = rows[pos] if pos is not None and 0 <= pos < len(rows) else None
            row_no = pr.row if pr is not None else None
            if pr is not None and (p.field is None and pr.duplicate):
                continue
            if row_no is not None and p.field is not None and (row_no, p.field) in self.bad_cells:
                continue  # already reported from the cell itself
            col = None
            if p.field:
                try:
                    col = self.cols.get(p.field)
                except KeyError:
                    col = None
            value = pr.cell(p.field) if pr is not None and pr.has(p.field) else p.value
            if col is not None and col.kind == "money" and value is p.value and isinstance(value, int):
                value = f"{(Decimal(value) / 100).quantize(CENT)}"
            np = self.problem(p.message_zh, p.message_en, row=row_no, col=col if (col and col.name in self.positions) else None,
                              value=value, field_name=p.field, header=col.header if col is not None else None, hint=p.hint)
            np.rule = p.rule

    def _plan(self, rows: list["ParsedRow"]) -> None:
        """The dry run's row-by-row list: new, changed (with old → new values) or unchanged."""
        rt = self.table
        shown = [c for c in self.cols.columns if c.name in self.positions or c.name in ("region_id", rt.period_field)]
        for pr in rows:
            key = "，".join(f"{self._key_label(c)}={self._mask(c, self._key_value(c, pr))}" for c in rt.natural_key) if rt.natural_key else ""
            changes = []
            if pr.old is None:
                action = "new"
            else:
                for c in shown:
                    if c.name in pr.values and c.name not in pr.masked and pr.values[c.name] != pr.old.get(c.name):
                        changes.append((c.header, self._mask(c.name, self._display(c, pr.old.get(c.name))),
                                        self._mask(c.name, self._display(c, pr.values[c.name], pr))))
                action = "changed" if changes else "unchanged"
            masked = [self.headers.get(c) or self._key_label(c) for c in pr.masked]
            self.result.plan.append(RowPlan(sheet=self.sheet.name, row=pr.row, table=rt.key, action=action, key=key, changes=changes,
                                            masked=masked))

    def _display(self, col: Column, v: Any, pr: Optional["ParsedRow"] = None) -> Any:
        if v is None:
            return None
        if col.kind == "money":
            return f"{(Decimal(v) / 100).quantize(CENT)}"
        if col.kind == "choice":
            return col.info.choice_label(v)
        if col.kind == "bool":
            return "是" if v else "否"
        if col.kind in ("fk", "region", "region_ref") and pr is not None:
            return _text(pr.cell(col.name)) or pr.region_text
        if col.kind == "fk" and col.fk_chain:
            return chain_display(self.session, col.fk_chain, {v}).get(v, v)
        if col.kind in ("region", "region_ref"):
            region = self.session.get(Region, v)
            return region.name if region is not None else v
        if isinstance(v, dt.datetime) and v.tzinfo is not None:
            return v.replace(tzinfo=None)
        return v

    def _mask(self, name: str, v: Any) -> Any:
        try:
            info = self.cols.get(name).info
        except KeyError:
            return v
        if info is not None and info.sensitive and v is not None:
            return mask(v, info.sensitive)
        return v


_KIND_ZH = {"year": "年度", "quarter": "季度", "month": "月份"}


_TOTAL = re.compile(r"^[^\d]{0,4}?(合计|小计|总计)[:：]?$")


def _total_kind(raw: list) -> Optional[str]:
    """``合计``, ``小计`` or ``总计`` when a text cell of the row says so (``本页合计``, ``合 计：`` …)."""
    for v in raw:
        if type(v) is str and "计" in v:
            m = _TOTAL.match(header_key(v))
            if m is not None:
                return m.group(1)
    return None


def _plain(d: Decimal) -> str:
    """A Decimal as typed: ``1234.50``, ``-3``, never in exponent form."""
    text = format(d, "f")
    return text


def _number_list(numbers: list[int], limit: int = 20) -> str:
    shown = "、".join(str(n) for n in numbers[:limit])
    return shown + (f" …（{len(numbers)}）" if len(numbers) > limit else "")
_OMIT = object()  # a parsed cell that must not reach the row (bad, or blank with a default)


def _int_capacity(column) -> Optional[int]:
    """The largest magnitude an integer column holds on every backend (PostgreSQL ``integer`` is
    32-bit; SQLite would take more, but a file must import the same way everywhere)."""
    from sqlalchemy import BigInteger, Integer, SmallInteger

    t = column.type
    if isinstance(t, BigInteger):
        return 2**63 - 1
    if isinstance(t, SmallInteger):
        return 2**15 - 1
    if isinstance(t, Integer):
        return 2**31 - 1
    return None


def _text(value: Any) -> Optional[str]:
    """:func:`clean_text` for labels and keys in messages: a formula error stays as it is."""
    try:
        return clean_text(value)
    except CellError:
        return str(value).strip()


def _as_type(v: Any, tp: type) -> Any:
    try:
        return tp(v)
    except Exception:
        return v


@dataclass(slots=True)
class ParsedRow:
    row: int  # the spreadsheet's row number
    values: dict[str, Any]
    raw: list  # the row's cells as read
    positions: dict[str, int]  # field name -> index in ``raw`` (shared by the sheet's rows)
    region_text: Optional[str] = None
    region_from_fillin: bool = False
    old: Optional[dict] = None
    duplicate: bool = False
    masked: list = field(default_factory=list)  # fields whose masked cell the write path kept as stored

    def has(self, name: str) -> bool:
        return name in self.positions

    def cell(self, name: str) -> Any:
        """The raw cell of a field's column (``None`` when the file has no such column)."""
        j = self.positions.get(name)
        return self.raw[j] if j is not None and j < len(self.raw) else None
