"""Indicators of the culture and sports association, keyed ``culture.*``.

Library figures are stocks at the period's end (a library counts when it was established on
or before that day and not closed by it); activity, participant and loan figures are flows
within the period. All of them are plain counts and sums per village, so the engine's
township and county totals are sums of the villages.
"""

from __future__ import annotations

from sqlalchemy import func, select

from shequ_sdk import Indicator

from .models import Activity, Library, LibraryStock, Loan


def _day(q):
    return min(q.end, q.as_of)


def _open_at_end(q):
    return q.active_on(Library.established, Library.closed, _day(q))


def libraries(q):
    return q.count(Library, _open_at_end(q))


def books_held(q):
    """Each open library's books from its latest stocktake on or before the day; a library
    without one counts its registered holdings (``books``)."""
    latest = (
        select(LibraryStock.books)
        .where(LibraryStock.library_id == Library.id, LibraryStock.stock_date <= _day(q))
        .order_by(LibraryStock.stock_date.desc(), LibraryStock.id.desc())
        .limit(1)
        .correlate(Library)
        .scalar_subquery()
    )
    return q.sum(Library, func.coalesce(latest, Library.books), _open_at_end(q))


def activities(q):
    return q.count(Activity, date=Activity.activity_date)


def participants(q):
    return q.sum(Activity, Activity.participants, date=Activity.activity_date)


def loans(q):
    return q.count(Loan, date=Loan.lent_on)


INDICATORS = [
    Indicator(key="culture.libraries", label_zh="农家书屋/图书室", label_en="Libraries", unit_zh="个", unit_en="libraries",
              numerator=libraries,
              description_zh="期末在办的农家书屋和图书室", description_en="Farmhouse libraries and library rooms open at the end of the period"),
    Indicator(key="culture.library_books", label_zh="藏书量", label_en="Books held", unit_zh="册", unit_en="volumes",
              numerator=books_held, headline=True,
              description_zh="期末在办书屋的藏书册数（取期末前最近一次盘点，无盘点时取登记册数）",
              description_en="Books held by open libraries at the end of the period (latest stocktake on or before it, else the registered holdings)"),
    Indicator(key="culture.activities", label_zh="文体活动", label_en="Cultural and sports activities", unit_zh="次", unit_en="activities",
              numerator=activities, headline=True,
              description_zh="期内举办的文体活动次数", description_en="Activities held in the period"),
    Indicator(key="culture.participants", label_zh="活动参与人次", label_en="Activity participants", unit_zh="人次", unit_en="person-times",
              numerator=participants,
              description_zh="期内文体活动参与人次合计", description_en="Participants in the period's activities, counted per activity"),
    Indicator(key="culture.loans", label_zh="图书借阅", label_en="Book loans", unit_zh="册次", unit_en="loans",
              numerator=loans,
              description_zh="期内借阅登记簿中的借出册次", description_en="Loans entered in the loan register in the period"),
]
