"""Reading a spreadsheet file into rows of raw cells, refusing what is not one.

- ``.xlsx``, ``.xls`` and ``.ods`` (by content, whatever the name) are read with python-calamine:
  every visible sheet, values as saved (formula results, not formulas), with the template's
  hidden ``_shequ`` sheet read as metadata. What calamine does not report is read from the file
  itself before any cell is parsed: for ``.xlsx`` the sheet XML is scanned (streamed) for hidden
  rows and columns, merged ranges, formula error values and the cell count; for ``.ods`` the
  same from ``content.xml``; for ``.xls`` the BIFF records of each sheet give hidden rows and
  columns, and calamine the merged ranges.
- Merged cells are expanded to their anchor's value (down and across) before anything else, so
  a village name merged over three rows files each of those rows under that name.
- Before parsing, the archive is checked: the declared unpacked size (``SHEQU_IMPORT_MAX_UNPACKED``,
  default 100 MiB), each sheet's declared and counted cells (``SHEQU_IMPORT_MAX_CELLS``, default
  2,000,000) and columns (at most 16,384, Excel's own limit). A zip bomb is refused in a fraction
  of a second, before calamine or openpyxl sees it.
- CSV/TSV text: the encoding is detected, never assumed — UTF-8 (with or without BOM) is
  tried strictly, then GB18030 (which covers GBK/GB2312, what Excel on Chinese Windows
  writes); UTF-16 with a BOM is what Excel's "Unicode text" gives. A file whose lines are
  partly UTF-8 and partly GBK is refused, naming a line of each.
- The size limit (``SHEQU_IMPORT_MAX_BYTES``, default 50 MiB) applies to the file.
- A NUL character anywhere in a cell, or a row wider than 16,384 columns, refuses the file.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import re
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Optional
from xml.etree import ElementTree as ET

from ..errors import InputError

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_UNPACKED = 100 * 1024 * 1024  # what an .xlsx / .ods may unpack to
DEFAULT_MAX_CELLS = 2_000_000  # cells in one sheet (declared or counted)
MAX_COLUMNS = 16_384  # Excel's own limit (XFD)
MAX_BLANK_RUN = 10_000  # stop reading a sheet after this many empty rows in a row (formatted-but-empty tails)
META_SHEET = "_shequ"
LISTS_SHEET = "_lists"


class FileRefused(InputError):
    """The file cannot be read as a spreadsheet at all. ``hint`` is a ``(zh, en)`` pair for the
    command line (the option or setting that changes a limit); a web page leaves it out."""

    def __init__(self, zh: str, en: str, hint: Optional[tuple[str, str]] = None):
        super().__init__(zh, en)
        self.hint = hint


@dataclass
class Sheet:
    name: str
    rows: list[list[Any]]  # rows[0] is the spreadsheet's row 1
    hidden_rows: list[int] = field(default_factory=list)  # 0-based row indexes (into ``rows``) holding data
    hidden_columns: list[int] = field(default_factory=list)  # 0-based column indexes holding data
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # (row0, col0, row1, col1), 0-based, inclusive

    def row_number(self, index: int) -> int:
        return index + 1


@dataclass
class Book:
    path: Path
    kind: str  # "xlsx", "xls", "ods" or "csv"
    sheets: list[Sheet]
    meta: dict[str, str] = field(default_factory=dict)
    encoding: Optional[str] = None


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise InputError(f"{name} 应为整数，收到 {raw!r}", f"{name} must be a whole number, got {raw!r}") from None


def max_bytes_default() -> int:
    return _env_int("SHEQU_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)


def max_unpacked_default() -> int:
    return _env_int("SHEQU_IMPORT_MAX_UNPACKED", DEFAULT_MAX_UNPACKED)


def max_cells_default() -> int:
    return _env_int("SHEQU_IMPORT_MAX_CELLS", DEFAULT_MAX_CELLS)


def _size_text(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MiB"
    if n >= 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n} B"


def column_name(index: int) -> str:
    """``0`` → ``A``, ``26`` → ``AA`` (any width, unlike openpyxl's helper)."""
    out = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


_MAGIC = (
    (b"%PDF", "PDF 文件", "a PDF file"),
    (b"\x89PNG", "PNG 图片", "a PNG image"),
    (b"\xff\xd8\xff", "JPEG 图片", "a JPEG image"),
    (b"GIF8", "GIF 图片", "a GIF image"),
    (b"\x1f\x8b", "gzip 压缩文件", "a gzip archive"),
    (b"Rar!", "RAR 压缩文件", "a RAR archive"),
    (b"7z\xbc\xaf", "7z 压缩文件", "a 7z archive"),
    (b"SQLite format 3", "SQLite 数据库", "a SQLite database"),
)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class Limits:
    unpacked: int
    cells: int
    columns: int = MAX_COLUMNS


def read_book(path: str | os.PathLike, *, max_bytes: Optional[int] = None, max_unpacked: Optional[int] = None,
              max_cells: Optional[int] = None) -> Book:
    """Read ``path`` as .xlsx, .xls, .ods or CSV; raise :class:`FileRefused` with a clear reason otherwise."""
    p = Path(path)
    if not p.exists():
        raise FileRefused(f"文件不存在：{p}", f"no such file: {p}")
    if p.is_dir():
        raise FileRefused(f"{p} 是文件夹，不是表格文件", f"{p} is a directory, not a spreadsheet")
    limit = max_bytes_default() if max_bytes is None else max_bytes
    limits = Limits(unpacked=max_unpacked_default() if max_unpacked is None else max_unpacked,
                    cells=max_cells_default() if max_cells is None else max_cells)
    size = p.stat().st_size
    if size == 0:
        raise FileRefused(f"文件为空（0 字节）：{p.name}", f"the file is empty (0 bytes): {p.name}")
    if size > limit:
        raise FileRefused(f"文件过大：{p.name} 为 {_size_text(size)}，上限 {_size_text(limit)}",
                          f"file too large: {p.name} is {_size_text(size)}, the limit is {_size_text(limit)}",
                          hint=("（可用 --max-bytes 或 SHEQU_IMPORT_MAX_BYTES 调整）", " (see --max-bytes / SHEQU_IMPORT_MAX_BYTES)"))
    with open(p, "rb") as fh:
        head = fh.read(8192)
    if head.startswith(b"PK"):
        book = _read_zip(p, limits)
    elif head.startswith(OLE_MAGIC):
        book = _read_xls(p, limits)
    else:
        for magic, zh, en in _MAGIC:
            if head.startswith(magic):
                raise FileRefused(f"{p.name} 不是表格文件：这是{zh}", f"{p.name} is not a spreadsheet: it is {en}")
        if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise FileRefused(f"{p.name} 不是表格文件（二进制内容，既不是 Excel/ODS 表格也不是 CSV 文本）",
                              f"{p.name} is not a spreadsheet (binary content, neither a workbook nor CSV text)")
        book = _read_csv(p, p.read_bytes())
    for sheet in book.sheets:
        _check_shape(p, sheet, limits)
    return book


def _check_shape(p: Path, sheet: Sheet, limits: Limits) -> None:
    """Refuse absurd shapes and NUL characters, naming the sheet, row and column."""
    cells = 0
    for i, row in enumerate(sheet.rows):
        n = len(row)
        if n > limits.columns:
            raise FileRefused(f"{p.name} 工作表「{sheet.name}」第 {i + 1} 行有 {n:,} 列，超过表格软件的上限 {limits.columns:,} 列；文件已损坏或不是正常表格",
                              f"{p.name}: sheet {sheet.name!r} row {i + 1} has {n:,} columns, over the limit of {limits.columns:,}")
        cells += n
    if cells > limits.cells:
        raise FileRefused(f"{p.name} 工作表「{sheet.name}」有 {cells:,} 个单元格，超过上限 {limits.cells:,}",
                          f"{p.name}: sheet {sheet.name!r} has {cells:,} cells, over the limit of {limits.cells:,}", hint=_CELLS_HINT)


def _nul(p: Path, sheet: str, i: int, j: int) -> FileRefused:
    return FileRefused(f"{p.name} 工作表「{sheet}」第 {i + 1} 行 {column_name(j)} 列含有空字符（NUL, \\x00），文件可能已损坏；请删除该字符后重新保存",
                       f"{p.name}: sheet {sheet!r} row {i + 1} column {column_name(j)} holds a NUL character (\\x00); the file may be damaged")


# -- zip containers: .xlsx and .ods -------------------------------------------------------------------

def _damaged(p: Path, exc: BaseException) -> FileRefused:
    return FileRefused(f"{p.name} 已损坏，无法读取（{type(exc).__name__}: {str(exc)[:120]}）",
                       f"{p.name} is damaged and cannot be read ({type(exc).__name__}: {str(exc)[:120]})")


_CELLS_HINT = ("（可用 SHEQU_IMPORT_MAX_CELLS 调整）", " (see SHEQU_IMPORT_MAX_CELLS)")


def _bomb(p: Path, what_zh: str, what_en: str, hint: Optional[tuple[str, str]] = None) -> FileRefused:
    return FileRefused(f"{p.name} 解压后过大，已拒绝（{what_zh}）；这样的文件会拖垮服务器，请检查文件或拆分后再导入",
                       f"{p.name} unpacks to too much data and was refused ({what_en})", hint=hint)


def _read_zip(p: Path, limits: Limits) -> Book:
    try:
        with zipfile.ZipFile(p) as z:
            infos = z.infolist()
            names = {i.filename for i in infos}
            unpacked = sum(i.file_size for i in infos)
            if unpacked > limits.unpacked:
                raise _bomb(p, f"声明的解压大小 {_size_text(unpacked)}，上限 {_size_text(limits.unpacked)}",
                            f"declared unpacked size {_size_text(unpacked)}, the limit is {_size_text(limits.unpacked)}",
                            hint=("（可用 SHEQU_IMPORT_MAX_UNPACKED 调整）", " (see SHEQU_IMPORT_MAX_UNPACKED)"))
            if "xl/workbook.xml" in names:
                kind = "xlsx"
                structure = _scan_xlsx(p, z, limits)
            elif "content.xml" in names and _zip_text(z, "mimetype", 200).strip() == "application/vnd.oasis.opendocument.spreadsheet":
                kind = "ods"
                structure = _scan_ods(p, z, limits)
            elif "mimetype" in names and "content.xml" in names:
                raise FileRefused(f"{p.name} 是 OpenDocument 文件，但不是表格（.ods）", f"{p.name} is an OpenDocument file but not a spreadsheet (.ods)")
            elif "word/document.xml" in names:
                raise FileRefused(f"{p.name} 是 Word 文档，不是表格", f"{p.name} is a Word document, not a spreadsheet")
            else:
                raise FileRefused(f"{p.name} 是压缩包，但不是 .xlsx 或 .ods 表格", f"{p.name} is a zip archive but not an .xlsx or .ods workbook")
    except FileRefused:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise FileRefused(f"{p.name} 已损坏或不完整（无法作为 .xlsx/.ods 打开：{exc}）", f"{p.name} is damaged or truncated (not a readable workbook: {exc})") from None
    except Exception as exc:  # zlib.error, XML errors… from a damaged member
        raise _damaged(p, exc) from None
    return _read_calamine(p, kind, structure)


def _zip_text(z: zipfile.ZipFile, name: str, limit: int) -> str:
    try:
        with z.open(name) as fh:
            return fh.read(limit).decode("utf-8", "replace")
    except KeyError:
        return ""


@dataclass
class SheetStructure:
    """What the file says about one sheet beyond its values."""

    hidden_rows: set[int] = field(default_factory=set)  # 0-based
    hidden_column_ranges: list[tuple[int, int]] = field(default_factory=list)  # 0-based, inclusive
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # formula error values calamine reads as empty
    state: str = "visible"


_CHUNK = 1 << 20
_ROW_TAG = re.compile(rb"<(?:[A-Za-z][\w.-]*:)?row\b([^>]*)>")
_COL_TAG = re.compile(rb"<(?:[A-Za-z][\w.-]*:)?col\b([^>]*)>")
_CELL_TAG = re.compile(rb"<(?:[A-Za-z][\w.-]*:)?c[\s/>]")
_MERGE_TAG = re.compile(rb"<(?:[A-Za-z][\w.-]*:)?mergeCell\b[^>]*\bref=\"([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?\"")
_DIMENSION = re.compile(rb"<(?:[A-Za-z][\w.-]*:)?dimension\b[^>]*\bref=\"([A-Z]*)(\d*)(?::([A-Z]+)(\d+))?\"")
_ERROR_CELL = re.compile(rb"<(?:[A-Za-z][\w.-]*:)?c\b([^>]*\bt=\"e\"[^>]*)>(.*?)</(?:[A-Za-z][\w.-]*:)?c>", re.S)
_ERROR_VALUE = re.compile(rb"<(?:[A-Za-z][\w.-]*:)?v>([^<]*)<")
_ATTR = re.compile(rb"\b([\w:]+)=\"([^\"]*)\"")
_REF = re.compile(rb"([A-Z]+)(\d+)")


def _attrs(raw: bytes) -> dict[bytes, bytes]:
    return dict(_ATTR.findall(raw))


def _truthy(v: Optional[bytes]) -> bool:
    return v in (b"1", b"true")


def _xlsx_sheet_parts(z: zipfile.ZipFile) -> list[tuple[str, str, str]]:
    """``(name, part, state)`` of every sheet, in workbook order."""
    ns_r = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    wb_xml = ET.fromstring(z.read("xl/workbook.xml"))
    rels = {}
    try:
        for rel in ET.fromstring(z.read("xl/_rels/workbook.xml.rels")):
            target = rel.get("Target", "")
            part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
            rels[rel.get("Id")] = os.path.normpath(part).replace(os.sep, "/")
    except KeyError:
        pass
    out = []
    for el in wb_xml.iter():
        if el.tag.rsplit("}", 1)[-1] == "sheet":
            rid = el.get(f"{{{ns_r}}}id") or el.get("id")
            out.append((el.get("name", ""), rels.get(rid, ""), el.get("state", "visible")))
    return out


def _scan_xlsx(p: Path, z: zipfile.ZipFile, limits: Limits) -> dict[str, SheetStructure]:
    """Stream each sheet's XML once: dimension, cell count, hidden rows and columns, merges, error cells."""
    out: dict[str, SheetStructure] = {}
    names = set(z.namelist())
    for name, part, state in _xlsx_sheet_parts(z):
        st = SheetStructure(state=state)
        out[name] = st
        if part not in names or state != "visible" and name != META_SHEET:
            continue
        cells = 0
        seen_dimension = False
        tail = b""
        with z.open(part) as fh:
            while True:
                chunk = fh.read(_CHUNK)
                buf = tail + chunk
                if chunk:
                    cut = buf.rfind(b"</c>")
                    cut = cut + 4 if cut >= 0 else max(buf.rfind(b"</row>") + 6 if b"</row>" in buf else 0, buf.rfind(b"/>") + 2)
                    if cut <= 0:
                        tail = buf
                        continue
                    part_, tail = buf[:cut], buf[cut:]
                else:
                    part_, tail = buf, b""
                if not seen_dimension:  # <dimension> comes before <sheetData>: look in the first piece only
                    seen_dimension = True
                    m = _DIMENSION.search(part_) if b"dimension" in part_ else None
                    if m is not None:
                        _check_dimension(p, name, m, limits)
                if b":c " in part_ or b":c>" in part_:  # namespace-prefixed cells (<x:c …>): the slower regex
                    cells += len(_CELL_TAG.findall(part_))
                else:
                    cells += part_.count(b"<c ") + part_.count(b"<c>") + part_.count(b"<c/")
                if cells > limits.cells:
                    raise _bomb(p, f"工作表「{name}」超过 {limits.cells:,} 个单元格",
                                f"sheet {name!r} holds more than {limits.cells:,} cells", hint=_CELLS_HINT)
                if b"hidden" in part_:
                    for raw in _ROW_TAG.findall(part_):
                        if b"hidden" in raw:
                            a = _attrs(raw)
                            if _truthy(a.get(b"hidden")) and a.get(b"r", b"").isdigit():
                                st.hidden_rows.add(int(a[b"r"]) - 1)
                    for raw in _COL_TAG.findall(part_):
                        a = _attrs(raw)
                        if _truthy(a.get(b"hidden")) and a.get(b"min", b"").isdigit() and a.get(b"max", b"").isdigit():
                            st.hidden_column_ranges.append((int(a[b"min"]) - 1, int(a[b"max"]) - 1))
                if b"mergeCell" in part_:
                    for c0, r0, c1, r1 in _MERGE_TAG.findall(part_):
                        if c1:
                            st.merged.append((int(r0) - 1, _column_index(c0.decode()), int(r1) - 1, _column_index(c1.decode())))
                if b't="e"' in part_:
                    for raw, body in _ERROR_CELL.findall(part_):
                        ref = _attrs(raw).get(b"r")
                        v = _ERROR_VALUE.search(body)
                        m = _REF.fullmatch(ref or b"")
                        if m and v:
                            st.errors[(int(m.group(2)) - 1, _column_index(m.group(1).decode()))] = v.group(1).decode("utf-8", "replace")
                if not chunk:
                    break
    return out


def _check_dimension(p: Path, sheet: str, m: re.Match, limits: Limits) -> None:
    c0, r0, c1, r1 = m.groups()
    if not c1:
        return
    cols = _column_index(c1.decode()) - _column_index((c0 or b"A").decode()) + 1
    if cols > limits.columns:
        raise FileRefused(f"{p.name} 工作表「{sheet}」声明有 {cols:,} 列，超过表格软件的上限 {limits.columns:,} 列；文件已损坏或不是正常表格",
                          f"{p.name}: sheet {sheet!r} declares {cols:,} columns, over the limit of {limits.columns:,}")
    rows = int(r1) - int(r0 or 1) + 1
    if rows * cols > 4 * limits.cells:  # far beyond the limit: no need to count (a lying small one is counted)
        raise _bomb(p, f"工作表「{sheet}」声明有 {rows:,} 行 × {cols:,} 列，超过 {limits.cells:,} 个单元格的上限",
                    f"sheet {sheet!r} declares {rows:,} rows × {cols:,} columns, over the limit of {limits.cells:,} cells")


_ODS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODS_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_ODS_CALCEXT = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"


def _scan_ods(p: Path, z: zipfile.ZipFile, limits: Limits) -> dict[str, SheetStructure]:
    """Hidden (collapsed or filtered) rows and columns, merges, error cells and the cell count from content.xml."""
    T = f"{{{_ODS_TABLE}}}"
    out: dict[str, SheetStructure] = {}
    st: Optional[SheetStructure] = None
    name = ""
    row = col = colpos = cells = 0
    row_repeat = 1
    pending_error: Optional[tuple[int, int]] = None
    with z.open("content.xml") as fh:
        for event, el in ET.iterparse(fh, events=("start", "end")):
            tag = el.tag
            if not tag.startswith(T):
                if event == "end" and pending_error is not None and tag.endswith("}p") and st is not None:
                    st.errors[pending_error] = (el.text or "").strip()
                    pending_error = None
                continue
            local = tag[len(T):]
            if event == "start":
                if local == "table":
                    name = el.get(f"{T}name", "")
                    st = out[name] = SheetStructure()
                    row = colpos = cells = 0
                elif st is None:
                    continue
                elif local == "table-column":
                    n = int(el.get(f"{T}number-columns-repeated", "1"))
                    if el.get(f"{T}visibility", "visible") != "visible":
                        st.hidden_column_ranges.append((colpos, colpos + n - 1))
                    colpos += n
                elif local == "table-row":
                    row_repeat = int(el.get(f"{T}number-rows-repeated", "1"))
                    col = 0
                    if el.get(f"{T}visibility", "visible") != "visible":
                        st.hidden_rows.update(range(row, row + min(row_repeat, 1 << 20)))
                elif local in ("table-cell", "covered-table-cell"):
                    n = int(el.get(f"{T}number-columns-repeated", "1"))
                    if el.get(f"{{{_ODS_OFFICE}}}value-type") is not None:
                        cells += n * row_repeat
                        if cells > limits.cells:
                            raise _bomb(p, f"工作表「{name}」超过 {limits.cells:,} 个单元格",
                                        f"sheet {name!r} holds more than {limits.cells:,} cells", hint=_CELLS_HINT)
                    if local == "table-cell":
                        rs = int(el.get(f"{T}number-rows-spanned", "1"))
                        cs = int(el.get(f"{T}number-columns-spanned", "1"))
                        if rs > 1 or cs > 1:
                            st.merged.append((row, col, row + rs - 1, col + cs - 1))
                        if el.get(f"{{{_ODS_CALCEXT}}}value-type") == "error":
                            pending_error = (row, col)
                    col += n
            else:
                if local == "table-row" and st is not None:
                    row += row_repeat
                    el.clear()
                elif local == "table":
                    st = None
    return out


def _read_calamine(p: Path, kind: str, structure: Optional[dict[str, SheetStructure]]) -> Book:
    import python_calamine

    try:
        wb = python_calamine.CalamineWorkbook.from_path(str(p))
    except Exception as exc:  # CalamineError, XmlError, ZipError, PasswordError …
        if type(exc).__name__ == "PasswordError":
            raise FileRefused(f"{p.name} 设置了打开密码，请取消密码后再导入", f"{p.name} is password-protected; remove the password first") from None
        raise _damaged(p, exc) from None
    meta: dict[str, str] = {}
    sheets = []
    try:
        for info in wb.sheets_metadata:
            visible = str(info.visible).rsplit(".", 1)[-1] == "Visible"
            if "WorkSheet" not in str(info.typ) and info.name != META_SHEET:
                continue
            st = (structure or {}).get(info.name) or SheetStructure()
            ws = wb.get_sheet_by_name(info.name)
            if info.name == META_SHEET:
                for row in ws.to_python(skip_empty_area=False):
                    if row and row[0] not in (None, "") and len(row) > 1:
                        meta[str(row[0])] = "" if row[1] in (None, "") else str(row[1])
                continue
            if info.name == LISTS_SHEET or not visible or st.state != "visible":
                continue
            merged = st.merged
            if not merged and kind != "ods":
                merged = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in (ws.merged_cell_ranges or [])]
            rows = _sheet_rows(p, info.name, ws.to_python(skip_empty_area=False), st.errors)
            _expand_merged(rows, merged)
            sheets.append(_with_hidden(Sheet(name=info.name, rows=rows, merged=merged), st))
    except FileRefused:
        raise
    except Exception as exc:
        raise FileRefused(f"{p.name} 已损坏，无法读取工作表（{type(exc).__name__}: {str(exc)[:120]}）",
                          f"{p.name} is damaged: a sheet cannot be read ({type(exc).__name__}: {str(exc)[:120]})") from None
    finally:
        wb.close()
    return Book(path=p, kind=kind, sheets=sheets, meta=meta)


