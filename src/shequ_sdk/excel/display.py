"""Stored rows as people read them: region names, choice labels, 元 instead of fen, keys
instead of foreign-key ids. Shared by templates and exports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Iterable, Optional

from sqlalchemy import select
from sqlmodel import Session

from ..errors import InputError
from ..models import Region
from ..period import KINDS, Period
from ..plugins import registry
from ..regions import any_in_scope, find_region
from ..registry import RecordTable
from .columns import Column, TableColumns, table_columns

CENT = Decimal("0.01")


def resolve_table_name(name: str) -> RecordTable:
    """A registered table by key, Chinese label or English label."""
    reg = registry()
    if name in reg.tables:
        return reg.tables[name]
    for rt in reg.tables.values():
        if name.strip() in (rt.label_zh, rt.label_en):
            return rt
    return reg.table(name)  # raises NotFoundError listing the known keys


def period_value(rt: RecordTable, period: Period) -> Any:
    """How ``rt``'s period column stores ``period``: ``"2010Q4"``, or ``2010`` in an integer year column."""
    if rt.field(rt.period_field).python_type is int:
        return period.year
    return str(period)


def period_labels(rt: RecordTable, period: Period) -> list:
    """The values of ``rt``'s period column that fall in ``period``."""
    kind = rt.period_kind
    if KINDS.index(kind) >= KINDS.index(period.kind):
        return [period_value(rt, p) for p in period.subperiods(kind)]
    return [period_value(rt, Period.containing(period.start, kind))]


def select_rows(session: Session, rt: RecordTable, *, region: Optional[Region] = None, period: Optional[Period] = None,
                exact_region: bool = False) -> list[dict]:
    """Stored rows of ``rt`` in ``region`` (and below it, unless ``exact_region``) and ``period``."""
    tbl = rt.model.__table__
    stmt = select(tbl)
    if region is not None:
        if exact_region:
            stmt = stmt.where(tbl.c.region_id == region.id)
        else:
            stmt = stmt.where(tbl.c.region_id.in_(select(Region.id).where(any_in_scope(region))))
    if period is not None:
        if rt.date_field:
            col = tbl.c[rt.date_field]
            stmt = stmt.where(col >= period.start, col <= period.end)
        elif rt.period_field:
            stmt = stmt.where(tbl.c[rt.period_field].in_(period_labels(rt, period)))
    stmt = stmt.order_by(tbl.c.region_id, tbl.c.id)
    return [dict(r) for r in session.execute(stmt).mappings()]


class Displayer:
    """Turns stored values into display values for one table, caching the lookups."""

    def __init__(self, session: Session, cols: TableColumns):
        self.session = session
        self.cols = cols
        self.region_names: dict[int, str] = {}
        self.fk_values: dict[str, dict[int, Any]] = {}

    def prepare(self, rows: list[dict]) -> None:
        region_ids = {r.get("region_id") for r in rows}
        for col in self.cols.columns:
            if col.kind == "region_ref":
                region_ids |= {r.get(col.name) for r in rows}
        region_ids.discard(None)
        missing = [i for i in region_ids if i not in self.region_names]
        for i in range(0, len(missing), 500):
            for rid, name in self.session.execute(select(Region.id, Region.name).where(Region.id.in_(missing[i: i + 500]))):
                self.region_names[rid] = name
        for col in self.cols.columns:
            if col.kind != "fk" or not col.fk_chain:
                continue
            ids = {r.get(col.name) for r in rows} - {None}
            self.fk_values[col.name] = chain_display(self.session, col.fk_chain, ids)

    def value(self, col: Column, stored: Any) -> Any:
        if stored is None:
            return None
        if col.kind in ("region", "region_ref"):
            return self.region_names.get(stored, stored)
        if col.kind == "fk":
            return self.fk_values.get(col.name, {}).get(stored, stored) if col.fk_chain else stored
        if col.kind == "money":
            return (Decimal(int(stored)) / 100).quantize(CENT)
        if col.kind == "choice":
            return col.info.choice_label(stored)
        if col.kind == "bool":
            return "是" if stored else "否"
        if isinstance(stored, dt.datetime) and stored.tzinfo is not None:
            return stored.replace(tzinfo=None)
        return stored

    def row(self, stored: dict) -> list[Any]:
        return [self.value(c, stored.get(c.name)) for c in self.cols.columns]


def chain_display(session: Session, chain: list[tuple[str, str]], ids: set) -> dict[Any, Any]:
    """``{id: shown value}`` following a foreign-key display chain (see ``columns._display_chain``)."""
    reg = registry()
    current = {i: i for i in ids}  # original id -> id in the current table
    for table, column in chain:
        tbl = reg.tables[table].model.__table__
        wanted = list(set(current.values()) - {None})
        step: dict[Any, Any] = {}
        for chunk in iter_chunks(wanted):
            for tid, val in session.execute(select(tbl.c.id, tbl.c[column]).where(tbl.c.id.in_(chunk))):
                step[tid] = val
        current = {orig: step.get(cur) for orig, cur in current.items()}
    return {k: v for k, v in current.items() if v is not None}


def display_rows(session: Session, rt: RecordTable, rows: list[dict]) -> tuple[TableColumns, list[list[Any]]]:
    cols = table_columns(rt)
    d = Displayer(session, cols)
    d.prepare(rows)
    return cols, [d.row(r) for r in rows]


def find_region_or_none(session: Session, region) -> Optional[Region]:
    if region is None or region == "":
        return None
    return find_region(session, region)


def parse_period_or_none(period) -> Optional[Period]:
    if period is None or period == "":
        return None
    try:
        return Period.parse(period)
    except InputError:
        from .cells import CellError, parse_period

        try:
            return parse_period(period)
        except CellError:
            raise InputError(f"无法识别的期间 {period!r}（应为 2010、2010Q4 或 2010-12）", f"malformed period {period!r}") from None


def iter_chunks(items: list, size: int = 500) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i: i + size]
