"""The aggregate layer: every indicator part's value per region and period, stored and kept fresh.

The engine (:mod:`shequ_sdk.indicators`) sums each part's per-region rows to the requested area.
This module stores those rows — ``indicator_cell``: one row per period, part and region with a
value (regions without one have no row) — and their sums per township and county
(``indicator_total``), so a reading of an area and period is one indexed read of the stored
values instead of one statement per part over the raw tables.

Which parts are stored. A part is stored when its period ended before today and the SDK can
tell which tables it reads:

- SQL: the tables named in its compiled statement;
- an indicator with ``prepare`` (derived rows brought in step at read time), or a part worked out
  in Python (:meth:`IndicatorQuery.per_region`): only with ``Indicator.reads`` naming the tables
  it reads; otherwise it is computed live on every read;
- the quarter still running is always computed live (its data and its "last day so far" change
  daily).

Parts whose statement for ``as_of`` and for ``as_of`` ten years later compile to the same SQL
with the same parameters do not depend on "today": their cells answer any later day. The others
— statuses such as 未到期 (a due date compared with today), and every Python part, whose use of
"today" cannot be seen — are *dated*: their fingerprint includes the day, so their cells answer
that day's reads only. On the next day reads compute them live (correct on any day) until the
daily round (:func:`outdated`, :class:`Refresher`) stores them for the new day, in the
background and a few periods per transaction, so no read and no write waits for it.

The decision and the tables a part reads are worked out once per process and period kind
(:func:`plan`). ``indicator_built`` records which parts were built for which period, with their
fingerprint: a plugin installed or upgraded is computed live until the daily round stores it.

Freshness. Every write in a session is noticed (:func:`touched` from the validated write path
with the exact regions; session events for everything else: ORM objects with their region, DML
statements as "every region"), and before the session commits the parts that read the written
tables are marked dirty for those regions (``indicator_dirty``). A read uses a part's cells only
when it was built for the period and is not dirty anywhere in the area; otherwise that part is
computed live. So answers are always as fresh as the raw data; a write costs one small insert.
:func:`refresh` then recomputes the dirty cells (the regions concerned, every built period) —
run by ``shequ serve`` in the background a few seconds after writes, by ``shequ analytics
refresh``, and after ``shequ demo`` / ``shequ generate`` / ``shequ migrate``. Reads never write.

A direct database edit bypasses all of this; ``shequ verify`` recomputes a sample of cells (or
all, ``--full``) and names every difference (:func:`check`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import threading
import time
import weakref
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, Callable, Iterable, Optional

from sqlalchemy import delete, event, func, select
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Field, Session, SQLModel

from .period import Period

ALL_REGIONS = 0  # ``indicator_dirty.region_id`` for "every region" (no region has id 0)
FUTURE = dt.timedelta(days=3653)  # the second "today" a part is built for, to find parts that depend on it


class IndicatorCell(SQLModel, table=True):
    """One part's value for one region and period (``part``: ``<indicator key>#n`` or ``#d``)."""

    __tablename__ = "indicator_cell"
    period: str = Field(primary_key=True, max_length=16)
    part: str = Field(primary_key=True, max_length=200)
    region_id: int = Field(primary_key=True, index=True)
    value: str = Field(max_length=80)  # typed text: i:12, d:12.50, f:0.5 (see encode)


class IndicatorTotal(SQLModel, table=True):
    """One part's value summed over a township's or county's area (every region in it, the
    township or county itself included), so a reading of one area is one row per part."""

    __tablename__ = "indicator_total"
    period: str = Field(primary_key=True, max_length=16)
    part: str = Field(primary_key=True, max_length=200)
    region_id: int = Field(primary_key=True)
    value: str = Field(max_length=80)


class IndicatorBuilt(SQLModel, table=True):
    """A part whose cells hold every region's value for a period, built from SQL of this fingerprint."""

    __tablename__ = "indicator_built"
    period: str = Field(primary_key=True, max_length=16)
    part: str = Field(primary_key=True, max_length=200)
    fingerprint: str = Field(max_length=64)


class IndicatorDirty(SQLModel, table=True):
    """A part whose cells of ``region_id`` (0: every region) are stale, in every period.

    A refresh deletes the marks it read, by id, when it is done: ids are never handed out twice
    (SQLite: ``AUTOINCREMENT``; PostgreSQL: a sequence), so a mark made during the refresh, even
    after another refresh emptied the table, is never taken for one it read."""

    __tablename__ = "indicator_dirty"
    __table_args__ = {"sqlite_autoincrement": True}
    id: Optional[int] = Field(default=None, primary_key=True)
    part: str = Field(max_length=200, index=True)
    region_id: int = Field(index=True)


class IndicatorPart(SQLModel, table=True):
    """The tables a stored part reads (comma-separated), found in its SQL when it was built."""

    __tablename__ = "indicator_part"
    part: str = Field(primary_key=True, max_length=200)
    tables: str


TABLES = (IndicatorCell, IndicatorTotal, IndicatorBuilt, IndicatorDirty, IndicatorPart)
_OWN = {m.__tablename__ for m in TABLES}


