"""Fixtures for the analysts' layer: a test-only ledger table that exercises every column
kind a frame converts (dates, timestamps, a period label, money, choices, sensitive fields),
the same table registered three ways (by date, by period label, by timestamp), known rows in
three villages of two townships, and a statement recorder that proves filters reach SQL."""

from __future__ import annotations

import datetime as dt
from typing import Optional

import pytest
from sqlalchemy import Index, event

from shequ_sdk import Indicator, Period, Record, RecordTable, field, hookimpl
from shequ_sdk.db import create_all
from shequ_sdk.regions import create_region

PLUGIN = "analytics_test"
LEDGER = "analytics_test_ledger"
CATEGORIES = {"cash": ("现金", "cash"), "bank": ("银行转账", "bank transfer"), "goods": ("实物", "goods")}


class LedgerEntry(Record, table=True):
    """A payment with one column of every kind frames convert."""

    __tablename__ = "analytics_test_ledger"
    __table_args__ = (Index("ix_analytics_test_ledger_region_date", "region_id", "entry_date"),)
    entry_date: dt.date = field(label_zh="记账日期", label_en="Entry date")
    posted_at: Optional[dt.datetime] = field(default=None, label_zh="公开时间", label_en="Posted at")
    quarter: str = field(label_zh="所属季度", label_en="Quarter")
    amount_fen: int = field(label_zh="金额(分)", label_en="Amount (fen)", money=True, ge=0)
    category: str = field(label_zh="支付方式", label_en="Payment method", choices=CATEGORIES)
    payee_name: str = field(label_zh="收款人", label_en="Payee", sensitive="name")
    payee_phone: Optional[str] = field(default=None, label_zh="收款人电话", label_en="Payee phone", phone=True)
    approved: bool = field(default=False, label_zh="已审核", label_en="Approved")
    note: Optional[str] = field(default=None, label_zh="备注", label_en="Note")


class LedgerPlugin:
    """Registered for a test, unregistered after it."""

    @hookimpl
    def register_tables(self, register):
        register(RecordTable(model=LedgerEntry, label_zh="测试台账", label_en="Test ledger", date_field="entry_date"))

    @hookimpl
    def register_indicators(self, register):
        register(Indicator(key=f"{PLUGIN}.paid", label_zh="支出金额", label_en="Paid out", unit_zh="元", unit_en="yuan",
                           value_type="money", numerator=lambda q: q.sum(LedgerEntry, LedgerEntry.amount_fen, date=LedgerEntry.entry_date)))
        register(Indicator(key=f"{PLUGIN}.cash_share", label_zh="现金支付占比", label_en="Share paid in cash", unit_zh="%", unit_en="%",
                           value_type="ratio",
                           numerator=lambda q: q.count(LedgerEntry, LedgerEntry.category == "cash", date=LedgerEntry.entry_date),
                           denominator=lambda q: q.count(LedgerEntry, date=LedgerEntry.entry_date)))


class QuarterLedgerPlugin:
    """The same table keyed by its period label instead of its date."""

    @hookimpl
    def register_tables(self, register):
        register(RecordTable(model=LedgerEntry, label_zh="测试台账", label_en="Test ledger", period_field="quarter", period_kind="quarter"))


class PostedLedgerPlugin:
    """The same table placed in time by a timestamp."""

    @hookimpl
    def register_tables(self, register):
        register(RecordTable(model=LedgerEntry, label_zh="测试台账", label_en="Test ledger", date_field="posted_at"))


def _register(plugin):
    from shequ_sdk.plugins import register_plugin, unregister_plugin

    register_plugin(plugin, name=PLUGIN)
    try:
        yield
    finally:
        unregister_plugin(PLUGIN)


@pytest.fixture
def ledger_plugin():
    yield from _register(LedgerPlugin())


@pytest.fixture
def quarter_ledger_plugin():
    yield from _register(QuarterLedgerPlugin())


@pytest.fixture
def posted_ledger_plugin():
    yield from _register(PostedLedgerPlugin())


VILLAGES = {"甲一村": ("甲镇", "village", 9), "甲二村": ("甲镇", "village", 3), "乙一社区": ("乙镇", "community", 5)}
NAMES = ["张三丰", "李四", "王小五", "赵六"]
CATS = ["cash", "bank", "goods", "bank", "bank"]


def seed_ledger(sdk) -> list[dict]:
    """Three villages in two townships with a known set of ledger rows; returns the rows."""
    with sdk.transaction() as s:
        county = create_region(session=s, name="测试县", kind="county", code="430921")
        towns = {name: create_region(session=s, name=name, kind="township", parent=county) for name in ("甲镇", "乙镇")}
        ids = {}
        for n, (village, (town, kind, _)) in enumerate(VILLAGES.items()):
            ids[village] = create_region(session=s, name=village, kind=kind, parent=towns[town], code=f"430921{100 + n:03d}200").id
    rows = []
    for village, (_town, _kind, count) in VILLAGES.items():
        for i in range(count):
            day = dt.date(2010, 1 + (i * 4) % 12, 1 + (i * 7) % 28)
            rows.append({
                "region_id": ids[village], "entry_date": day,
                "posted_at": dt.datetime(day.year, day.month, day.day, 9 + i % 8, 30, 15) if i % 3 else None,
                "quarter": str(Period.quarter_of(day)), "amount_fen": 12_345 * (i + 1) + 7,
                "category": CATS[(i + len(village)) % len(CATS)], "payee_name": NAMES[i % len(NAMES)],
                "payee_phone": f"1381234{i:04d}" if i % 2 == 0 else None, "approved": i % 2 == 1,
                "note": None if i % 4 else f"第{i}笔",
            })
    sdk.write(LEDGER, rows)
    for r, village in zip(rows, [v for v, (_, _, c) in VILLAGES.items() for _ in range(c)]):
        r["village"] = village
        r["town"] = VILLAGES[village][0]
    return rows


@pytest.fixture
def ledger(sdk, ledger_plugin):
    create_all(sdk.engine)
    return sdk, seed_ledger(sdk)


@pytest.fixture
def quarter_ledger(sdk, quarter_ledger_plugin):
    create_all(sdk.engine)
    return sdk, seed_ledger(sdk)


@pytest.fixture
def posted_ledger(sdk, posted_ledger_plugin):
    create_all(sdk.engine)
    return sdk, seed_ledger(sdk)


@pytest.fixture
def statements():
    """``record(engine)`` starts collecting the SQL sent to ``engine``; returns the list."""
    attached = []

    def record(engine):
        seen: list[str] = []

        def before(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", before)
        attached.append((engine, before))
        return seen

    yield record
    for engine, fn in attached:
        event.remove(engine, "before_cursor_execute", fn)
