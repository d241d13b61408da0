"""Fill-in templates (填报模板): one .xlsx per table, region and period.

Layout of the data sheet (named after the table's Chinese label)::

    row 1   title: 新尚村社区 · 2010年第4季度 · 户 填报表
    row 2   村/社区 | 新尚村社区 | 期间 | 2010Q4 | 数据表 | 户        ← the fill-in cells
    row 3   Chinese headers (required ones in red)
    row 4   notes: 【必填·金额(元)，最多两位小数】 …                 ← skipped on import
    row 5…  the stored rows of that region and period, then empty rows with the same dropdowns

A hidden sheet ``_shequ`` records the table key, region and period, so the import knows the
table even if the sheet is renamed; a hidden sheet ``_lists`` holds long dropdown lists.

Sensitive columns the user may not read in clear (``masked``, decided by
:func:`shequ_sdk.spreadsheets.write_template_for` as ``frames.may_unmask`` decides an API read)
show the stored rows masked (``汪**``, ``430921********1234``): their cells are locked on a
protected sheet (no password: a guard against typing over them, not a secret), the notes row
says 【已打码·只读】 and the header carries a comment. The blank rows below stay open, so new
records are typed in full. Imported again, a mask keeps the stored value
(:func:`shequ_sdk.records.keep_masked`).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Optional

from sqlmodel import Session

from ..models import Region
from ..period import Period
from ..registry import RecordTable
from .cells import neutralise
from .columns import Column
from .display import display_rows, select_rows
from .reading import LISTS_SHEET, META_SHEET

TEMPLATE_FORMAT = "shequ-template"
TEMPLATE_VERSION = "1"
HEADER_ROW = 3
NOTES_ROW = 4
FIRST_DATA_ROW = 5
INLINE_LIST_MAX = 100  # longer dropdown lists go to the hidden _lists sheet (Excel caps inline lists at 255 chars; CJK counts double in some versions)

HEADER_FILL = "DDEBF7"
FILLIN_FILL = "FFF2CC"
REQUIRED_FONT = "C00000"


def sheet_title(text: str) -> str:
    """A valid worksheet name: no ``[]:*?/\\`` and at most 31 characters."""
    return re.sub(r"[\[\]:*?/\\]", "·", text)[:31] or "数据"


def number_format(col: Column) -> Optional[str]:
    if col.kind == "money":
        return "#,##0.00"
    if col.kind == "date":
        return "yyyy-mm-dd"
    if col.kind == "datetime":
        return "yyyy-mm-dd hh:mm"
    if col.kind in ("text", "id_number", "fk", "region", "region_ref", "period", "choice", "bool"):
        return "@"
    return None


def excel_value(col: Column, value):
    """A display value as an openpyxl cell value (numbers stay numbers, text is made inert)."""
    if value is None:
        return None
    if col.kind == "money":
        return float(value)
    if isinstance(value, (int, float, dt.date, dt.datetime)) and not isinstance(value, bool):
        return value
    return neutralise(str(value))


MASKED_NOTE = "【已打码·只读：按您的权限打码，导入时保持已登记的值；新增行请填写完整】"
MASKED_COMMENT = ("本列按您的权限打码显示，已有记录的这一列为只读（导入时打码值视为不变，不会覆盖已登记的值）；"
                  "新增的行请填写完整的值。\nMasked for your role: read-only for the records already stored "
                  "(a mask imported again keeps the stored value); type full values in new rows.")


def write_template(session: Session, rt: RecordTable, region: Region, period: Period, out: str | Path, *,
                   blank_rows: int = 200, today: Optional[dt.date] = None, masked: frozenset[str] = frozenset()) -> Path:
    """Write the fill-in template for ``rt`` in ``region`` and ``period`` to ``out`` (.xlsx).

    ``masked``: the sensitive fields shown masked and locked (see the module doc)."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    from .. import __version__
    from ..ids import mask

    rows = select_rows(session, rt, region=region, period=period, exact_region=True)
    cols, values = display_rows(session, rt, rows)
    columns = cols.columns
    masked_cols = [j for j, c in enumerate(columns) if c.info is not None and c.info.sensitive and c.name in masked]
    for row in values:
        for j in masked_cols:
            if row[j] not in (None, ""):
                row[j] = mask(row[j], columns[j].info.sensitive)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet_title(rt.label_zh)
    width = max(len(columns), 6)

    ws.cell(1, 1, f"{region.name} · {period.label('zh')} · {rt.label_zh} 填报表")
    ws.cell(1, 1).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    fill_in = PatternFill("solid", fgColor=FILLIN_FILL)
    for i, (label, value) in enumerate(((columns[0].header if columns and columns[0].kind == "region" else "地区", region.name),
                                        ("期间", str(period)), ("数据表", rt.label_zh))):
        ws.cell(2, 2 * i + 1, label).font = Font(bold=True)
        c = ws.cell(2, 2 * i + 2, value)
        c.number_format = "@"
        if i < 2:
            c.fill = fill_in

    header_fill = PatternFill("solid", fgColor=HEADER_FILL)
    for j, col in enumerate(columns, start=1):
        c = ws.cell(HEADER_ROW, j, col.header)
        c.font = Font(bold=True, color=REQUIRED_FONT if col.required else None)
        c.fill = header_fill
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        n = ws.cell(NOTES_ROW, j, MASKED_NOTE + col.note() if j - 1 in masked_cols else col.note())
        if j - 1 in masked_cols:
            c.comment = Comment(MASKED_COMMENT, "shequ")
        n.font = Font(size=9, italic=True, color="808080")
        n.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(j)].width = max(10, min(40, 2 * len(col.header) + 4))
    ws.row_dimensions[NOTES_ROW].height = 42

    last_row = FIRST_DATA_ROW + len(values) + blank_rows - 1
    formats = [number_format(c) for c in columns]
    for i, row in enumerate(values):
        r = FIRST_DATA_ROW + i
        for j, (col, value) in enumerate(zip(columns, row), start=1):
            c = ws.cell(r, j, excel_value(col, value))
            if formats[j - 1]:
                c.number_format = formats[j - 1]
    for r in range(FIRST_DATA_ROW + len(values), last_row + 1):
        for j, fmt in enumerate(formats, start=1):
            if fmt:
                ws.cell(r, j).number_format = fmt
    ws.freeze_panes = ws.cell(FIRST_DATA_ROW, 2)
    if masked_cols and values:
        # the masked cells of stored rows are read-only: every other cell people fill stays open
        open_cell = Protection(locked=False)
        locked_cols = {j + 1 for j in masked_cols}
        for r in range(FIRST_DATA_ROW, last_row + 1):
            stored = r < FIRST_DATA_ROW + len(values)
            for j in range(1, len(columns) + 1):
                if not (stored and j in locked_cols):
                    ws.cell(r, j).protection = open_cell
        for j in (2, 4):  # the region and period fill-ins
            ws.cell(2, j).protection = open_cell
        ws.protection.sheet = True
        for action in ("formatCells", "formatColumns", "formatRows", "insertRows", "deleteRows", "sort", "autoFilter"):
            setattr(ws.protection, action, False)

    lists, list_col = None, 0
    for j, col in enumerate(columns, start=1):
        if col.kind == "choice":
            labels = [zh for zh, _ in col.info.choices.values()]
        elif col.kind == "bool":
            labels = ["是", "否"]
        else:
            continue
        inline = ",".join(labels)
        if len(inline) <= INLINE_LIST_MAX and not any("," in x or '"' in x for x in labels):
            formula = f'"{inline}"'
        else:
            if lists is None:
                lists = wb.create_sheet(LISTS_SHEET)
                lists.sheet_state = "hidden"
            list_col += 1
            for i, label in enumerate(labels, start=1):
                lists.cell(i, list_col, label)
            letter = get_column_letter(list_col)
            formula = f"{quote_sheetname(LISTS_SHEET)}!${letter}$1:${letter}${len(labels)}"
        dv = DataValidation(type="list", formula1=formula, allow_blank=True, showDropDown=False,
                            showErrorMessage=True, errorTitle="输入有误", error=f"请从下拉列表中选择{col.header}",
                            showInputMessage=True, promptTitle=col.header[:32], prompt=col.note()[:255])
        letter = get_column_letter(j)
        dv.add(f"{letter}{FIRST_DATA_ROW}:{letter}{last_row}")
        ws.add_data_validation(dv)

    meta = wb.create_sheet(META_SHEET)
    meta.sheet_state = "hidden"
    for k, v in (("format", TEMPLATE_FORMAT), ("version", TEMPLATE_VERSION), ("table", rt.key), ("table_label", rt.label_zh),
                 ("sheet", ws.title), ("region_id", region.id), ("region", region.name), ("region_code", region.code or ""),
                 ("period", str(period)), ("header_row", HEADER_ROW), ("columns", ",".join(c.name for c in columns)),
                 ("created", (today or dt.date.today()).isoformat()), ("sdk_version", __version__)):
        meta.append([k, str(v)])
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out