# -- values -----------------------------------------------------------------------------------------

def encode(value) -> str:
    """A part's value as typed text, so it reads back as the type the SQL gave."""
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        return f"i:{value}"
    if isinstance(value, Decimal):
        return f"d:{value}"
    if isinstance(value, float):
        return f"f:{value!r}"
    raise TypeError(f"an indicator part's value must be a number, not {type(value).__name__}")


def decode(text: str):
    kind, raw = text[:1], text[2:]
    if kind == "i":
        return int(raw)
    if kind == "d":
        return Decimal(raw)
    return float(raw)


def part_name(key: str, which: str) -> str:
    return f"{key}#{which}"


# -- plans: which parts are stored, and what they read -------------------------------------------------

class Plan:
    """How one part is stored: its SQL's fingerprint, the tables it reads, and whether it depends
    on "today" (``dated``: its cells answer reads of the day they were built for only)."""

    __slots__ = ("fingerprint", "tables", "dated")

    def __init__(self, fingerprint: str, tables: frozenset[str], dated: bool = False):
        self.fingerprint = fingerprint
        self.tables = tables
        self.dated = dated


_plans: dict[tuple, Optional[Plan]] = {}
_dated: dict[tuple, Plan] = {}  # a dated plan per as-of day
_plans_lock = threading.Lock()
_MISSING = object()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _compiled(session, stmt) -> tuple[str, tuple]:
    c = stmt.compile(dialect=session.get_bind().dialect)
    return str(c), tuple(sorted((k, repr(v)) for k, v in c.params.items()))


def _tables(stmt) -> frozenset[str]:
    from sqlalchemy import Table
    from sqlalchemy.sql import visitors

    return frozenset(el.name for el in visitors.iterate(stmt) if isinstance(el, Table))


def _statement(ind, which: str, q):
    fn = ind.numerator if which == "n" else ind.denominator
    return fn(q)


def plan(session, ind, which: str, period: Period, as_of: dt.date) -> Optional[Plan]:
    """The part's :class:`Plan`, or ``None`` when it is computed live (see the module's text).
    Only periods that ended before ``as_of`` are stored; worked out once per process and kind."""
    if period.end >= as_of:
        return None  # a period still running (or ending today): its figures move with every day
    key = (ind.key, which, period.kind, session.get_bind().dialect.name)
    with _plans_lock:
        found = _plans.get(key, _MISSING)
    if found is _MISSING:
        found = _make_plan(session, ind, which, period, as_of)
        with _plans_lock:
            _plans[key] = found
    if found is None or not found.dated:
        return found
    day = key + (as_of,)
    with _plans_lock:
        mine = _dated.get(day)
        if mine is None:
            if len(_dated) > 50_000:
                _dated.clear()
            mine = _dated[day] = Plan(_digest(f"{found.fingerprint}@{as_of.isoformat()}"), found.tables, True)
    return mine


def _make_plan(session, ind, which, period, as_of) -> Optional[Plan]:
    from .indicators import IndicatorQuery, RegionValues
    from .models import Region

    if (which == "d" and ind.denominator is None) or period.kind not in ind.period_kinds:
        return None
    if ind.prepare is not None and not ind.reads:
        return None  # derived rows from tables nobody named: computed live
    root = session.execute(select(Region).where(Region.kind == "county").limit(1)).scalar_one_or_none()
    if root is None:
        return None
    reads = frozenset(ind.reads)
    now = IndicatorQuery(period=period, scope_region=root, as_of=as_of, session=session)
    a = _statement(ind, which, now)
    if isinstance(a, RegionValues):
        if not reads:
            return None  # Python over tables nobody named: computed live
        fn = ind.numerator if which == "n" else ind.denominator
        # what Python does with "today" cannot be seen: its cells answer the day they were built for
        return Plan(_digest(f"{fn.__module__}.{fn.__qualname__}"), reads, dated=True)
    later = IndicatorQuery(period=period, scope_region=root, as_of=as_of + FUTURE, session=session)
    ca, cb = _compiled(session, a), _compiled(session, _statement(ind, which, later))
    # SQL that compares with "today" (a due date passed): stored per as-of day, rebuilt each day
    return Plan(_digest(ca[0]), _tables(a) | reads, dated=ca != cb)


def reset_plans() -> None:
    """Forget the plans (tests that register plugins at run time)."""
    with _plans_lock:
        _plans.clear()
        _dated.clear()


def dependencies(session) -> dict[str, set[str]]:
    """``{table name: {part, …}}``: which stored parts read each table, as recorded when they
    were built (``indicator_part``; the SQL those cells came from, so never out of step with them)."""
    out: dict[str, set[str]] = {}
    for part, tables in session.execute(select(IndicatorPart.part, IndicatorPart.tables)):
        for t in tables.split(","):
            if t:
                out.setdefault(t, set()).add(part)
    return out


