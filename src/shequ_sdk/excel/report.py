"""The annotated copy of an imported file: every problem cell filled red with a comment, and a
「导入问题」 sheet listing every problem. CSV files are copied into an .xlsx first."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from .cells import neutralise
from .reading import Book

PROBLEM_FILL = "FFC7CE"
PROBLEM_SHEET = "导入问题"


def write_annotated(book: Optional[Book], result, out, *, source: Path) -> Path:
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    out = Path(out)
    wb = None
    if book is not None and book.kind == "xlsx":
        try:
            wb = openpyxl.load_workbook(source)
        except Exception:  # readable values-only but not in full mode: fall back to a fresh copy
            wb = None
    if wb is None:
        wb = openpyxl.Workbook()
        first = wb.active
        if book is not None:
            for n, sheet in enumerate(book.sheets):
                ws = first if n == 0 else wb.create_sheet()
                from .template import sheet_title

                ws.title = sheet_title(sheet.name)
                for i, row in enumerate(sheet.rows, start=1):
                    for j, v in enumerate(row, start=1):
                        if v is not None and v != "":
                            c = ws.cell(i, j, neutralise(v) if isinstance(v, str) else v)
                            if isinstance(v, str):
                                c.data_type = "s"
        else:
            first.title = "文件"
            first.cell(1, 1, f"{source.name}：无法读取，没有可标注的单元格")
    fill = PatternFill("solid", fgColor=PROBLEM_FILL)
    titles = {ws.title: ws for ws in wb.worksheets}
    notes: dict[tuple[str, int, int], list[str]] = {}
    for p in result.problems:
        if p.sheet is None or p.row is None:
            continue
        ws = titles.get(p.sheet) or titles.get(p.sheet[:31])
        if ws is None:
            continue
        col = p.extra.get("index", 0) + 1
        notes.setdefault((ws.title, p.row, col), []).append(f"{p.message_zh} / {p.message_en}")
    for (title, row, col), texts in notes.items():
        cell = titles[title].cell(row, col)
        cell.fill = fill
        text = "\n".join(texts)
        cell.comment = Comment(text, "shequ 导入检查", width=320, height=min(400, 60 + 40 * len(texts)))
    if PROBLEM_SHEET in wb.sheetnames:
        del wb[PROBLEM_SHEET]
    ws = wb.create_sheet(PROBLEM_SHEET, 0)
    header = ["工作表", "行", "列", "值", "问题", "Problem"]
    ws.append(header)
    for c in ws[1]:
        c.font = Font(bold=True)
    for p in result.problems:
        col = p.extra.get("column")
        if col and p.extra.get("letter"):
            col = f"{col}（{p.extra['letter']}列）"
        ws.append([neutralise(p.sheet), p.row, neutralise(col), neutralise(None if p.value is None else str(p.value)),
                   neutralise(p.message_zh), neutralise(p.message_en)])
        for c in ws[ws.max_row]:
            if isinstance(c.value, str):
                c.data_type = "s"
    if not result.problems:
        ws.append([None, None, None, None, "没有发现问题", "no problems found"])
    for letter, width in zip("ABCDEF", (14, 6, 18, 20, 60, 60)):
        ws.column_dimensions[letter].width = width
    wb.active = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out
