"""Reading a spreadsheet file into rows of raw cells, refusing what is not one.

- ``.xlsx`` (by content, whatever the name): every visible sheet, values as saved (formula
  results, not formulas), with the template's hidden ``_shequ`` sheet read as metadata.
- CSV/TSV text: the encoding is detected, never assumed — UTF-8 (with or without BOM) is
  tried strictly, then GB18030 (which covers GBK/GB2312, what Excel on Chinese Windows
  writes); UTF-16 with a BOM is what Excel's "Unicode text" gives. A file whose lines are
  partly UTF-8 and partly GBK is refused, naming a line of each.
- The size limit (``SHEQU_IMPORT_MAX_BYTES``, default 50 MiB) applies to the file, and ten
  times that to the unpacked contents of an ``.xlsx`` (a zip bomb stays out).
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ..errors import InputError

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
MAX_BLANK_RUN = 10_000  # stop reading a sheet after this many empty rows in a row (formatted-but-empty tails)
META_SHEET = "_shequ"
LISTS_SHEET = "_lists"


class FileRefused(InputError):
    """The file cannot be read as a spreadsheet at all."""


@dataclass
class Sheet:
    name: str
    rows: list[list[Any]]  # rows[0] is the spreadsheet's row 1

    def row_number(self, index: int) -> int:
        return index + 1


@dataclass
class Book:
    path: Path
    kind: str  # "xlsx" or "csv"
    sheets: list[Sheet]
    meta: dict[str, str] = field(default_factory=dict)
    encoding: Optional[str] = None


def max_bytes_default() -> int:
    raw = os.environ.get("SHEQU_IMPORT_MAX_BYTES")
    if raw:
        try:
            return int(raw)
        except ValueError:
            raise InputError(f"SHEQU_IMPORT_MAX_BYTES 应为整数字节数，收到 {raw!r}", f"SHEQU_IMPORT_MAX_BYTES must be a byte count, got {raw!r}") from None
    return DEFAULT_MAX_BYTES


def _size_text(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MiB"
    if n >= 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n} B"


_MAGIC = (
    (b"\xd0\xcf\x11\xe0", "旧版 Excel (.xls) 或其他旧版 Office 文件，请在表格软件中另存为 .xlsx 或 CSV",
     "an old-format Office file (.xls); save it as .xlsx or CSV"),
    (b"%PDF", "PDF 文件", "a PDF file"),
    (b"\x89PNG", "PNG 图片", "a PNG image"),
    (b"\xff\xd8\xff", "JPEG 图片", "a JPEG image"),
    (b"GIF8", "GIF 图片", "a GIF image"),
    (b"\x1f\x8b", "gzip 压缩文件", "a gzip archive"),
    (b"Rar!", "RAR 压缩文件", "a RAR archive"),
    (b"7z\xbc\xaf", "7z 压缩文件", "a 7z archive"),
    (b"SQLite format 3", "SQLite 数据库", "a SQLite database"),
)


def read_book(path: str | os.PathLike, *, max_bytes: Optional[int] = None) -> Book:
    """Read ``path`` as .xlsx or CSV; raise :class:`FileRefused` with a clear reason otherwise."""
    p = Path(path)
    if not p.exists():
        raise FileRefused(f"文件不存在：{p}", f"no such file: {p}")
    if p.is_dir():
        raise FileRefused(f"{p} 是文件夹，不是表格文件", f"{p} is a directory, not a spreadsheet")
    limit = max_bytes_default() if max_bytes is None else max_bytes
    size = p.stat().st_size
    if size == 0:
        raise FileRefused(f"文件为空（0 字节）：{p.name}", f"the file is empty (0 bytes): {p.name}")
    if size > limit:
        raise FileRefused(f"文件过大：{p.name} 为 {_size_text(size)}，上限 {_size_text(limit)}（可用 --max-bytes 或 SHEQU_IMPORT_MAX_BYTES 调整）",
                          f"file too large: {p.name} is {_size_text(size)}, the limit is {_size_text(limit)} (see --max-bytes / SHEQU_IMPORT_MAX_BYTES)")
    with open(p, "rb") as fh:
        head = fh.read(8192)
    if head.startswith(b"PK"):
        return _read_xlsx(p, limit)
    for magic, zh, en in _MAGIC:
        if head.startswith(magic):
            raise FileRefused(f"{p.name} 不是表格文件：这是{zh}", f"{p.name} is not a spreadsheet: it is {en}")
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileRefused(f"{p.name} 不是表格文件（二进制内容，既不是 .xlsx 也不是 CSV 文本）",
                          f"{p.name} is not a spreadsheet (binary content, neither .xlsx nor CSV text)")
    return _read_csv(p, p.read_bytes())


# -- xlsx ---------------------------------------------------------------------------------------

def _read_xlsx(p: Path, limit: int) -> Book:
    try:
        with zipfile.ZipFile(p) as z:
            names = set(z.namelist())
            unpacked = sum(i.file_size for i in z.infolist())
            if unpacked > 10 * limit:
                raise FileRefused(f"{p.name} 解压后过大（{_size_text(unpacked)}，上限 {_size_text(10 * limit)}）",
                                  f"{p.name} unpacks to {_size_text(unpacked)}, over the limit of {_size_text(10 * limit)}")
            bad = z.testzip()
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise FileRefused(f"{p.name} 已损坏或不完整（无法作为 .xlsx 打开：{exc}）", f"{p.name} is damaged or truncated (not a readable .xlsx: {exc})") from None
    except Exception as exc:  # zlib.error and friends from a damaged member
        if isinstance(exc, FileRefused):
            raise
        raise FileRefused(f"{p.name} 已损坏（{type(exc).__name__}: {exc}）", f"{p.name} is damaged ({type(exc).__name__}: {exc})") from None
    if bad is not None:
        raise FileRefused(f"{p.name} 已损坏（压缩包内 {bad} 校验失败）", f"{p.name} is damaged (checksum error in {bad})")
    if "xl/workbook.xml" not in names:
        if "mimetype" in names and any(n == "content.xml" for n in names):
            raise FileRefused(f"{p.name} 是 OpenDocument (.ods) 文件，请另存为 .xlsx 或 CSV", f"{p.name} is an OpenDocument file (.ods); save it as .xlsx or CSV")
        if "word/document.xml" in names:
            raise FileRefused(f"{p.name} 是 Word 文档，不是表格", f"{p.name} is a Word document, not a spreadsheet")
        raise FileRefused(f"{p.name} 是压缩包，但不是 .xlsx 表格", f"{p.name} is a zip archive but not an .xlsx workbook")
    import openpyxl

    try:
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises KeyError, ValueError, lxml errors… for broken parts
        raise FileRefused(f"{p.name} 已损坏，无法读取（{type(exc).__name__}: {str(exc)[:120]}）",
                          f"{p.name} is damaged and cannot be read ({type(exc).__name__}: {str(exc)[:120]})") from None
    try:
        meta: dict[str, str] = {}
        sheets = []
        for ws in wb.worksheets:
            if ws.title == META_SHEET:
                for row in ws.iter_rows(values_only=True):
                    if row and row[0] is not None and len(row) > 1:
                        meta[str(row[0])] = "" if row[1] is None else str(row[1])
                continue
            if ws.title == LISTS_SHEET or ws.sheet_state != "visible":
                continue
            sheets.append(Sheet(name=ws.title, rows=_sheet_rows(ws)))
    except Exception as exc:
        raise FileRefused(f"{p.name} 已损坏，无法读取工作表（{type(exc).__name__}: {str(exc)[:120]}）",
                          f"{p.name} is damaged: a sheet cannot be read ({type(exc).__name__}: {str(exc)[:120]})") from None
    finally:
        wb.close()
    return Book(path=p, kind="xlsx", sheets=sheets, meta=meta)


def _sheet_rows(ws) -> list[list[Any]]:
    ws.reset_dimensions()  # some writers store a wrong <dimension>; read what is there
    rows: list[list[Any]] = []
    blank_run = 0
    for row in ws.iter_rows(values_only=True):
        values = list(row)
        while values and (values[-1] is None or values[-1] == ""):
            values.pop()
        if values:
            blank_run = 0
        else:
            blank_run += 1
            if blank_run > MAX_BLANK_RUN:
                break
        rows.append(values)
    while rows and not rows[-1]:
        rows.pop()
    return rows


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
    return Book(path=p, kind="csv", sheets=[Sheet(name=p.stem, rows=rows)], encoding=encoding)
