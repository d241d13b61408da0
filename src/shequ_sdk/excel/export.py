"""Exports and downloads: Chinese headers, choice labels, 元, masked personal data, inert text.

:func:`safe_frame` is the one function every download goes through (the CLI's ``shequ export``
and the dashboards' download buttons): it masks sensitive columns with
:func:`shequ_sdk.ids.mask` according to field metadata and neutralises formula-like text
(see :func:`shequ_sdk.excel.cells.neutralise`). :func:`to_xlsx_bytes` and :func:`to_csv_bytes`
call it before writing anything.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Optional

import pandas as pd
from sqlmodel import Session

from ..fields import FieldInfo
from ..ids import mask
from ..models import Region
from ..period import Period
from ..plugins import registry
from ..registry import RecordTable
from .cells import header_key, neutralise
from .columns import table_columns
from .display import display_rows, resolve_table_name, select_rows

TABLE_ATTR = "shequ_table"
MONEY_ATTR = "shequ_money_columns"


def export_frame(session: Session, rt: RecordTable, *, region: Optional[Region] = None, period: Optional[Period] = None) -> pd.DataFrame:
    """Rows of ``rt`` (in ``region`` and below, in ``period``) with Chinese headers and display values.

    Not yet safe to hand out: pass it through :func:`safe_frame` (the ``to_*_bytes`` helpers do).
    """
    rows = select_rows(session, rt, region=region, period=period)
    cols, values = display_rows(session, rt, rows)
    df = pd.DataFrame(values, columns=[c.header for c in cols.columns], dtype=object)
    df.attrs[TABLE_ATTR] = rt.key
    df.attrs[MONEY_ATTR] = [c.header for c in cols.columns if c.kind == "money"]
    return df


def _sensitive_columns(df: pd.DataFrame, table) -> dict[str, str]:
    """``{column: mask kind}`` for the columns of ``df`` that hold sensitive values."""
    reg = registry()
    if table is None:
        table = df.attrs.get(TABLE_ATTR)
    if table is not None:
        rt = table if isinstance(table, RecordTable) else resolve_table_name(str(table))
        tables = [rt]
    else:  # unknown origin: mask whatever any registered table marks sensitive (over-masking is the safe side)
        tables = list(reg.tables.values())
    by_key: dict[str, str] = {}
    for rt in tables:
        cols = table_columns(rt)
        infos: list[tuple[FieldInfo, tuple[str, ...]]] = [(c.info, (c.header, *c.aliases)) for c in cols.columns if c.info is not None]
        for info, names in infos:
            if info.sensitive:
                for n in (info.name, info.label_zh, info.label_en, *names):
                    by_key.setdefault(header_key(n), info.sensitive)
    return {c: by_key[header_key(c)] for c in df.columns if header_key(c) in by_key}


def safe_frame(df: pd.DataFrame, table=None, *, mask_sensitive: bool = True) -> pd.DataFrame:
    """A copy of ``df`` that is safe to download.

    - Columns that ``table``'s field metadata marks sensitive (matched by field name or by its
      Chinese/English label) are masked with ``shequ_sdk.ids.mask``; without ``table`` the frame's
      ``attrs["shequ_table"]`` is used, else every registered table's sensitive fields.
    - Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
      apostrophe so no spreadsheet program runs it as a formula. Numbers stay numbers.
    """
    out = df.copy()
    if mask_sensitive:
        for col, kind in _sensitive_columns(df, table).items():
            out[col] = out[col].map(lambda v, k=kind: v if v is None or (isinstance(v, float) and v != v) else mask(v, k))
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].map(neutralise).astype(object)
    out.columns = [neutralise(str(c)) for c in out.columns]
    out.attrs = dict(df.attrs)
    return out


def to_xlsx_bytes(df: pd.DataFrame, *, table=None, sheet_name: str = "数据", title: Optional[str] = None) -> bytes:
    """An .xlsx download of ``df`` after :func:`safe_frame`: bold headers, money as ``#,##0.00``."""
    import openpyxl
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    from .template import HEADER_FILL, sheet_title

    safe = safe_frame(df, table)
    money = set(df.attrs.get(MONEY_ATTR, ()))
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(sheet_title(sheet_name))
    widths = [max(10, min(40, 2 * len(str(c)) + 4)) for c in safe.columns]
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    from openpyxl.cell import WriteOnlyCell

    if title:
        c = WriteOnlyCell(ws, neutralise(title))
        c.font = Font(bold=True, size=13)
        ws.append([c])
    header = []
    for name in safe.columns:
        c = WriteOnlyCell(ws, name)
        c.font = Font(bold=True)
        c.fill = PatternFill("solid", fgColor=HEADER_FILL)
        header.append(c)
    ws.append(header)
    money_idx = {j for j, name in enumerate(df.columns) if name in money}
    for values in safe.itertuples(index=False, name=None):
        row = []
        for j, v in enumerate(values):
            if v is None or (isinstance(v, float) and v != v) or v is pd.NA or v is pd.NaT:
                row.append(None)
                continue
            if isinstance(v, Decimal):
                v = float(v)
            if hasattr(v, "to_pydatetime"):
                v = v.to_pydatetime()
            cell = WriteOnlyCell(ws, v)
            if isinstance(v, str):
                cell.data_type = "s"  # never a formula, whatever the text
            if j in money_idx:
                cell.number_format = "#,##0.00"
            row.append(cell)
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_csv_bytes(df: pd.DataFrame, *, table=None, encoding: str = "utf-8-sig") -> bytes:
    """A CSV download of ``df`` after :func:`safe_frame`; UTF-8 with BOM by default so Excel
    on Chinese Windows opens it correctly (``encoding="gb18030"`` for older programs)."""
    safe = safe_frame(df, table)
    money = set(df.attrs.get(MONEY_ATTR, ()))
    for col in safe.columns:
        if col in money:
            safe[col] = safe[col].map(lambda v: None if v is None else f"{Decimal(v):.2f}")
    text = safe.to_csv(index=False, lineterminator="\r\n", date_format="%Y-%m-%d")
    return text.encode(encoding)
