"""The indicator engine: plugin SQL per village, summed over an area, then divided.

Each indicator's ``numerator(q)`` / ``denominator(q)`` returns a ``select`` of ``region_id`` and
``value``. The engine runs it and sums its rows (at most one per region) to the requested level
(village, township or county), so a township rate is Σ numerators ÷ Σ denominators over its
villages — recomputed, never averaged. One SQL statement per indicator and part answers a whole
county at once; the roll-up is done in Python from a map of the area's regions to their group,
read once per computation — a wrapping ``GROUP BY`` per statement cost more (docs/performance.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Optional, Sequence

from sqlalchemy import and_, func, select
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from . import analytics
from .errors import InputError, NotFoundError
from .models import Region
from .period import Period
from .plugins import registry
from .registry import Indicator
from .regions import level_column, scope_condition


_SCOPE = object()


class RegionValues(dict):
    """``{region id: value}`` a part computed in Python (:meth:`IndicatorQuery.per_region`)."""


@dataclass
class IndicatorQuery:
    """Handed to ``Indicator.numerator`` / ``denominator``: the period, the area and helpers.

    - ``start`` / ``end``: first and last day of the period; ``as_of``: the day "now" means.
    - ``scope``: a subquery of the region ids in the requested area (push it down with
      ``Table.region_id.in_(q.scope)``; the helpers below do).
    - ``count``, ``count_distinct``, ``sum``: the common shapes, already filtered and grouped.
    - ``memo(key, fn)``: a value computed once per computation and shared by the indicators.
    - ``per_region(values)``: a part worked out in Python (``{region id: number}``) as the
      ``select`` the engine expects.
    """

    period: Period
    scope_region: Region
    as_of: dt.date
    session: Session
    _memo: dict = field(default_factory=dict, repr=False)

    @property
    def start(self) -> dt.date:
        return self.period.start

    @property
    def end(self) -> dt.date:
        return self.period.end

    def _scope_select(self):
        # built once per computation: every indicator's statement embeds it
        found = self._memo.get(_SCOPE)
        if found is None:
            found = self._memo[_SCOPE] = select(Region.id).where(scope_condition(self.scope_region))
        return found

    @property
    def scope(self):
        return self._scope_select().scalar_subquery()

    def in_scope(self, region_col) -> ColumnElement:
        return region_col.in_(self._scope_select())

    def memo(self, key, compute):
        """``compute()`` once per computation (all indicators, one area and period): for work a
        numerator and its denominator share, such as days due worked out in Python."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    @staticmethod
    def per_region(values: dict) -> "RegionValues":
        """A part worked out in Python, ``{region id: number}``, for counts that depend on
        settings per township (deadlines met, days due). The engine sums it like a part's SQL
        rows, without sending a statement: no SQL whose shape depends on the data, so every
        statement an indicator sends is compiled once per process."""
        return RegionValues(values)

    @property
    def last_day(self) -> dt.date:
        """The period's last day that has happened: ``min(end, as_of)``. ``col <= q.last_day``
        beside the period filter on the same ``col`` is what ``col <= q.as_of`` means there, but
        its statement is the same on every day after the period ended, so the part is stored in
        the aggregate layer instead of computed live (docs/plugins.md)."""
        return min(self.period.end, self.as_of)

    def in_period(self, date_col) -> ColumnElement:
        return and_(date_col >= self.start, date_col <= self.end)

    def active_on(self, start_col, end_col, day: Optional[dt.date] = None) -> ColumnElement:
        """Rows whose [start, end] span covers ``day`` (default: the period's last day)."""
        day = day or min(self.end, self.as_of)
        return and_((start_col.is_(None)) | (start_col <= day), (end_col.is_(None)) | (end_col > day))

    def _shape(self, model, value, where: Sequence[ColumnElement], date=None, region_col=None):
        region_col = region_col if region_col is not None else model.region_id
        conds = [self.in_scope(region_col), *where]
        if date is not None:
            conds.append(self.in_period(date))
        return select(region_col.label("region_id"), value.label("value")).where(*conds).group_by(region_col)

    def count(self, model, *where: ColumnElement, date=None, region_col=None):
        """Rows of ``model`` per village, optionally within the period by ``date`` column."""
        return self._shape(model, func.count(), where, date, region_col)

    def count_distinct(self, model, column, *where: ColumnElement, date=None, region_col=None):
        return self._shape(model, func.count(func.distinct(column)), where, date, region_col)

    def sum(self, model, column, *where: ColumnElement, date=None, region_col=None):
        return self._shape(model, func.coalesce(func.sum(column), 0), where, date, region_col)


def _finish(ind: Indicator, num, den):
    if ind.denominator is not None:
        if not den:
            return None
        if ind.value_type == "money":  # fen per unit of the denominator, shown in yuan
            return (Decimal(int(num or 0)) / Decimal(int(den)) / 100).quantize(Decimal("0.01"))
        return float(num or 0) / float(den)
    if ind.value_type == "money":
        return (Decimal(int(num or 0)) / 100).quantize(Decimal("0.01"))
    if ind.value_type == "count":
        return int(num or 0)
    return num if num is not None else 0