def _with_hidden(sheet: Sheet, st: SheetStructure) -> Sheet:
    """Keep the hidden rows and columns that hold something (empty hidden ones do not matter)."""
    rows = sheet.rows
    sheet.hidden_rows = sorted(i for i in st.hidden_rows if i < len(rows) and any(v is not None for v in rows[i]))
    width = max((len(r) for r in rows), default=0)
    cols = set()
    for a, b in st.hidden_column_ranges:
        for j in range(max(a, 0), min(b, width - 1) + 1):
            if any(j < len(r) and r[j] is not None for r in rows):
                cols.add(j)
    sheet.hidden_columns = sorted(cols)
    return sheet


_EPOCH_TIME = dt.time()


def _sheet_rows(p: Path, name: str, grid: Iterable[list], errors: dict[tuple[int, int], str]) -> list[list[Any]]:
    """Calamine's grid in the shape openpyxl gave: ``None`` for empty cells, whole numbers as
    ``int``, dates as ``datetime``, trailing empties trimmed; formula error values put back."""
    rows: list[list[Any]] = []
    blank_run = 0
    for i, row in enumerate(grid):
        values = row
        for j, v in enumerate(row):
            tv = type(v)
            if tv is str:
                if not v:
                    values[j] = None
                elif "\x00" in v:
                    raise _nul(p, name, i, j)
            elif tv is float:
                if v.is_integer() and abs(v) < 2**53:
                    values[j] = int(v)
            elif tv is dt.date:
                values[j] = dt.datetime.combine(v, _EPOCH_TIME)
        while values and values[-1] is None:
            values.pop()
        if values:
            blank_run = 0
        else:
            blank_run += 1
            if blank_run > MAX_BLANK_RUN:
                break
        rows.append(values)
    for (i, j), text in errors.items():
        if i < len(rows):
            row = rows[i]
            if j >= len(row):
                row.extend([None] * (j + 1 - len(row)))
            if row[j] is None:
                row[j] = text
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _expand_merged(rows: list[list[Any]], merged: list[tuple[int, int, int, int]]) -> None:
    """Every cell of a merged range gets the anchor's (top-left) value, down and across."""
    for r0, c0, r1, c1 in merged:
        if r0 >= len(rows):
            continue
        anchor = rows[r0][c0] if c0 < len(rows[r0]) else None
        if anchor is None:
            continue
        for i in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[i]
            if len(row) <= c1:
                row.extend([None] * (c1 + 1 - len(row)))
            for j in range(c0, c1 + 1):
                row[j] = anchor


