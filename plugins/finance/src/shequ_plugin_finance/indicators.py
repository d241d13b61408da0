"""Finance indicators, computed in SQL by the SDK engine.

Every disclosure indicator counts rows of the derived schedule (``finance_obligation``) joined
to postings, through :func:`shequ_plugin_finance.deadlines.status_rows`; ``prepare`` refreshes
the schedule from the township's settings first. Counts are summed over the villages of an
area and the on-time rate is Σ on-time ÷ Σ decided, so a township's rate is recomputed.
"""

from __future__ import annotations

from sqlalchemy import func, select

from shequ_sdk import Indicator, Period

from . import deadlines
from .models import LedgerEntry, Obligation, Posting, Query


def _status(q, kinds=deadlines.DISCLOSURE_KINDS):
    return deadlines.status_rows(q.in_scope(Obligation.__table__.c.region_id), q.start, q.end, q.as_of, kinds)


def _count(sub, *where):
    return select(sub.c.region_id.label("region_id"), func.count().label("value")).where(*where).group_by(sub.c.region_id)


def on_time(q):
    sub = _status(q)
    return _count(sub, sub.c.status == "on_time")


def decided(q):
    """Obligations whose outcome is known as of ``q.as_of``: met, or past due."""
    sub = _status(q)
    return _count(sub, sub.c.status != "not_yet_due")


def overdue(q):
    sub = _status(q)
    return _count(sub, sub.c.status == "missing")


def queries_overdue(q):
    sub = _status(q, ("query",))
    return _count(sub, sub.c.status.in_(("late", "missing")))


def queries_received(q):
    return q.count(Query, date=Query.received_on)


def period_labels(period: Period) -> list[str]:
    """Labels of the quarters and months lying inside ``period`` (what postings are filed under)."""
    labels = [str(period)] if period.kind in ("quarter", "month") else []
    if period.kind == "year":
        labels += [str(p) for p in period.subperiods("quarter")]
    if period.kind in ("year", "quarter"):
        labels += [str(p) for p in period.subperiods("month")]
    return labels


def boards_posted(q):
    """Distinct (board, period) regular postings published for periods inside the period."""
    p = Posting.__table__
    sub = (
        select(p.c.region_id, p.c.board, p.c.period)
        .where(q.in_scope(p.c.region_id), p.c.kind == "regular", p.c.status == "published", p.c.posted_on <= q.as_of,
               p.c.period.in_(period_labels(q.period)))
        .group_by(p.c.region_id, p.c.board, p.c.period)
        .subquery()
    )
    return _count(sub)


def income(q):
    return q.sum(LedgerEntry, LedgerEntry.amount_fen, LedgerEntry.direction == "income", date=LedgerEntry.entry_date)


def expenditure(q):
    return q.sum(LedgerEntry, LedgerEntry.amount_fen, LedgerEntry.direction == "expense", date=LedgerEntry.entry_date)


INDICATORS = (
    Indicator(key="finance.disclosure_on_time_rate", label_zh="按时公开率", label_en="Disclosure on time",
              unit_zh="%", unit_en="%", numerator=on_time, denominator=decided, value_type="ratio", headline=True,
              prepare=deadlines.prepare, reads=deadlines.DERIVED_FROM,
              description_zh="按时公开的公开栏及重大事项 ÷ 已到期或已公开的应公开事项（截止日按乡镇配置计算）",
              description_en="Boards and major items posted by their due date ÷ those due or posted (due dates from the township's settings)"),
    Indicator(key="finance.overdue_boards", label_zh="逾期未公开", label_en="Overdue, not posted", unit_zh="项", unit_en="items",
              numerator=overdue, headline=True, prepare=deadlines.prepare, reads=deadlines.DERIVED_FROM,
              description_zh="已过截止日仍未公开的公开栏及重大事项", description_en="Boards and major items past due and still not posted"),
    Indicator(key="finance.boards_posted", label_zh="公开栏更新次数", label_en="Boards posted", unit_zh="期", unit_en="postings",
              numerator=boards_posted,
              description_zh="本期间内各期已公开的定期公开栏（每个公开栏每期计一次）",
              description_en="Regular boards published for the periods inside this one (once per board and period)"),
    Indicator(key="finance.queries_overdue", label_zh="逾期答复的村民查询", label_en="Queries answered late or not at all",
              unit_zh="件", unit_en="queries", numerator=queries_overdue, prepare=deadlines.prepare, reads=deadlines.DERIVED_FROM,
              description_zh="本期间受理、超过答复期限才答复或至今未答复的查询",
              description_en="Queries received in the period and answered after their due date, or unanswered past it"),
    Indicator(key="finance.queries_received", label_zh="受理村民查询", label_en="Queries received", unit_zh="件", unit_en="queries",
              numerator=queries_received),
    Indicator(key="finance.income", label_zh="集体收入", label_en="Collective income", unit_zh="元", unit_en="yuan",
              numerator=income, value_type="money", description_zh="账目中的收入合计", description_en="Income entries in the ledger"),
    Indicator(key="finance.expenditure", label_zh="集体支出", label_en="Collective expenditure", unit_zh="元", unit_en="yuan",
              numerator=expenditure, value_type="money", description_zh="账目中的支出合计", description_en="Expenditure entries in the ledger"),
)
