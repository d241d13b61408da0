"""Fill-in templates (填报模板): one .xlsx per table, region and period.

Layout of the data sheet (named after the table's Chinese label)::

    row 1   title: 新尚村社区 · 2010年第4季度 · 户 填报表
    row 2   村/社区 | 新尚村社区 | 期间 | 2010Q4 | 数据表 | 户        ← the fill-in cells
    row 3   Chinese headers (required ones in red)
    row 4   notes: 【必填·金额(元)，最多两位小数】 …                 ← skipped on import
    row 5…  the stored rows of that region and period, then empty rows with the same dropdowns

A hidden sheet ``_shequ`` records the table key, region and period, so the import knows the
table even if the sheet is renamed; a hidden sheet ``_lists`` holds long dropdown lists.
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


def write_template(session: Session, rt: RecordTable, region: Region, period: Period, out: str | Path, *,
                   blank_rows: int = 200, today: Optional[dt.date] = None) -> Path:
    """Write the fill-in template for ``rt`` in ``region`` and ``period`` to ``out`` (.xlsx)."""
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    from .. import __version__

    rows = select_rows(session, rt, region=region, period=period, exact_region=True)
    cols, values = display_rows(session, rt, rows)
    columns = cols.columns
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
        n = ws.cell(NOTES_ROW, j, col.note())
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
