"""Indicators of the sanitation association, computed in SQL per village and summed over an area.

Collection rate (清运率) = days with a collection ÷ days a collection was due, where:

- a village is due a collection only while it has a sanitation association (the body that runs
  the truck) and while the village itself exists; villages without one are left out of both sums,
  so they neither pull a township's rate down nor push it up;
- only days up to ``as_of`` count: a period that has partly elapsed is measured on its elapsed
  days, and a period wholly in the future has no value;
- ``sanitation.collection_days_per_week`` (default 7: GB/T 51435-2021 §4.4.4, perishable waste at
  least daily) scales the days due; a village's collection days are capped at its days due, so a
  village that collects more often than required counts as 100 %, not more.

The days due are counted in Python (one query for the villages and their associations) and handed
to SQL as constants, because date arithmetic differs between SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from sqlalchemy import and_, func, or_, select

from shequ_sdk import Association, Household, Indicator, Region, config

from .models import BinIssue, CollectionRun

Run = CollectionRun
DAYS_PER_WEEK = "sanitation.collection_days_per_week"


def _last_day(q) -> dt.date:
    return min(q.end, q.as_of)


def _association_active(day_col):
    return and_(
        Association.type_key == "sanitation",
        or_(Association.founded.is_(None), Association.founded <= day_col),
        or_(Association.dissolved.is_(None), Association.dissolved > day_col),
    )


def _merge_days(spans, lo: dt.date, hi: dt.date) -> int:
    """Days in [lo, hi] covered by any of the half-open spans [a, b) (None: unbounded)."""
    clipped = []
    for a, b in spans:
        a = max(a or lo, lo)
        b_incl = min((b - dt.timedelta(days=1)) if b else hi, hi)
        if a <= b_incl:
            clipped.append((a, b_incl))
    total, cur_a, cur_b = 0, None, None
    for a, b in sorted(clipped):
        if cur_b is not None and a <= cur_b + dt.timedelta(days=1):
            cur_b = max(cur_b, b)
            continue
        if cur_b is not None:
            total += (cur_b - cur_a).days + 1
        cur_a, cur_b = a, b
    if cur_b is not None:
        total += (cur_b - cur_a).days + 1
    return total


def days_due(q) -> dict[int, Fraction]:
    """``{village id: days a collection was due}`` for the villages in scope that were due any.

    Worked out once per computation: the collection rate's numerator and denominator share it."""
    return q.memo("sanitation.days_due", lambda: _days_due(q))


def _days_due(q) -> dict[int, Fraction]:
    last = _last_day(q)
    if last < q.start:
        return {}
    session = q.session
    # plain rows, not ORM objects: the ids, validity and township/county that settings resolve by
    villages = list(session.execute(
        select(Region.id, Region.valid_from, Region.valid_to, Region.township_id, Region.county_id)
        .where(q.in_scope(Region.id), Region.kind.in_(("village", "community")))
    ))
    if not villages:
        return {}
    spans: dict[int, list] = {}
    rows = session.execute(
        select(Association.region_id, Association.founded, Association.dissolved)
        .where(Association.type_key == "sanitation", q.in_scope(Association.region_id))
    )
    for region_id, founded, dissolved in rows:
        spans.setdefault(region_id, []).append((founded, dissolved))
    per_week = config.resolve_for(session, DAYS_PER_WEEK, villages)
    out = {}
    for v in villages:
        if v.id not in spans:
            continue
        lo = max(q.start, v.valid_from or q.start)
        hi = min(last, (v.valid_to - dt.timedelta(days=1)) if v.valid_to else last)
        days = _merge_days(spans[v.id], lo, hi) if lo <= hi else 0
        due = Fraction(days) * Fraction(max(0, min(7, int(per_week[v.id]))), 7)
        if due > 0:
            out[v.id] = due
    return out


def _number(value: Fraction):
    return int(value) if value.denominator == 1 else float(value)


def collection_days_due(q):
    return q.per_region({rid: _number(v) for rid, v in days_due(q).items()})


def collection_days(q):
    due = days_due(q)
    if not due:
        return q.per_region({})
    last = _last_day(q)
    counted = q.session.execute(
        select(Run.region_id, func.count(func.distinct(Run.run_date)))
        .select_from(Run)
        .join(Association, Association.region_id == Run.region_id)
        .join(Region, Region.id == Run.region_id)
        .where(
            Run.region_id.in_(list(due)),
            Run.run_date >= q.start, Run.run_date <= last,
            _association_active(Run.run_date),
            or_(Region.valid_from.is_(None), Region.valid_from <= Run.run_date),
            or_(Region.valid_to.is_(None), Region.valid_to > Run.run_date),
        )
        .group_by(Run.region_id)
    ).all()
    # a village that collects more often than its schedule requires counts as 100 %, not more
    return q.per_region({rid: _number(min(Fraction(n), due[rid])) for rid, n in counted})


def households_with_bins(q):
    # a semi-join (EXISTS), not count(DISTINCT) over the join: PostgreSQL sorted all 190,000
    # bin rows of a county for the DISTINCT (on disk); EXISTS probes the covering index per household
    has_bin = (
        select(BinIssue.id)
        .where(BinIssue.household_id == Household.id, q.active_on(BinIssue.issued, BinIssue.withdrawn))
        .exists()
    )
    return q.count(Household, has_bin)


def households(q):
    return q.count(Household)


def runs(q):
    return q.count(Run, date=Run.run_date)


def collected_kg(q):
    return q.sum(Run, Run.amount_kg, date=Run.run_date)


def sorted_kg(q):
    return q.sum(Run, Run.amount_kg, Run.sorted.is_(True), date=Run.run_date)


INDICATORS = (
    Indicator(key="sanitation.bin_coverage", label_zh="垃圾桶入户率", label_en="Bin coverage", unit_zh="%", unit_en="%",
              numerator=households_with_bins, denominator=households, value_type="ratio", headline=True,
              description_zh="期末有垃圾桶的户数 ÷ 总户数", description_en="Households with a bin at the end of the period ÷ households"),
    Indicator(key="sanitation.collection_rate", label_zh="清运率", label_en="Collection rate", unit_zh="%", unit_en="%",
              numerator=collection_days, denominator=collection_days_due, value_type="ratio", headline=True,
              reads=(Run, Association, Region, "setting"),
              description_zh="有清运的天数 ÷ 应清运天数（有环卫协会的村、截至今天的天数，按每周应清运天数折算；汇总后相除）",
              description_en="Days with a collection ÷ days a collection was due (villages with a sanitation association, days up "
                             "to today, scaled by the required collection days per week; summed over the area, then divided)"),
    Indicator(key="sanitation.collections", label_zh="清运车次", label_en="Collection runs", unit_zh="次", unit_en="runs",
              numerator=runs, description_zh="期内清运车次", description_en="Collection runs in the period"),
    Indicator(key="sanitation.collected_kg", label_zh="清运量", label_en="Waste collected", unit_zh="公斤", unit_en="kg",
              numerator=collected_kg, description_zh="期内清运垃圾总量", description_en="Waste collected in the period"),
    Indicator(key="sanitation.sorted_share", label_zh="分类清运占比", label_en="Share collected sorted", unit_zh="%", unit_en="%",
              numerator=sorted_kg, denominator=collected_kg, value_type="ratio",
              description_zh="分类清运的重量 ÷ 清运总量", description_en="Weight collected sorted ÷ weight collected"),
)
