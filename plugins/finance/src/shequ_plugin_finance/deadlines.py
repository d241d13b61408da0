"""The deadline engine: what each village must disclose (or reply to), by when, and whether it did.

How it works:

1. :func:`refresh` computes, in Python, every obligation in an area and date range from the
   township's settings — quarterly boards, monthly finance for villages flagged as having many
   transactions, major ledger items, resident queries — and brings the derived
   ``finance_obligation`` table in step (insert / update / delete). The schedule is kept
   current at write time (:func:`keep_current`, the ``records_changed`` hook: a ledger entry, a
   query or a setting written through the SDK) and by the demo and the generator. Each finance
   indicator's ``prepare`` calls :func:`refresh` too, inside the read's session, which the SDK
   rolls back: a read never changes the database, and a schedule that fell behind (a day that
   has not been stored yet) is made current for that read only.
2. :func:`status_rows` is SQL over that table, the postings and the queries: the date each
   obligation was met (first published posting, or the reply) and its status as of a day.
   The indicators and :func:`board_status` share it, so the heatmap, the notebook and the
   indicator values can never disagree.

Statuses, given ``as_of``:

- ``on_time``: met on or before the due date (and on or before ``as_of``);
- ``late``: met after the due date;
- ``missing``: not met and the due date is before ``as_of``;
- ``not_yet_due``: not met, but the due date is ``as_of`` or later.

An obligation belongs to the period it discloses: the 2010Q4 party board is counted in 2010Q4
(and 2010), although it is due in January 2011. A major item or a query belongs to its own date.
"""

from __future__ import annotations

import calendar
import datetime as dt
from operator import itemgetter
from typing import Any, Iterable, Optional, Sequence

from sqlalchemy import bindparam, case, delete, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from shequ_sdk import Period, Region, Setting
from shequ_sdk import config
from shequ_sdk.regions import find_region, scope_condition

from .models import BOARDS, BOARDS_FOR_KIND, PUBLISHED_STATUSES, LedgerEntry, Obligation, Posting, PostingItem, Query

SETTINGS = (
    Setting(key="finance.quarterly_due_day", default=15, label_zh="季度公开截止日（次季度首月第N日）",
            label_en="Quarterly boards due by day N of the next quarter's first month",
            description_zh="村务公开一般事项至少每季度公布一次；常见地方规定为次季度首月15日或20日",
            description_en="General matters are disclosed at least quarterly; local rules use the 15th or 20th"),
    Setting(key="finance.monthly_finance", default=False, label_zh="财务往来较多，按月公开财务",
            label_en="Many transactions: finance disclosed monthly",
            description_zh="在村/社区上设置；为真时财务公开由每季度改为每月",
            description_en="Set on a village; when true the finance board is due every month instead of every quarter"),
    Setting(key="finance.monthly_due_day", default=15, label_zh="按月公开截止日（次月第N日）",
            label_en="Monthly finance due by day N of the next month"),
    Setting(key="finance.major_item_threshold_fen", default=5_000_000, label_zh="重大事项金额标准(分)",
            label_en="Major item threshold (fen)",
            description_zh="单笔收支达到该金额（默认5万元）须随时公布", description_en="Entries of at least this amount (default ¥50,000) are disclosed at once"),
    Setting(key="finance.major_item_days", default=5, label_zh="重大事项公开时限(日)", label_en="Days to disclose a major item"),
    Setting(key="finance.query_reply_days", default=10, label_zh="村民查询答复时限(日)", label_en="Days to reply to a query"),
    Setting(key="finance.display_days", default=15, label_zh="公开栏张贴天数", label_en="Days a posting stays displayed",
            description_zh="未填公开截止日期时，按公开日期加此天数计", description_en="Used when a posting has no display-until date"),
)
SETTING_KEYS = tuple(s.key for s in SETTINGS)

STATUSES = {
    "on_time": ("按时", "on time"),
    "late": ("逾期公开", "late"),
    "missing": ("未公开", "missing"),
    "not_yet_due": ("未到期", "not yet due"),
}
# Worst first: a grid cell holding several obligations shows the worst of them.
SEVERITY = ("missing", "late", "not_yet_due", "on_time")
DISCLOSURE_KINDS = ("board", "major")