# -- .xls (BIFF8 in an OLE compound file) -----------------------------------------------------------

def _read_xls(p: Path, limits: Limits) -> Book:
    try:
        structure = _scan_xls(p.read_bytes(), limits, p)
    except FileRefused:
        raise
    except Exception as exc:
        raise FileRefused(f"{p.name} 已损坏，或不是 Excel 97-2003 (.xls) 表格（{type(exc).__name__}: {str(exc)[:100]}）",
                          f"{p.name} is damaged or not an Excel 97-2003 (.xls) workbook ({type(exc).__name__}: {str(exc)[:100]})") from None
    return _read_calamine(p, "xls", structure)


_XLS_ERRORS = {0x00: "#NULL!", 0x07: "#DIV/0!", 0x0F: "#VALUE!", 0x17: "#REF!", 0x1D: "#NAME?", 0x24: "#NUM!", 0x2A: "#N/A"}
_XLS_CELL_RECORDS = {0x00FD, 0x0203, 0x027E, 0x0006, 0x0205, 0x0204, 0x0201, 0x00D6}


def _ole_stream(data: bytes, wanted: tuple[str, ...]) -> bytes:
    """The named stream of an OLE compound file (the container of .xls), read by its FAT chains."""
    if len(data) < 512 or not data.startswith(OLE_MAGIC):
        raise ValueError("not an OLE compound file")
    sector = 1 << struct.unpack_from("<H", data, 0x1E)[0]
    mini_sector = 1 << struct.unpack_from("<H", data, 0x20)[0]
    n_fat, first_dir = struct.unpack_from("<II", data, 0x2C)
    cutoff, first_minifat, n_minifat, first_difat, n_difat = struct.unpack_from("<IIIII", data, 0x38)
    n_sectors = max(0, (len(data) - sector) // sector)
    if sector not in (512, 4096) or n_fat > n_sectors + 1:
        raise ValueError("bad compound file header")

    def read_sector(n: int) -> bytes:
        if not 0 <= n < n_sectors:
            raise ValueError(f"sector {n} out of range")
        return data[(n + 1) * sector:(n + 2) * sector]

    difat = list(struct.unpack_from("<109I", data, 0x4C))
    nxt, seen = first_difat, 0
    while nxt < 0xFFFFFFFA and seen <= n_difat:
        block = read_sector(nxt)
        entries = struct.unpack(f"<{sector // 4}I", block)
        difat.extend(entries[:-1])
        nxt, seen = entries[-1], seen + 1
    fat: list[int] = []
    for s in difat[:n_fat]:
        fat.extend(struct.unpack(f"<{sector // 4}I", read_sector(s)))

    def chain(start: int, table: list[int], limit: int) -> list[int]:
        out = []
        while start < 0xFFFFFFFA:
            if len(out) > limit or start >= len(table):
                raise ValueError("broken sector chain")
            out.append(start)
            start = table[start]
        return out

    directory = b"".join(read_sector(s) for s in chain(first_dir, fat, n_sectors))
    entries = []
    for off in range(0, len(directory) - 127, 128):
        name_len = struct.unpack_from("<H", directory, off + 64)[0]
        name = directory[off:off + max(0, min(name_len, 64) - 2)].decode("utf-16-le", "replace")
        kind = directory[off + 66]
        start, size = struct.unpack_from("<II", directory, off + 116)
        entries.append((name, kind, start, size))
    root = next((e for e in entries if e[1] == 5), None)
    for want in wanted:
        for name, kind, start, size in entries:
            if kind != 2 or name != want:
                continue
            if size >= cutoff or root is None:
                body = b"".join(read_sector(s) for s in chain(start, fat, n_sectors))
                return body[:size]
            minifat: list[int] = []
            for s in chain(first_minifat, fat, n_sectors)[:n_minifat]:
                minifat.extend(struct.unpack(f"<{sector // 4}I", read_sector(s)))
            ministream = b"".join(read_sector(s) for s in chain(root[2], fat, n_sectors))
            body = b"".join(ministream[m * mini_sector:(m + 1) * mini_sector] for m in chain(start, minifat, len(minifat)))
            return body[:size]
    raise ValueError("no Workbook stream")


def _scan_xls(data: bytes, limits: Limits, p: Path) -> dict[str, SheetStructure]:
    """Hidden rows (ROW records), hidden columns (COLINFO), formula error values and the cell
    count of every worksheet, from the BIFF8 records of the Workbook stream."""
    wb = _ole_stream(data, ("Workbook", "Book"))
    sheets: list[tuple[str, int, int]] = []
    pos = 0
    while pos + 4 <= len(wb):  # the globals substream: BOUNDSHEET8 records until EOF
        rid, size = struct.unpack_from("<HH", wb, pos)
        body = wb[pos + 4:pos + 4 + size]
        pos += 4 + size
        if rid == 0x0085 and len(body) >= 8:
            offset, state, _typ, cch, flags = struct.unpack_from("<IBBBB", body, 0)
            raw = body[8:]
            name = raw[:cch * 2].decode("utf-16-le", "replace") if flags & 1 else raw[:cch].decode("latin-1")
            sheets.append((name, offset, state))
        elif rid == 0x000A:
            break
    out: dict[str, SheetStructure] = {}
    for name, offset, state in sheets:
        st = out[name] = SheetStructure(state="visible" if state == 0 else "hidden")
        pos, cells = offset, 0
        while pos + 4 <= len(wb):
            rid, size = struct.unpack_from("<HH", wb, pos)
            body = wb[pos + 4:pos + 4 + size]
            pos += 4 + size
            if rid == 0x000A:
                break
            if rid in _XLS_CELL_RECORDS or rid in (0x00BD, 0x00BE):
                cells += max(1, (size - 6) // 6) if rid == 0x00BD else max(1, (size - 6) // 2) if rid == 0x00BE else 1
                if cells > limits.cells:
                    raise _bomb(p, f"工作表「{name}」超过 {limits.cells:,} 个单元格",
                                f"sheet {name!r} holds more than {limits.cells:,} cells", hint=_CELLS_HINT)
            if rid == 0x0208 and len(body) >= 16:
                row, flags = struct.unpack_from("<H", body, 0)[0], struct.unpack_from("<H", body, 12)[0]
                if flags & 0x20:
                    st.hidden_rows.add(row)
            elif rid == 0x007D and len(body) >= 10:
                first, last, _w, _xf, flags = struct.unpack_from("<HHHHH", body, 0)
                if flags & 1:
                    st.hidden_column_ranges.append((first, last))
            elif rid == 0x0205 and len(body) >= 8 and body[7] == 1:  # BOOLERR holding an error
                r, c = struct.unpack_from("<HH", body, 0)
                st.errors[(r, c)] = _XLS_ERRORS.get(body[6], "#N/A")
            elif rid == 0x0006 and len(body) >= 14 and body[12:14] == b"\xff\xff" and body[6] == 2:  # FORMULA with an error result
                r, c = struct.unpack_from("<HH", body, 0)
                st.errors[(r, c)] = _XLS_ERRORS.get(body[8], "#N/A")
    return out


# -- CSV ------------------------------------------------------------------------------------------

def detect_encoding(data: bytes, name: str = "文件") -> tuple[str, str]:
    """``(encoding, text)`` for CSV bytes; raise :class:`FileRefused` for mixed or unknown encodings."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return "utf-8-sig", data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _mixed(data, name, exc) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return "utf-16", data.decode("utf-16")
        except UnicodeDecodeError:
            raise FileRefused(f"{name} 以 UTF-16 开头但内容无法解码", f"{name} starts as UTF-16 but does not decode") from None
    try:
        return "utf-8", data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    # Not UTF-8 as a whole: if some lines are non-ASCII UTF-8 and others are not, the file mixes encodings.
    utf8_lines, other_lines = [], []
    for n, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8_lines.append(n)
        except UnicodeDecodeError:
            other_lines.append(n)
    if utf8_lines and other_lines:
        raise _mixed(data, name, utf8_error, utf8_lines[0], other_lines[0])
    try:
        return "gb18030", data.decode("gb18030")
    except UnicodeDecodeError:
        raise FileRefused(f"{name} 的编码无法识别（不是 UTF-8，也不是 GBK/GB18030）", f"{name} has an unknown encoding (neither UTF-8 nor GBK/GB18030)") from None


def _mixed(data: bytes, name: str, exc, utf8_line: Optional[int] = None, other_line: Optional[int] = None) -> FileRefused:
    if utf8_line is None:
        line = data[: exc.start].count(b"\n") + 1
        return FileRefused(f"{name} 混用了多种文字编码：标明为 UTF-8，但第 {line} 行不是 UTF-8（可能是 GBK）；请整体另存为 UTF-8 或 GBK",
                           f"{name} mixes encodings: it is marked UTF-8 but line {line} is not UTF-8 (GBK?); save the whole file in one encoding")
    return FileRefused(f"{name} 混用了多种文字编码：第 {utf8_line} 行是 UTF-8，第 {other_line} 行是 GBK 等其他编码；请整体另存为一种编码",
                       f"{name} mixes encodings: line {utf8_line} is UTF-8 but line {other_line} is GBK or another encoding; save the whole file in one encoding")


def _read_csv(p: Path, data: bytes) -> Book:
    encoding, text = detect_encoding(data, p.name)
    sample = text[:20000]
    delimiter = ","
    first_lines = [ln for ln in sample.splitlines()[:20] if ln.strip()]
    counts = {d: sum(ln.count(d) for ln in first_lines) for d in (",", "\t", ";", "，")}
    best = max(counts, key=counts.get)
    if counts[best] > 0:
        delimiter = best
    if delimiter == "，":  # a full-width comma as separator: make it ASCII first
        text, delimiter = text.replace("，", ","), ","
    try:
        rows = [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise FileRefused(f"{p.name} 不是有效的 CSV 文件：{exc}", f"{p.name} is not valid CSV: {exc}") from None
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    if not rows:
        raise FileRefused(f"文件中没有任何内容：{p.name}", f"the file holds no content: {p.name}")
    if "\x00" in text:
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                if "\x00" in v:
                    raise _nul(p, p.stem, i, j)
    return Book(path=p, kind="csv", sheets=[Sheet(name=p.stem, rows=rows)], encoding=encoding)