def part_rows(session: Session, part) -> Iterable[tuple[int, Any]]:
    """``(region_id, value)`` pairs of one part: its SQL run, or the values it computed in Python."""
    return part.items() if isinstance(part, RegionValues) else session.execute(part).columns("region_id", "value")


def _rolled(rows: Iterable[tuple[int, Any]], groups: dict[int, Any]) -> dict[int, Any]:
    """Σ ``value`` per group of a part's per-region rows, as SQL's ``SUM`` would: NULLs skipped,
    a group with no value left out; rows of regions outside the area (``groups``) are dropped."""
    out: dict[int, Any] = {}
    for rid, value in rows:
        g = groups.get(rid)
        if g is None or value is None:
            continue
        out[g] = out[g] + value if g in out else value
    return out


def compute(
    session: Session,
    *,
    region: Region,
    period: Period,
    keys: Optional[Iterable[str]] = None,
    level: Optional[str] = None,
    as_of: Optional[dt.date] = None,
    parts: bool = False,
    cells: bool = True,
) -> dict[int, dict[str, Any]]:
    """Indicator values for ``region``'s area in ``period``.

    With ``parts=True`` each value is the pair ``(numerator, denominator)`` it is finished from
    (the summed parts; the denominator ``None`` for an indicator without one), so a reader can
    roll them up further as the engine does: Σ numerators ÷ Σ denominators.

    With ``level=None`` the result is ``{region.id: {key: value}}`` (the whole area). With
    ``level="village"`` / ``"township"`` / ``"county"`` it holds one entry per region of that
    level inside the area. Indicators that do not support the period's kind are left out.
    """
    reg = registry()
    chosen = _choose(reg, keys)
    as_of = as_of or dt.date.today()
    scope = scope_condition(region)
    if level is None:
        group_col = level_column(_level_of(region))
    else:
        group_col = level_column(level)
    q = IndicatorQuery(period=period, scope_region=region, as_of=as_of, session=session)
    groups = dict(session.execute(select(Region.id, group_col).where(scope)).all())  # region → its group at the level
    out: dict[int, dict[str, Any]] = {}
    if level is None:
        out[region.id] = {}
    else:
        # grouping by region id, only villages and communities are members of the "village" level
        villages_only = (Region.kind.in_(("village", "community")),) if level == "village" else ()
        members = session.execute(select(group_col).where(scope, *villages_only).distinct()).scalars()
        for gid in members:
            if gid is not None:
                out.setdefault(gid, {})
    from .db import is_read_only

    read_only = is_read_only(session.get_bind())
    chosen = [ind for ind in chosen if period.kind in ind.period_kinds]
    # one area's value: its stored total per part; per village (or township): the stored cells
    stored = analytics.stored_parts(session, region, period, as_of, chosen, total=level is None) if cells else {}
    for ind in chosen:
        num_cells = stored.get(analytics.part_name(ind.key, "n"))
        den_cells = stored.get(analytics.part_name(ind.key, "d")) if ind.denominator else {}
        if ind.prepare is not None and not read_only and (num_cells is None or den_cells is None):
            # a read-only database (read-only media) keeps the derived rows as last stored
            ind.prepare(session, q)
        nums = _rolled(num_cells.items() if num_cells is not None else part_rows(session, ind.numerator(q)), groups)
        if not ind.denominator:
            dens = {}
        else:
            dens = _rolled(den_cells.items() if den_cells is not None else part_rows(session, ind.denominator(q)), groups)
        for gid, values in out.items():
            if parts:
                values[ind.key] = (nums.get(gid), dens.get(gid) if ind.denominator else None)
            else:
                values[ind.key] = _finish(ind, nums.get(gid), dens.get(gid))
    return out


def _level_of(region: Region) -> str:
    from .models import LEVEL_OF_KIND

    return LEVEL_OF_KIND[region.kind]


def _choose(reg, keys) -> list[Indicator]:
    if keys is None:
        return list(reg.indicators.values())
    out = []
    for key in keys:
        if key in reg.indicators:
            out.append(reg.indicators[key])
            continue
        # a bare plugin name selects all of its indicators
        family = [i for k, i in reg.indicators.items() if k.split(".")[0] == key]
        if not family:
            raise NotFoundError(f"未知的指标 {key!r}", f"unknown indicator {key!r}")
        out += family
    return out


def values_for(session: Session, region: Region, period: Period, keys=None, as_of=None) -> dict[str, Any]:
    """``{key: value}`` for one region and period — what ``shequ indicators`` prints."""
    return compute(session, region=region, period=period, keys=keys, as_of=as_of)[region.id]


def json_value(value):
    """A JSON-safe form: money stays exact as a string with two decimals."""
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def format_value(ind: Indicator, value, lang: str = "zh") -> str:
    if value is None:
        return "—"
    if ind.value_type == "ratio" or (ind.denominator is not None and ind.value_type != "money"):
        return f"{value * 100:.1f}%"
    if ind.value_type == "money":
        return f"{value:,.2f} {ind.unit_zh if lang == 'zh' else ind.unit_en}"
    return f"{value:,} {ind.unit_zh if lang == 'zh' else ind.unit_en}"
