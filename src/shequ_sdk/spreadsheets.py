"""Spreadsheets in and out of a shequ database — the public entry points.

::

    import shequ_sdk
    from shequ_sdk import spreadsheets as xl

    sdk = shequ_sdk.open("demo.db")
    xl.write_template_for(sdk, "household", region="新尚村社区", period="2010Q4", out="户.xlsx")
    result = xl.import_file(sdk, "户.xlsx", dry_run=True)     # new / changed / unchanged, nothing written
    print(result.summary()); print("\\n".join(result.report_lines()))
    data = xl.export_bytes(sdk, "household", region="茅草街镇", fmt="xlsx")

    # dashboards: any DataFrame on its way to a download button
    payload = xl.to_xlsx_bytes(df, table="household")      # masked and formula-safe
    safe = xl.safe_frame(df, table="household")

See ``docs/spreadsheets.md`` for the file format, the tolerated quirks and the limits.
"""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from .excel import (DEFAULT_MAX_BYTES, FileRefused, ImportResult, RowPlan, detect_encoding, export_frame, import_file,
                    neutralise, problem_line, read_book, resolve_table_name, safe_frame, select_rows, table_columns,
                    to_csv_bytes, to_xlsx_bytes, unneutralise, write_template)
from .errors import InputError
from .period import Period
from .plugins import registry
from .regions import find_region

__all__ = [
    "write_template_for", "import_file", "export_bytes", "safe_frame", "to_xlsx_bytes", "to_csv_bytes", "export_frame",
    "table_catalogue", "neutralise", "unneutralise", "ImportResult", "RowPlan", "FileRefused", "DEFAULT_MAX_BYTES",
    "detect_encoding", "read_book", "problem_line", "resolve_table_name", "select_rows", "table_columns", "write_template",
    "template_masked",
]


def write_template_for(sdk, table: str, *, region, period, out, blank_rows: int = 200) -> Path:
    """Write the fill-in template of ``table`` for ``region`` and ``period`` (see :func:`write_template`).

    The user's scope applies (a template carries the region's rows), and so does their masking:
    each sensitive column is masked and locked unless :func:`template_masked` lets the user read it."""
    rt = resolve_table_name(table)
    p = Period.parse(period)
    sdk.readable_region(region)  # a template carries the region's rows: the user's scope applies
    with Session(sdk.engine) as s:
        r = find_region(s, region)
        return write_template(s, rt, r, p, out, blank_rows=blank_rows, masked=template_masked(sdk, rt))


def template_masked(sdk, rt) -> frozenset[str]:
    """The sensitive fields of ``rt`` a template for ``sdk``'s user shows masked: those the role may
    not read in clear (``frames.may_unmask``, as an API read with ``unmasked=True`` decides). The
    local single user (no user, no role: the owner of the database file) gets the clear working copy."""
    from .frames import may_unmask

    if sdk.user is None and sdk.role is None:
        return frozenset()
    return frozenset(f.name for f in rt.fields if f.sensitive and not may_unmask(sdk.role, rt, f))


def export_bytes(sdk, table: str, *, region=None, period=None, fmt: str = "xlsx", encoding: str = "utf-8-sig") -> bytes:
    """An export of ``table`` (optionally one region and below, one period) as .xlsx or CSV bytes."""
    rt = resolve_table_name(table)
    if fmt not in ("xlsx", "csv"):
        raise InputError(f"不支持的导出格式 {fmt!r}（可用 xlsx、csv）", f"unsupported export format {fmt!r} (xlsx or csv)")
    p = Period.parse(period) if period else None
    if p is not None and not (rt.date_field or rt.period_field):
        raise InputError(f"{rt.label_zh}没有日期或期间列，不能按期间导出（去掉 --period）",
                         f"{rt.label_en} has no date or period column to filter by (drop --period)")
    r = sdk.readable_region(region)  # checked against the user's scope; no region: a scoped user's own scope
    with Session(sdk.engine) as s:
        df = export_frame(s, rt, region=r, period=p)
    if fmt == "csv":
        return to_csv_bytes(df, table=rt, encoding=encoding)
    where = " · ".join(x for x in (r.name if r else None, p.label("zh") if p else None) if x)
    return to_xlsx_bytes(df, table=rt, sheet_name=rt.label_zh, title=f"{rt.label_zh}" + (f"（{where}）" if where else ""))


def table_catalogue() -> list[dict]:
    """Every registered table with its natural key (the import's identity), level and time column."""
    reg = registry()
    out = []
    for key, rt in sorted(reg.tables.items()):
        cols = table_columns(rt)

        def label(name):
            try:
                return cols.get(name).header
            except KeyError:
                return name

        out.append({
            "key": key, "label_zh": rt.label_zh, "label_en": rt.label_en, "plugin": reg.owner.get(("tables", key)),
            "level": rt.level, "natural_key": list(rt.natural_key), "natural_key_zh": [label(c) for c in rt.natural_key],
            "date_field": rt.date_field, "period_field": rt.period_field, "period_kind": rt.period_kind,
            "columns": [c.header for c in cols.columns],
            "sensitive_columns": [c.header for c in cols.columns if c.info is not None and c.info.sensitive],
        })
    return out