def _record_tables(session, found: dict[str, set[str]]) -> None:
    """Keep ``indicator_part`` in step: ``found`` is ``{part: tables}`` of parts just built."""
    if not found:
        return
    session.execute(delete(IndicatorPart).where(IndicatorPart.part.in_(sorted(found))))
    session.execute(IndicatorPart.__table__.insert(), [{"part": p, "tables": ",".join(sorted(t))} for p, t in sorted(found.items())])


# -- noticing writes -----------------------------------------------------------------------------------

_PENDING = "shequ.analytics_pending"  # session.info: {(table, region id or 0)}
_PRECISE = "shequ.analytics_precise"  # session.info: inside a validated write, which reports its regions


def touched(session, table: str, region_ids: Optional[Iterable]) -> None:
    """Note that ``table``'s rows of ``region_ids`` (``None``: any region) changed in ``session``."""
    pending = session.info.setdefault(_PENDING, set())
    if region_ids is None:
        pending.add((table, ALL_REGIONS))
    else:
        pending.update((table, int(r)) for r in region_ids if r is not None)


class precise:
    """Inside, DML statements on ``table`` are not noted as "every region": the caller reports
    the regions it wrote (:func:`touched`). Other tables' statements still are."""

    def __init__(self, session, table: str):
        self.session, self.table = session, table

    def __enter__(self):
        self.session.info.setdefault(_PRECISE, []).append(self.table)

    def __exit__(self, *exc):
        self.session.info[_PRECISE].remove(self.table)


def _region_of(obj) -> Optional[int]:
    from .models import Region

    if isinstance(obj, Region):
        return obj.id
    return getattr(obj, "region_id", None)


@event.listens_for(OrmSession, "after_flush")
def _after_flush(session, flush_context) -> None:
    from sqlalchemy import inspect as sa_inspect

    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(type(obj), "__tablename__", None)
        if not table or table in _OWN:
            continue
        rids = {_region_of(obj)}
        hist = sa_inspect(obj).attrs.region_id.history if hasattr(obj, "region_id") else None
        if hist is not None:
            rids.update(hist.deleted or ())  # a row moved to another region changes both
        touched(session, table, None if None in rids else rids)


@event.listens_for(OrmSession, "do_orm_execute")
def _on_execute(state) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name and name not in _OWN and name not in state.session.info.get(_PRECISE, ()):
        touched(state.session, name, None)