# -- due dates (pure functions: the engine's arithmetic lives here, not in SQL) -----------------

def day_of_month(year: int, month: int, day: int) -> dt.date:
    """``day`` of the month, clamped to the month's length (day 31 in April is April 30)."""
    return dt.date(year, month, max(1, min(day, calendar.monthrange(year, month)[1])))


def quarterly_due(period: Period, due_day: int) -> dt.date:
    """A quarter's boards are due on ``due_day`` of the following quarter's first month."""
    first = period.next().start
    return day_of_month(first.year, first.month, due_day)


def monthly_due(period: Period, due_day: int) -> dt.date:
    """A month's finance board is due on ``due_day`` of the following month."""
    first = period.next().start
    return day_of_month(first.year, first.month, due_day)


def major_due(entry_date: dt.date, days: int) -> dt.date:
    return entry_date + dt.timedelta(days=days)


def reply_due(received_on: dt.date, days: int, given: Optional[dt.date] = None) -> dt.date:
    """A query's reply deadline: the date recorded on it, else received + ``days``."""
    return given or received_on + dt.timedelta(days=days)


def display_until(posted_on: dt.date, days: int, given: Optional[dt.date] = None) -> dt.date:
    return given or posted_on + dt.timedelta(days=days)


def periods_within(start: dt.date, end: dt.date, kind: str) -> list[Period]:
    """Periods of ``kind`` lying wholly inside ``[start, end]``."""
    out, p = [], Period.containing(start, kind)
    while p.start <= end:
        if p.start >= start and p.end <= end:
            out.append(p)
        p = p.next()
    return out


def _active(region: Region, start: dt.date, end: dt.date) -> bool:
    return (region.valid_from is None or region.valid_from <= end) and (region.valid_to is None or region.valid_to > start)


# -- refreshing the schedule --------------------------------------------------------------------