@event.listens_for(OrmSession, "before_commit")
def _before_commit(session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        mark_dirty(session, pending)


_HAS_TABLES: "weakref.WeakSet" = weakref.WeakSet()  # engines whose database has the cell tables


def _active(session) -> bool:
    """Whether this database stores cells at all (a database never built pays one small read)."""
    from sqlalchemy import inspect as sa_inspect

    engine = session.get_bind()
    if engine not in _HAS_TABLES:
        if not sa_inspect(session.connection()).has_table(IndicatorPart.__tablename__):
            return False  # not migrated yet
        _HAS_TABLES.add(engine)
    return session.execute(select(IndicatorPart.part).limit(1)).first() is not None


def mark_dirty(session, pending: Iterable[tuple[str, int]]) -> int:
    """Mark the stored parts reading each ``(table, region)`` dirty for that region; how many marks."""
    pending = set(pending)
    if not pending or not _active(session):
        return 0
    deps = dependencies(session)
    rows = {(part, rid) for table, rid in pending for part in deps.get(table, ())}
    if not rows:
        return 0
    wide = {part for part, rid in rows if rid == ALL_REGIONS}
    rows = {(p, r) for p, r in rows if r == ALL_REGIONS or p not in wide}
    session.execute(IndicatorDirty.__table__.insert(), [{"part": p, "region_id": r} for p, r in sorted(rows)])
    return len(rows)


# -- reading -------------------------------------------------------------------------------------------

def stored_parts(session, region, period: Period, as_of: dt.date, indicators, total: bool = False) -> dict[str, dict[int, Any]]:
    """``{part: {region id: value}}`` of the parts of ``indicators`` whose stored cells answer
    ``period`` in ``region``'s area: built for the period, same SQL, not dirty in the area.
    ``total``: the area's one value per part (``{region.id: value}``, from ``indicator_total``
    for a township or county) instead of each region's."""
    from .regions import scope_condition
    from .models import Region

    built = dict(session.execute(select(IndicatorBuilt.part, IndicatorBuilt.fingerprint).where(IndicatorBuilt.period == str(period))).all())
    if not built:
        return {}
    area = select(Region.id).where(scope_condition(region))
    dirty = set(session.execute(select(IndicatorDirty.part).where(
        (IndicatorDirty.region_id == ALL_REGIONS) | IndicatorDirty.region_id.in_(area)).distinct()).scalars())
    pending = session.info.get(_PENDING)
    if pending:  # written in this very session, not committed yet
        deps = dependencies(session)
        dirty.update(p for table, _ in pending for p in deps.get(table, ()))
    usable = set()
    for ind in indicators:
        for which in ("n", "d") if ind.denominator is not None else ("n",):
            name = part_name(ind.key, which)
            if name in dirty or name not in built:
                continue
            p = plan(session, ind, which, period, as_of)
            if p is not None and p.fingerprint == built[name]:
                usable.add(name)
    if not usable:
        return {}
    out: dict[str, dict[int, Any]] = {name: {} for name in usable}
    if total and region.kind in ("township", "county"):
        rows = session.execute(select(IndicatorTotal.part, IndicatorTotal.region_id, IndicatorTotal.value)
                               .where(IndicatorTotal.period == str(period), IndicatorTotal.region_id == region.id))
    else:
        rows = session.execute(select(IndicatorCell.part, IndicatorCell.region_id, IndicatorCell.value)
                               .where(IndicatorCell.period == str(period), IndicatorCell.region_id.in_(area)))
    for part, rid, value in rows:
        bucket = out.get(part)
        if bucket is not None:
            bucket[rid] = decode(value)
    return out


# -- building ------------------------------------------------------------------------------------------

def data_years(session) -> tuple[int, int, Optional[dt.date]]:
    """``(first year, last year, latest day)`` of the data in the registered record tables.

    One ``MIN``/``MAX`` per table on its date or period column. The first year is the median
    of the tables' first years: founding dates (an association set up in 1985) would otherwise
    stretch every selector over decades without records. Falls back to this year.
    """
    from .plugins import registry

    firsts: list[int] = []
    hi: Optional[int] = None
    latest: Optional[dt.date] = None
    today = dt.date.today()
    for rt in registry().tables.values():
        name = rt.date_field or rt.period_field
        if not name:
            continue
        col = rt.model.__table__.c[name]
        first, last = session.execute(select(func.min(col), func.max(col))).one()
        if first is None:
            continue
        if rt.date_field:
            first, last = _as_date(first), min(_as_date(last), today)  # a planned date is not data yet
            years = (first.year, last.year)
            latest = max(latest, last) if latest else last
        else:
            years = (int(str(first)[:4]), int(str(last)[:4]))
        firsts.append(years[0])
        hi = years[1] if hi is None else max(hi, years[1])
    if not firsts:
        return today.year, today.year, None
    firsts.sort()
    return firsts[(len(firsts) - 1) // 2], hi, latest


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def periods_to_build(session, as_of: dt.date) -> list[Period]:
    """Every year, quarter and month from the data's first year that ended before ``as_of``."""
    first, last, _ = data_years(session)
    last = min(max(last, first), as_of.year)
    out = []
    for year in range(first, last + 1):
        y = Period("year", year)
        for p in (y, *y.subperiods("quarter"), *y.subperiods("month")):
            if p.end < as_of:
                out.append(p)
    return out


def _roots(session):
    from .models import Region

    return list(session.execute(select(Region).where(Region.kind == "county").order_by(Region.id)).scalars())


def _query(session, period, scope_region, as_of):
    from .indicators import IndicatorQuery

    return IndicatorQuery(period=period, scope_region=scope_region, as_of=as_of, session=session)


@contextmanager
def _scratch(session):
    """A savepoint rolled back at the end, and the writes noticed inside it forgotten: rows that a
    ``prepare`` derives while cells are computed never reach the database, exactly as a read's
    ``prepare`` is rolled back with the read (``shequ demo`` keeps its schedule as it built it)."""
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        dbapi = conn.connection.driver_connection
        if not dbapi.in_transaction:  # a SAVEPOINT outside a transaction would commit on release
            dbapi.execute("BEGIN IMMEDIATE")
    pending = set(session.info.get(_PENDING, ()))
    nested = session.begin_nested()
    try:
        yield
    finally:
        nested.rollback()
        session.info[_PENDING] = pending


def _compute_parts(session, parts, query) -> dict[str, dict[int, Any]]:
    """``{part: {region id: value}}`` of ``parts`` (``[(indicator, "n" or "d"), …]``) over the area
    of ``query()``. Parts share one query, so what they memoise together is worked out once;
    those whose indicator has a ``prepare`` run after it, together, in a :func:`_scratch`."""
    from .indicators import part_rows

    def values(ind, which, q):
        return {int(rid): v for rid, v in part_rows(session, _statement(ind, which, q)) if v is not None}

    out: dict[str, dict[int, Any]] = {}
    plain = [(i, w) for i, w in parts if i.prepare is None]
    prepared = [(i, w) for i, w in parts if i.prepare is not None]
    if plain:
        q = query()
        for ind, which in plain:
            out[part_name(ind.key, which)] = values(ind, which, q)
    if prepared:
        q = query()
        with _scratch(session):
            for ind, which in prepared:
                ind.prepare(session, q)
                out[part_name(ind.key, which)] = values(ind, which, q)
    return out


def _parts(session, period, as_of):
    from .plugins import registry

    for ind in registry().indicators.values():
        for which in ("n", "d"):
            p = plan(session, ind, which, period, as_of)
            if p is not None:
                yield ind, which, p


def _areas(session) -> dict[int, tuple]:
    """``{region id: (its township, its county)}``: the areas whose totals a region's value joins."""
    from .models import Region

    return {rid: tuple(a for a in (t, c) if a is not None)
            for rid, t, c in session.execute(select(Region.id, Region.township_id, Region.county_id))}


def _summed(values: dict[int, Any], areas: dict[int, tuple]) -> dict[int, Any]:
    """Σ of ``values`` per township and county area, as the engine rolls a part up (NULLs skipped)."""
    out: dict[int, Any] = {}
    for rid, v in values.items():
        for area in areas.get(rid, ()):
            out[area] = out[area] + v if area in out else v
    return out


def _write_totals(session, per: str, part: str, totals: dict[int, Any], only: Optional[set[int]] = None) -> None:
    cond = [IndicatorTotal.period == per, IndicatorTotal.part == part]
    if only is not None:
        cond.append(IndicatorTotal.region_id.in_(sorted(only)))
    session.execute(delete(IndicatorTotal).where(*cond))
    rows = [{"period": per, "part": part, "region_id": a, "value": encode(v)} for a, v in totals.items() if only is None or a in only]
    if rows:
        session.execute(IndicatorTotal.__table__.insert(), rows)


def rebuild(session, *, as_of: Optional[dt.date] = None, periods: Optional[list[Period]] = None,
            progress: Optional[Callable[[int, int], None]] = None) -> dict:
    """Recompute every stored cell from the raw tables (in ``session``; the caller commits).
    ``progress(done, total)`` after each period. Returns counts."""
    as_of = as_of or dt.date.today()
    periods = periods if periods is not None else periods_to_build(session, as_of)
    roots = _roots(session)
    for model in TABLES:
        session.execute(delete(model))
    areas = _areas(session)
    cells = built = 0
    reads: dict[str, set[str]] = {}
    for n, period in enumerate(periods, 1):
        chosen = list(_parts(session, period, as_of))
        found: dict[str, dict[int, Any]] = {}
        for root in roots:
            for name, got in _compute_parts(session, [(i, w) for i, w, _ in chosen],
                                            lambda: _query(session, period, root, as_of)).items():
                found.setdefault(name, {}).update(got)
        for ind, which, p in chosen:
            reads.setdefault(part_name(ind.key, which), set()).update(p.tables)
            values = found.get(part_name(ind.key, which), {})
            rows = [{"period": str(period), "part": part_name(ind.key, which), "region_id": rid, "value": encode(v)}
                    for rid, v in values.items()]
            if rows:
                session.execute(IndicatorCell.__table__.insert(), rows)
            _write_totals(session, str(period), part_name(ind.key, which), _summed(values, areas))
            session.execute(IndicatorBuilt.__table__.insert(), [{"period": str(period), "part": part_name(ind.key, which),
                                                                 "fingerprint": p.fingerprint}])
            cells += len(rows)
            built += 1
        if progress is not None:
            progress(n, len(periods))
    _record_tables(session, reads)
    session.info.pop(_PENDING, None)  # what this session wrote before is in the cells now
    return {"periods": len(periods), "parts": built, "cells": cells}


def _built(session) -> dict[tuple[str, str], str]:
    return {(per, part): fp for per, part, fp in session.execute(
        select(IndicatorBuilt.period, IndicatorBuilt.part, IndicatorBuilt.fingerprint))}


def outdated(session, as_of: Optional[dt.date] = None) -> list[tuple[str, str]]:
    """``[(period, part), …]`` whose cells do not answer ``as_of``'s reads: built for another day
    (parts that compare with "today"), from other SQL (a plugin upgraded), not built (a plugin
    installed, a period that has just ended), or built but now computed live. Reads compute them
    live until :func:`refresh` brings them in step (``shequ serve`` does, once a day)."""
    from .plugins import registry

    as_of = as_of or dt.date.today()
    built = _built(session)
    periods = {str(p): p for p in periods_to_build(session, as_of)} if built else {}
    for per, _ in built:
        if per not in periods:
            periods[per] = Period.parse(per)
    out = []
    for per, period in periods.items():
        for ind in registry().indicators.values():
            for which in ("n", "d") if ind.denominator is not None else ("n",):
                name = part_name(ind.key, which)
                p = plan(session, ind, which, period, as_of)
                fp = built.get((per, name))
                if (p is None and fp is not None) or (p is not None and p.fingerprint != fp):
                    out.append((per, name))
    return sorted(out)


def refresh(session, *, as_of: Optional[dt.date] = None, progress: Optional[Callable[[int, int], None]] = None,
            roll: bool = True, roll_periods: Optional[int] = None,
            pause: Optional[Callable[[], None]] = None) -> dict:
    """Recompute the dirty cells (in ``session``; the caller commits): for each dirty part, the
    regions concerned (a whole county when marked "every region" or more than 20 regions, or when
    the part's cells of that period were built for another day) in every period it was built for.
    Marks made meanwhile stay for the next run.

    ``roll``: also bring the :func:`outdated` parts in step (at most ``roll_periods`` periods of
    them per call; ``left`` in the result counts the parts still to do).

    ``pause()``: called before each group of work (one period of one area), the groups before it
    and the tables their parts read written. It may commit there, and takes any lock the group
    needs: the marks are deleted only at the end, so until then every read computes the marked
    parts live, and a refresh cut short is done again whole by the next one
    (:func:`refresh_if_stale` lets SQLite writers in there)."""
    from .models import Region
    from .plugins import registry
    from .regions import scope_condition

    as_of = as_of or dt.date.today()
    pending = session.info.pop(_PENDING, None)
    if pending:  # written in this session, not committed yet: marked now, so this refresh covers them
        mark_dirty(session, pending)
    marks = session.execute(select(IndicatorDirty.id, IndicatorDirty.part, IndicatorDirty.region_id)).all()
    old = outdated(session, as_of) if roll else []
    left = 0
    if roll_periods is not None:
        keep = set(sorted({per for per, _ in old})[:roll_periods])
        left = sum(1 for per, _ in old if per not in keep)
        old = [(per, part) for per, part in old if per in keep]
    if not marks and not old:
        return {"parts": 0, "cells": 0, "marks": 0, "outdated": 0, "left": left}
    by_part: dict[str, set[int]] = {}
    for _, part, rid in marks:
        by_part.setdefault(part, set()).add(rid)
    inds = registry().indicators
    gone = [part for part in by_part if part.rsplit("#", 1)[0] not in inds]
    for model in (IndicatorCell, IndicatorTotal, IndicatorBuilt, IndicatorPart):  # a plugin removed: its cells answer nothing
        if gone:
            session.execute(delete(model).where(model.part.in_(gone)))
    built = _built(session)
    roots = _roots(session)
    parsed: dict[str, Period] = {}

    def period_of(per: str) -> Period:
        return parsed.get(per) or parsed.setdefault(per, Period.parse(per))

    def current(per: str, part: str) -> bool:
        key, which = part.rsplit("#", 1)
        p = plan(session, inds[key], which, period_of(per), as_of)
        return p is not None and p.fingerprint == built.get((per, part))

    # the work, grouped by (period, area) so the parts of one period share one query (and its memo)
    work: dict[tuple[str, int], list[str]] = {}
    regions: dict[int, Region] = {r.id: r for r in roots}

    def add(per: str, scopes, part: str) -> None:
        for r in scopes:
            parts = work.setdefault((per, r.id), [])
            if part not in parts:
                parts.append(part)

    for part, rids in by_part.items():
        if part in gone:
            continue
        if ALL_REGIONS in rids or len(rids) > 20:
            scopes = roots
        else:
            scopes = list(session.execute(select(Region).where(Region.id.in_(rids))).scalars())
            regions.update((r.id, r) for r in scopes)
        for per in sorted(p for p, name in built if name == part):
            # cells built for another day are recomputed everywhere, never mixed with today's
            add(per, scopes if scopes is roots or current(per, part) else roots, part)
    for per, part in old:
        if part.rsplit("#", 1)[0] in inds:
            add(per, roots, part)
    cells = 0
    reads: dict[str, set[str]] = {}
    areas = _areas(session)
    for n, ((per, rid), parts) in enumerate(sorted(work.items()), 1):
        if pause is not None:
            _record_tables(session, reads)  # before a commit: a later write to a table a part now reads marks it
            pause()
        period, scope = period_of(per), regions[rid]
        area = select(Region.id).where(scope_condition(scope))
        touched = {a for r in session.execute(area).scalars() for a in areas.get(r, ())}
        plans = {}
        for part in parts:
            key, which = part.rsplit("#", 1)
            plans[part] = (inds[key], which, plan(session, inds[key], which, period, as_of))
        found = _compute_parts(session, [(i, w) for i, w, p in plans.values() if p is not None],
                               lambda: _query(session, period, scope, as_of))
        for part, (ind, which, p) in plans.items():
            for model in (IndicatorBuilt, *((IndicatorCell, IndicatorTotal) if p is None else ())):
                session.execute(delete(model).where(model.part == part, model.period == per))
            if p is None:  # no longer stored (its SQL now depends on something else)
                continue
            session.execute(delete(IndicatorCell).where(IndicatorCell.part == part, IndicatorCell.period == per, IndicatorCell.region_id.in_(area)))
            values = found.get(part, {})
            if values:
                session.execute(IndicatorCell.__table__.insert(), [
                    {"period": per, "part": part, "region_id": r, "value": encode(v)} for r, v in values.items()])
            cells += len(values)
            if touched:  # the totals of the areas that hold a recomputed region: summed again from the cells
                around = {r: decode(v) for r, v in session.execute(select(IndicatorCell.region_id, IndicatorCell.value).where(
                    IndicatorCell.part == part, IndicatorCell.period == per))}
                _write_totals(session, per, part, _summed(around, areas), only=touched)
            session.execute(IndicatorBuilt.__table__.insert(), [{"period": per, "part": part, "fingerprint": p.fingerprint}])
            reads.setdefault(part, set()).update(p.tables)
        if progress is not None:
            progress(n, len(work))
    ids = sorted(m[0] for m in marks)
    for i in range(0, len(ids), 500):  # exactly the marks read: on PostgreSQL a lower id may commit later
        session.execute(delete(IndicatorDirty).where(IndicatorDirty.id.in_(ids[i:i + 500])))
    _record_tables(session, reads)
    return {"parts": len(set(by_part) | {part for _, part in old}), "cells": cells, "marks": len(marks),
            "outdated": len(old), "left": left}


def invalidate_all(session) -> int:
    """Mark every built part dirty everywhere (after a migration changed data in bulk)."""
    parts = list(session.execute(select(IndicatorBuilt.part).distinct()).scalars())
    if parts:
        session.execute(IndicatorDirty.__table__.insert(), [{"part": p, "region_id": ALL_REGIONS} for p in parts])
    return len(parts)


def status(session) -> dict:
    return {
        "periods": session.execute(select(func.count(func.distinct(IndicatorBuilt.period)))).scalar_one(),
        "parts": session.execute(select(func.count(func.distinct(IndicatorBuilt.part)))).scalar_one(),
        "cells": session.execute(select(func.count()).select_from(IndicatorCell)).scalar_one(),
        "dirty": session.execute(select(func.count(func.distinct(IndicatorDirty.part)))).scalar_one(),
        "outdated": len({part for _, part in outdated(session)}),
    }


# -- checking ------------------------------------------------------------------------------------------

def check(session, *, sample: Optional[int] = 40, as_of: Optional[dt.date] = None, seed: Optional[int] = None,
          periods: Optional[Iterable[str]] = None) -> list:
    """Recompute stored parts (a random ``sample`` of built (period, part) pairs, or all with
    ``sample=None``) and name every region whose stored cell differs. Dirty parts are skipped
    (they are computed live until the next refresh), and so are parts with a ``prepare`` step on
    read-only media, whose derived rows cannot be brought in step there. ``periods``: only these
    (``"2010Q4"``…)."""
    from .errors import Problem
    from .models import Region
    from .plugins import registry

    from .db import is_read_only

    as_of = as_of or dt.date.today()
    read_only = is_read_only(session.get_bind())
    pairs = session.execute(select(IndicatorBuilt.period, IndicatorBuilt.part)).all()
    dirty = set(session.execute(select(IndicatorDirty.part).distinct()).scalars())
    dirty.update(part for _, part in outdated(session, as_of))  # built for another day: no read uses them
    only = None if periods is None else {str(Period.parse(p)) for p in periods}
    pairs = sorted((per, part) for per, part in pairs if part not in dirty and (only is None or per in only))
    if sample is not None and len(pairs) > sample:
        pairs = sorted(random.Random(seed).sample(pairs, sample))
    inds = registry().indicators
    names = dict(session.execute(select(Region.id, Region.name)).all())
    roots = _roots(session)
    areas = _areas(session)
    by_period: dict[str, list[str]] = {}
    for per, part in pairs:
        by_period.setdefault(per, []).append(part)
    problems = []
    for per, parts in by_period.items():
        period = Period.parse(per)
        checked = []
        for part in parts:
            key, which = part.rsplit("#", 1)
            if key in inds and plan(session, inds[key], which, period, as_of) is not None:
                if read_only and inds[key].prepare is not None:
                    continue  # its derived rows cannot be brought in step on read-only media: checked where writable
                checked.append((inds[key], which))
        recomputed: dict[str, dict[int, Any]] = {}
        for root in roots:
            for name, got in _compute_parts(session, checked, lambda: _query(session, period, root, as_of)).items():
                recomputed.setdefault(name, {}).update(got)
        stored_rows: dict[str, dict[int, Any]] = {}
        for part, rid, v in session.execute(select(IndicatorCell.part, IndicatorCell.region_id, IndicatorCell.value)
                                            .where(IndicatorCell.period == per)):
            stored_rows.setdefault(part, {})[rid] = decode(v)
        stored_totals: dict[str, dict[int, Any]] = {}
        for part, rid, v in session.execute(select(IndicatorTotal.part, IndicatorTotal.region_id, IndicatorTotal.value)
                                            .where(IndicatorTotal.period == per)):
            stored_totals.setdefault(part, {})[rid] = decode(v)
        for ind, which in checked:
            part = part_name(ind.key, which)
            fresh = recomputed.get(part, {})
            label = f"{ind.label_zh}（{'分子' if which == 'n' else '分母'}）"
            label_en = f"{ind.label_en} ({'numerator' if which == 'n' else 'denominator'})"
            compared = [(rid, stored_rows.get(part, {}).get(rid), fresh.get(rid), "")
                        for rid in sorted(set(fresh) | set(stored_rows.get(part, {})))]
            totals, fresh_totals = stored_totals.get(part, {}), _summed(fresh, areas)
            compared += [(rid, totals.get(rid), fresh_totals.get(rid), "（合计）") for rid in sorted(set(totals) | set(fresh_totals))]
            for rid, a, b, suffix in compared:
                if a != b:
                    where = names.get(rid, f"#{rid}") + suffix
                    problems.append(Problem(
                        f"指标汇总与原始数据不符：{label} · {per} · {where}：存 {a if a is not None else '无'}，重算 {b if b is not None else '无'}",
                        f"stored indicator cell differs from the raw data: {label_en} · {per} · {where}: stored {a}, recomputed {b}",
                        table="indicator_cell", field=part, value=per,
                        extra={"period": per, "part": part, "region_id": rid, "stored": str(a), "recomputed": str(b)}))
    return problems


def cells_verifier(session) -> list:
    """``core.indicator_cells`` for ``shequ verify``: a sample, or every cell with ``--full``."""
    return check(session, sample=None if session.info.get("shequ.verify_full") else 40)


# -- background refresh -------------------------------------------------------------------------------

def refresh_if_stale(engine, as_of: Optional[dt.date] = None, roll: bool = False,
                     roll_periods: Optional[int] = None) -> Optional[dict]:
    """One refresh in its own transaction when some cells are stale (``roll``: or :func:`outdated`,
    ``roll_periods`` periods of them at a time); ``None`` when none are, or when another process
    is refreshing (PostgreSQL: an advisory lock) or has just done it. On SQLite the work is
    committed in turns of the write lock (:class:`_WriterTurns`)."""
    from .db import transaction

    with Session(engine) as peek:
        if not _active(peek):
            return None
        if peek.execute(select(IndicatorDirty.id).limit(1)).first() is None and not (roll and outdated(peek, as_of)):
            return None
    with transaction(engine) as session:
        pause = None
        if engine.dialect.name == "postgresql":
            got = session.execute(select(func.pg_try_advisory_xact_lock(0x5E0C_E11))).scalar_one()
            if not got:
                return None
        elif engine.dialect.name == "sqlite":
            pause = _WriterTurns(session)  # the write lock from the first group's reads on, in turns
        done = refresh(session, as_of=as_of, roll=roll, roll_periods=roll_periods, pause=pause)
        return done if done["marks"] or done["outdated"] else None  # another process did it meanwhile


class _WriterTurns:
    """A SQLite refresh's pauses: the write lock is held at most ``hold`` seconds (and one group
    of work) at a time, then the work so far is committed and the lock left free for ``gap``
    seconds, so a clerk's save waits a fraction of a second, not the whole refresh.

    SQLite's writer lock is not queued: a waiting writer sleeps and retries (its busy handler
    polls every 25-100 ms), so the gap is as long as its longest sleep."""

    hold, gap = 0.05, 0.1

    def __init__(self, session):
        self.session = session
        self.since: Optional[float] = None  # when the lock was taken

    def lock(self) -> None:
        from .audit import lock

        lock(self.session)  # BEGIN IMMEDIATE: what the group reads stays current until it commits
        self.since = time.monotonic()

    def __call__(self) -> None:
        if self.since is not None:
            if time.monotonic() - self.since < self.hold:
                return
            self.session.commit()
            self.let_writers_in()
        self.lock()

    def let_writers_in(self) -> None:
        time.sleep(self.gap)


class Refresher(threading.Thread):
    """``shequ serve``'s background refresh: every ``every`` seconds, the stale cells are
    recomputed (:func:`refresh_if_stale`), so a figure written a moment ago is read from the
    cells again within seconds. Reads in between compute those parts live, so no read waits, and
    on SQLite a save waits for one group of the refresh at most (:class:`_WriterTurns`).

    Once a day (and at start) it also rebuilds the parts that compare with "today"
    (:func:`outdated`), ``roll_periods`` periods per transaction so writers wait seconds at most."""

    def __init__(self, engine, every: float = 5.0, roll_periods: int = 3):
        super().__init__(name="shequ-analytics-refresh", daemon=True)
        self.engine, self.every, self.roll_periods = engine, every, roll_periods
        self.stopped = threading.Event()
        self.rolled: Optional[dt.date] = None  # the day the outdated parts were last rebuilt for
        self.runs: list[dict] = []  # what each refresh did (for tests and the log)

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            self.tick()

    def tick(self, today: Optional[dt.date] = None) -> None:
        """One round: the stale cells, and on a new day the outdated parts, in batches."""
        import logging

        log = logging.getLogger("shequ_sdk.analytics")
        today = today or dt.date.today()
        roll = today != self.rolled
        while not self.stopped.is_set():
            try:
                done = refresh_if_stale(self.engine, as_of=today, roll=roll, roll_periods=self.roll_periods)
            except Exception as exc:  # noqa: BLE001 — a busy database or a lost connection: next time
                log.warning("refreshing the stored indicator cells failed (retried in %.0f s): %s", self.every, exc)
                return
            if done:
                self.runs.append(done)
                log.info("refreshed %s stored indicator parts (%s cells)", done["parts"], done["cells"])
            if not (done and done.get("left")):
                break
        if roll:
            self.rolled = today

    def stop(self) -> None:
        self.stopped.set()