def expected(session: Session, scope: Region, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Every obligation of the villages in ``scope`` whose disclosed period lies in ``[start, end]``."""
    # plain rows, not ORM objects: a county refreshes on every computation, so this is hot
    villages = list(session.execute(
        select(Region.id, Region.kind, Region.valid_from, Region.valid_to, Region.synthetic, Region.township_id, Region.county_id)
        .where(scope_condition(scope), Region.kind.in_(("village", "community"))).order_by(Region.id)
    ))
    if not villages:
        return []
    cfg = {key: config.resolve_for(session, key, villages) for key in SETTING_KEYS}
    # each period's dates and each (period, due day) due date are worked out once, not per village
    quarters = [(p, str(p), p.start, p.end) for p in periods_within(start, end, "quarter")]
    months = [(p, str(p), p.start, p.end) for p in periods_within(start, end, "month")]
    dues: dict[tuple[str, int], dt.date] = {}

    def due(span, day: int, rule) -> dt.date:
        key = (span[1], day)
        if key not in dues:
            dues[key] = rule(span[0], day)
        return dues[key]

    out: list[dict[str, Any]] = []
    for v in villages:
        monthly = bool(cfg["finance.monthly_finance"][v.id])
        qday, mday = cfg["finance.quarterly_due_day"][v.id], cfg["finance.monthly_due_day"][v.id]
        boards = [b for b in BOARDS_FOR_KIND[v.kind] if not (b == "finance" and monthly)]
        for span in quarters:
            if _active(v, span[2], span[3]):
                deadline = due(span, qday, quarterly_due)
                out += [_board_row(v, board, span, deadline) for board in boards]
        if monthly:
            for span in months:
                if _active(v, span[2], span[3]):
                    out.append(_board_row(v, "finance", span, due(span, mday, monthly_due)))
    by_id = {v.id: v for v in villages}
    in_scope = LedgerEntry.region_id.in_(select(Region.id).where(scope_condition(scope)))
    lowest = min(cfg["finance.major_item_threshold_fen"].values())
    entries = session.execute(
        select(LedgerEntry.id, LedgerEntry.region_id, LedgerEntry.entry_date, LedgerEntry.amount_fen, LedgerEntry.synthetic)
        .where(in_scope, LedgerEntry.entry_date >= start, LedgerEntry.entry_date <= end, LedgerEntry.amount_fen >= lowest)
    )
    for eid, rid, day, amount, synthetic in entries:
        if rid in by_id and amount >= cfg["finance.major_item_threshold_fen"][rid]:
            out.append({"region_id": rid, "obligation_key": f"major:{eid}", "kind": "major", "board": "finance",
                        "period": str(Period.month_of(day)), "period_start": day, "period_end": day,
                        "due_date": major_due(day, cfg["finance.major_item_days"][rid]), "ledger_entry_id": eid,
                        "query_id": None, "synthetic": synthetic})
    queries = session.execute(
        select(Query.id, Query.region_id, Query.received_on, Query.reply_due, Query.synthetic)
        .where(Query.region_id.in_(select(Region.id).where(scope_condition(scope))), Query.received_on >= start, Query.received_on <= end)
    )
    for qid, rid, day, given, synthetic in queries:
        if rid in by_id:
            out.append({"region_id": rid, "obligation_key": f"query:{qid}", "kind": "query", "board": None,
                        "period": str(Period.month_of(day)), "period_start": day, "period_end": day,
                        "due_date": reply_due(day, cfg["finance.query_reply_days"][rid], given), "ledger_entry_id": None,
                        "query_id": qid, "synthetic": synthetic})
    return out


def _board_row(v: Region, board: str, span: tuple, due: dt.date) -> dict[str, Any]:
    _, label, start, end = span
    return {"region_id": v.id, "obligation_key": f"board:{board}:{label}", "kind": "board", "board": board, "period": label,
            "period_start": start, "period_end": end, "due_date": due, "ledger_entry_id": None, "query_id": None,
            "synthetic": v.synthetic}


def _identity(row) -> tuple:
    # a ledger entry or query keeps its obligation when its region or date is corrected
    if row["kind"] in ("major", "query"):
        return (row["obligation_key"],)
    return (row["region_id"], row["obligation_key"])


_COLUMNS = ("region_id", "obligation_key", "kind", "board", "period", "period_start", "period_end", "due_date",
            "ledger_entry_id", "query_id", "synthetic")
_CHUNK = 500
_IDENTITY_COLUMNS = ("kind", "region_id", "obligation_key")  # what _identity reads
_identity_values = itemgetter(*(_COLUMNS.index(c) for c in _IDENTITY_COLUMNS))  # of a stored row
_as_stored = itemgetter(*_COLUMNS)  # an expected row as the tuple a stored row is read as


def refresh(session: Session, scope: Region, start: dt.date, end: dt.date) -> dict[str, int]:
    """Bring ``finance_obligation`` in step for ``scope`` and ``[start, end]``; return the counts changed.

    On PostgreSQL two dashboards may refresh the same rows at once: the loser's insert hits the
    unique key, its savepoint rolls back, and the second pass finds the winner's rows in place.
    (SQLite serialises writers, and pysqlite savepoints are unreliable, so it runs once, plainly.)
    """
    if session.get_bind().dialect.name == "sqlite":
        return _refresh(session, scope, start, end)
    try:
        with session.begin_nested():
            return _refresh(session, scope, start, end)
    except IntegrityError:
        pass  # another session inserted the same obligations first: they are there now
    with session.begin_nested():
        return _refresh(session, scope, start, end)


SOURCE_TABLES = (LedgerEntry.__tablename__, Query.__tablename__, "setting")  # writes that bring the schedule in step
# everything :func:`expected` reads: ``Indicator.reads`` of the indicators whose ``prepare`` it is
DERIVED_FROM = (*SOURCE_TABLES, Region.__tablename__)


def keep_current(session: Session, table: str, region_ids: Optional[Sequence[int]]) -> None:
    """``records_changed``: bring the stored schedule in step after a ledger entry, a query or a
    setting changed, for the regions concerned, over the years the schedule or the data covers
    there. ``region_ids`` None (a setting for the whole database): every county."""
    if table not in SOURCE_TABLES:
        return
    if region_ids is None:
        scopes = list(session.execute(select(Region).where(Region.parent_id.is_(None))).scalars())
    else:
        rows = list(session.execute(select(Region).where(Region.id.in_(region_ids))).scalars())
        villages = [r for r in rows if r.kind in ("village", "community")]
        # one refresh per township for a batch across villages (an import), else per region
        if len(villages) > 1:
            scopes = [r for r in rows if r.kind not in ("village", "community")]
            scopes += list(session.execute(select(Region).where(Region.id.in_({v.township_id for v in villages if v.township_id})))
                           .scalars())
            scopes += [v for v in villages if not v.township_id]
        else:
            scopes = rows
    for scope in scopes:
        span = _data_span(session, scope)
        if span is not None:
            refresh(session, scope, *span)


def _data_span(session: Session, scope: Region) -> Optional[tuple[dt.date, dt.date]]:
    """From 1 January of the first year to 31 December of the last year that the stored
    schedule, the ledger or the queries of ``scope`` reach; None when there is nothing."""
    inside = select(Region.id).where(scope_condition(scope))
    O = Obligation.__table__
    ends = [
        select(func.min(O.c.period_start), func.max(O.c.period_end)).where(O.c.region_id.in_(inside)),
        select(func.min(LedgerEntry.entry_date), func.max(LedgerEntry.entry_date)).where(LedgerEntry.region_id.in_(inside)),
        select(func.min(Query.received_on), func.max(Query.received_on)).where(Query.region_id.in_(inside)),
    ]
    lows, highs = [], []
    for stmt in ends:
        low, high = session.execute(stmt).one()
        if low is not None:
            lows.append(low if isinstance(low, dt.date) else dt.date.fromisoformat(str(low)[:10]))
            highs.append(high if isinstance(high, dt.date) else dt.date.fromisoformat(str(high)[:10]))
    if not lows:
        return None
    return dt.date(min(lows).year, 1, 1), dt.date(max(highs).year, 12, 31)


def _refresh(session: Session, scope: Region, start: dt.date, end: dt.date) -> dict[str, int]:
    want = {_identity(r): r for r in expected(session, scope, start, end)}
    tbl = Obligation.__table__
    cols = [tbl.c.id, *(tbl.c[c] for c in _COLUMNS)]
    in_scope = tbl.c.region_id.in_(select(Region.id).where(scope_condition(scope)))
    # stored rows as tuples in _COLUMNS order, compared with one tuple comparison each: this runs on
    # every computation (thousands of rows for a county year), and dict rows cost twice as much
    have: dict[int, tuple] = {}
    for rid, *values in session.execute(select(*cols).where(in_scope, tbl.c.period_start >= start, tbl.c.period_end <= end)):
        have[rid] = tuple(values)
    # rows of entries/queries that moved in from another range or region
    for kind, source in (("major", "ledger_entry_id"), ("query", "query_id")):
        ids = [r[source] for r in want.values() if r["kind"] == kind]
        for i in range(0, len(ids), _CHUNK):
            for rid, *values in session.execute(select(*cols).where(tbl.c.kind == kind, tbl.c[source].in_(ids[i:i + _CHUNK]))):
                have[rid] = tuple(values)
    stale, changed, seen = [], [], set()
    for rid, values in have.items():
        ident = _identity(dict(zip(_IDENTITY_COLUMNS, _identity_values(values))))
        target = want.get(ident)
        if target is None or ident in seen:
            stale.append(rid)
            continue
        seen.add(ident)
        if values != _as_stored(target):
            changed.append({"_id": rid, **{f"v_{c}": target[c] for c in _COLUMNS}})
    fresh = [r for ident, r in want.items() if ident not in seen]
    for i in range(0, len(stale), _CHUNK):
        session.execute(delete(tbl).where(tbl.c.id.in_(stale[i:i + _CHUNK])))
    if changed:
        session.execute(update(tbl).where(tbl.c.id == bindparam("_id")).values({c: bindparam(f"v_{c}") for c in _COLUMNS}), changed)
    if fresh:
        session.execute(insert(tbl), fresh)
    if stale or changed or fresh:
        session.flush()
    return {"inserted": len(fresh), "updated": len(changed), "deleted": len(stale)}


def prepare(session: Session, q) -> None:
    """``Indicator.prepare`` for every finance indicator: refresh once per computation."""
    if getattr(q, "_finance_refreshed", False):
        return
    refresh(session, q.scope_region, q.start, q.end)
    q._finance_refreshed = True


# -- statuses in SQL --------------------------------------------------------------------------------

def status_rows(scope_cond, start: dt.date, end: dt.date, as_of: dt.date, kinds: Sequence[str] = DISCLOSURE_KINDS):
    """A subquery of obligations with ``done_on`` and ``status`` as of ``as_of``.

    ``scope_cond`` is a SQL condition on ``finance_obligation.region_id`` (``q.in_scope`` in an
    indicator). Portable SQL only: correlated subqueries and CASE, no date arithmetic.

    Only postings put up on the board count (``published``, or ``superseded`` by a correction), each
    dated by its ``posted_on``: the earliest version dates the board, so a later correction never
    makes it late. Drafts, reviewed and approved postings do not count.
    """
    D, P, I, Q = Obligation.__table__, Posting.__table__, PostingItem.__table__, Query.__table__
    board_done = (
        select(func.min(P.c.posted_on))
        .where(P.c.region_id == D.c.region_id, P.c.board == D.c.board, P.c.period == D.c.period, P.c.kind == "regular",
               P.c.status.in_(PUBLISHED_STATUSES), P.c.posted_on <= as_of)
        .scalar_subquery()
    )
    major_done = (
        select(func.min(P.c.posted_on))
        .select_from(I.join(P, P.c.id == I.c.posting_id))
        .where(I.c.ledger_entry_id == D.c.ledger_entry_id, P.c.status.in_(PUBLISHED_STATUSES), P.c.posted_on <= as_of)
        .scalar_subquery()
    )
    query_done = select(Q.c.replied_on).where(Q.c.id == D.c.query_id, Q.c.replied_on <= as_of).scalar_subquery()
    done = case((D.c.kind == "board", board_done), (D.c.kind == "major", major_done), else_=query_done)
    inner = (
        select(D.c.id, D.c.region_id, D.c.kind, D.c.board, D.c.period, D.c.period_start, D.c.period_end, D.c.due_date,
               D.c.ledger_entry_id, D.c.query_id, done.label("done_on"))
        .where(scope_cond, D.c.kind.in_(list(kinds)), D.c.period_start >= start, D.c.period_end <= end)
        # OFFSET 0 fences the subquery: without it PostgreSQL inlines it and runs each correlated
        # min(posted_on) up to three times, once per CASE branch below (3x on PostgreSQL, 1.7x SQLite)
        .offset(0)
        .subquery("finance_done")
    )
    status = case(
        (inner.c.done_on.is_(None) & (inner.c.due_date < as_of), literal("missing")),
        (inner.c.done_on.is_(None), literal("not_yet_due")),
        (inner.c.done_on <= inner.c.due_date, literal("on_time")),
        else_=literal("late"),
    )
    return select(*inner.c, status.label("status")).subquery("finance_status")


def obligation_status(session: Session, region, periods: Iterable, as_of: Optional[dt.date] = None,
                      kinds: Sequence[str] = DISCLOSURE_KINDS) -> list[dict[str, Any]]:
    """Every obligation of ``kinds`` in ``region``'s area for each of ``periods``, with its status.

    Rows: ``region_id, region_name, township_id, kind, board, period, requested_period, due_date,
    done_on, status, ledger_entry_id, query_id``. ``requested_period`` is the period asked for that
    contains the obligation (a monthly finance row sits in its quarter's cell).
    """
    region = find_region(session, region)
    as_of = as_of or dt.date.today()
    wanted = sorted({Period.parse(p) for p in periods})
    if not wanted:
        return []
    start, end = min(p.start for p in wanted), max(p.end for p in wanted)
    refresh(session, region, start, end)  # once for the whole span: the dashboard asks for 40 quarters at a time
    sub = status_rows(Obligation.__table__.c.region_id.in_(select(Region.id).where(scope_condition(region))), start, end, as_of, kinds)
    stmt = select(sub, Region.name.label("region_name"), Region.township_id.label("township_id")).join(Region, Region.id == sub.c.region_id)
    board_order = {b: n for n, b in enumerate(BOARDS)}
    rows = [dict(r) for r in session.execute(stmt).mappings()]
    rows.sort(key=lambda r: (r["region_id"], r["kind"] != "board", board_order.get(r["board"], 9), r["period_start"], r["id"]))
    by_label: dict[str, list[dict[str, Any]]] = {str(p): [] for p in wanted}
    kinds_wanted = {p.kind for p in wanted}
    homes: dict[tuple[dt.date, str], tuple[str, dt.date]] = {}
    for r in rows:
        for kind in kinds_wanted:
            key = (r["period_start"], kind)
            if key not in homes:
                home = Period.containing(r["period_start"], kind)
                homes[key] = (str(home), home.end)
            label, home_end = homes[key]
            if label in by_label and r["period_end"] <= home_end:
                by_label[label].append({
                    "region_id": r["region_id"], "region_name": r["region_name"], "township_id": r["township_id"],
                    "kind": r["kind"], "board": r["board"], "period": r["period"], "requested_period": label,
                    "due_date": r["due_date"], "done_on": r["done_on"], "status": r["status"],
                    "ledger_entry_id": r["ledger_entry_id"], "query_id": r["query_id"],
                })
    return [row for p in wanted for row in by_label[str(p)]]


def board_status(session: Session, region, periods: Iterable, as_of: Optional[dt.date] = None) -> list[dict[str, Any]]:
    """Disclosure status of every board (and major item) of ``region``'s villages in ``periods``.

    ``region`` is a :class:`Region` or a name/code/path; ``periods`` are labels or :class:`Period`
    objects (``["2010Q1", …]`` or ``["2010"]``); ``as_of`` defaults to today. Rows:
    ``region_id, region_name, township_id, board, kind ('board' or 'major'), period,
    requested_period, due_date, posted_on, status`` — what the township heatmap (village ×
    quarter per board) and the timeliness notebook read.
    """
    rows = obligation_status(session, region, periods, as_of, DISCLOSURE_KINDS)
    for r in rows:
        r["posted_on"] = r.pop("done_on")
        r.pop("query_id")
    return rows


def worst(statuses: Iterable[str]) -> Optional[str]:
    """The worst of several statuses (``missing`` > ``late`` > ``not_yet_due`` > ``on_time``)."""
    found = set(statuses)
    return next((s for s in SEVERITY if s in found), None)


def status_grid(rows: Iterable[dict]) -> dict[tuple, dict[str, Any]]:
    """Fold :func:`board_status` rows into heatmap cells.

    Key: ``(region_id, line, requested_period)`` where ``line`` is the board, or ``"major"`` for
    major items. Value: ``{"status": worst status, "on_time": n, "total": n}``.
    """
    cells: dict[tuple, dict[str, Any]] = {}
    for r in rows:
        line = "major" if r["kind"] == "major" else r["board"]
        cell = cells.setdefault((r["region_id"], line, r["requested_period"]), {"statuses": [], "on_time": 0, "total": 0})
        cell["statuses"].append(r["status"])
        cell["total"] += 1
        cell["on_time"] += r["status"] == "on_time"
    return {k: {"status": worst(v["statuses"]), "on_time": v["on_time"], "total": v["total"]} for k, v in cells.items()}


def effective_display_until(session: Session, posting: Posting) -> Optional[dt.date]:
    """The last display day of a posting: its own date, else posted + the configured days."""
    if posting.posted_on is None:
        return posting.display_until
    region = session.get(Region, posting.region_id)
    return display_until(posting.posted_on, config.get(session, "finance.display_days", region), posting.display_until)


def effective_reply_due(session: Session, query: Query) -> dt.date:
    region = session.get(Region, query.region_id)
    return reply_due(query.received_on, config.get(session, "finance.query_reply_days", region), query.reply_due)


__all__ = [
    "SETTINGS", "STATUSES", "SOURCE_TABLES", "keep_current", "board_status", "obligation_status", "status_grid", "status_rows", "refresh", "expected",
    "quarterly_due", "monthly_due", "major_due", "reply_due", "display_until", "effective_display_until",
    "effective_reply_due", "worst",
]
