"""Validation: every rule refuses a bad batch whole, naming row, field and value in both languages."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert

from shequ_plugin_finance.models import LedgerEntry, Posting, PostingItem, Query
from shequ_sdk import BatchError

D = dt.date


def posting(world, village="一村", **over):
    row = {"region_id": world.ids[village], "board": "party", "period": "2010Q4", "title": "2010年第4季度党务公开",
           "posted_on": D(2011, 1, 10), "reviewer_name": "王审核", "review_date": D(2011, 1, 9)}
    return {**row, **over}


def refused(world, table, rows, *, rule=None, field=None, value=None, row=None):
    """Write ``rows``; assert the batch is refused whole with a problem matching the arguments."""
    before = world.count(table)
    with pytest.raises(BatchError) as exc:
        world.write(table, rows)
    assert world.count(table) == before, "a refused batch must write nothing"
    hits = [p for p in exc.value.problems
            if (rule is None or p.rule == rule) and (field is None or p.field == field) and (value is None or p.value == value)
            and (row is None or p.row == row)]
    assert hits, f"no problem with rule={rule} field={field} value={value}: {[str(p) for p in exc.value.problems]}"
    p = hits[0]
    assert p.message_zh and p.message_en and p.message_zh != p.message_en
    assert p.table == table.__tablename__
    return p


def test_a_good_posting_is_written_and_chinese_labels_are_accepted(world):
    world.write(Posting, [posting(world, board="党务", status="草拟")])
    assert world.count(Posting) == 1


def test_negative_amounts_are_refused(world):
    p = refused(world, LedgerEntry, [
        {"region_id": world.ids["一村"], "entry_date": D(2010, 5, 1), "voucher_no": "1", "direction": "income", "account_code": "522",
         "amount_fen": 100},
        {"region_id": world.ids["一村"], "entry_date": D(2010, 5, 2), "voucher_no": "2", "direction": "expense", "account_code": "541",
         "amount_fen": -100},
    ], field="amount_fen", value=-100, row=2)
    assert "金额" in p.message_zh
    pid = world.post("一村", "finance", "2010Q4", D(2011, 1, 10))
    refused(world, PostingItem, [{"region_id": world.ids["一村"], "posting_id": pid, "line_no": 1, "title": "管理费用",
                                  "amount_fen": -5, "direction": "expense"}], field="amount_fen", value=-5)


def test_negative_amount_stored_behind_the_sdk_is_reported_by_check(world):
    with world.sdk.transaction() as s:
        s.execute(insert(LedgerEntry.__table__).values(region_id=world.ids["一村"], entry_date=D(2010, 5, 1), voucher_no="x",
                                                       direction="expense", account_code="541", chart_version="2004", amount_fen=-300,
                                                       synthetic=False))
    problems = [p for p in world.sdk.check(today=D(2011, 3, 31)) if p.rule == "finance.ledger_amount_not_negative"]
    assert len(problems) == 1 and problems[0].field == "amount_fen" and problems[0].value == -300


def test_posting_for_a_future_period_is_refused(world):
    # the period has not started on the day of entry (today is 2011-03-31)
    refused(world, Posting, [posting(world), posting(world, period="2011Q2", title="下季度", posted_on=D(2011, 3, 30),
                                                      review_date=D(2011, 3, 30))],
            rule="finance.posting_not_future", field="period", value="2011Q2", row=2)
    # posted before its own period began
    refused(world, Posting, [posting(world, period="2010Q4", posted_on=D(2010, 9, 30), review_date=D(2010, 9, 29))],
            rule="finance.posting_not_future", field="posted_on", value=D(2010, 9, 30))
    # posted after today
    refused(world, Posting, [posting(world, posted_on=D(2011, 4, 2), review_date=D(2011, 3, 30))],
            rule="finance.posting_not_future", field="posted_on", value=D(2011, 4, 2))


def test_a_posting_during_its_period_is_allowed_but_warned(world):
    world.write(Posting, [posting(world, period="2011Q1", title="季度中公开", posted_on=D(2011, 3, 28), review_date=D(2011, 3, 27))])
    warnings = [p for p in world.sdk.check(today=D(2011, 3, 31)) if p.rule == "finance.posting_before_period_end"]
    assert len(warnings) == 1 and warnings[0].extra["severity"] == "warning"


def test_board_must_fit_the_regions_kind(world):
    p = refused(world, Posting, [posting(world, "二社区", board="village", title="村务")],
                rule="finance.board_fits_region", field="board", value="village")
    assert "社区" in p.message_zh and "community" in p.message_en
    refused(world, Posting, [posting(world, "一村", board="residents", title="居务")],
            rule="finance.board_fits_region", field="board", value="residents")
    world.write(Posting, [posting(world, "二社区", board="residents", title="居务")])


def test_period_must_be_canonical_and_fit_the_board(world):
    p = refused(world, Posting, [posting(world, period="2010年第4季度")], rule="finance.posting_period", field="period")
    assert "2010Q4" in p.message_zh
    refused(world, Posting, [posting(world, period="2010-12")], rule="finance.posting_period", field="period", value="2010-12")
    refused(world, Posting, [posting(world, period="2010")], rule="finance.posting_period", field="period", value="2010")
    refused(world, Posting, [posting(world, period="去年")], rule="finance.posting_period", field="period", value="去年")


def test_posting_must_be_reviewed_before_it_is_posted(world):
    # a published row (as an import of paper records would carry) must name its review and posted date
    refused(world, Posting, [posting(world, status="published", reviewer_name=None)], rule="finance.posting_review", field="reviewer_name")
    refused(world, Posting, [posting(world, review_date=D(2011, 1, 11))], rule="finance.posting_review", field="review_date",
            value=D(2011, 1, 11))
    refused(world, Posting, [posting(world, status="published", posted_on=None)], rule="finance.posting_review", field="posted_on")
    refused(world, Posting, [posting(world, status="unknown")], field="status", value="unknown")
    # a draft needs neither reviewer nor posted date
    world.write(Posting, [posting(world, status="draft", reviewer_name=None, review_date=None, posted_on=None)])


def test_item_region_and_direction(world):
    pid = world.post("一村", "finance", "2010Q4", D(2011, 1, 10))
    refused(world, PostingItem, [{"region_id": world.ids["三村"], "posting_id": pid, "line_no": 1, "title": "x"}],
            rule="finance.item_same_region", field="region_id")
    refused(world, PostingItem, [{"region_id": world.ids["一村"], "posting_id": pid + 999, "line_no": 1, "title": "x"}],
            rule="finance.item_same_region", field="posting_id", value=pid + 999)
    refused(world, PostingItem, [{"region_id": world.ids["一村"], "posting_id": pid, "line_no": 1, "title": "x", "amount_fen": 100}],
            rule="finance.item_amount_direction", field="direction")
    refused(world, PostingItem, [{"region_id": world.ids["一村"], "posting_id": pid, "line_no": 1, "title": "x", "amount_fen": 100,
                                  "direction": "income", "account_code": "541"}],
            rule="finance.item_amount_direction", field="direction", value="income")
    other = world.entry("三村", D(2010, 11, 1), 100)
    refused(world, PostingItem, [{"region_id": world.ids["一村"], "posting_id": pid, "line_no": 1, "title": "x", "amount_fen": 100,
                                  "direction": "income", "ledger_entry_id": other}],
            rule="finance.item_same_region", field="ledger_entry_id", value=other)


def test_ledger_account_must_fit_chart_and_direction(world):
    base = {"region_id": world.ids["一村"], "entry_date": D(2010, 5, 1), "voucher_no": "1", "amount_fen": 100}
    refused(world, LedgerEntry, [{**base, "direction": "expense", "account_code": "522"}], rule="finance.ledger_account",
            field="direction", value="expense")
    refused(world, LedgerEntry, [{**base, "direction": "income", "account_code": "101"}], field="account_code", value="101")
    refused(world, LedgerEntry, [{**base, "direction": "income", "account_code": "522", "entry_date": D(2011, 4, 1)}],
            rule="finance.ledger_dates", field="entry_date")
    refused(world, LedgerEntry, [{**base, "direction": "income", "account_code": "522", "review_date": D(2010, 4, 30),
                                  "reviewer_name": "王审核"}], rule="finance.ledger_dates", field="review_date")
    world.write(LedgerEntry, [{**base, "direction": "收入", "account_code": "补助收入"}])  # Chinese labels map to codes


def test_query_dates(world):
    base = {"region_id": world.ids["一村"], "number": "1", "channel": "书面", "subject": "账目", "received_on": D(2010, 5, 1)}
    refused(world, Query, [{**base, "replied_on": D(2010, 4, 30), "reply_text": "x"}], rule="finance.query_dates", field="replied_on")
    refused(world, Query, [{**base, "reply_due": D(2010, 4, 1)}], rule="finance.query_dates", field="reply_due")
    refused(world, Query, [{**base, "received_on": D(2011, 4, 1)}], rule="finance.query_dates", field="received_on")
    refused(world, Query, [{**base, "channel": "电报"}], field="channel", value="电报")


def test_finance_board_totals_must_match_the_ledger(world):
    world.entry("一村", D(2010, 10, 5), 120_000, account="511", voucher="a")
    world.entry("一村", D(2010, 12, 5), 80_000, account="522", voucher="b")
    world.entry("一村", D(2010, 11, 5), 50_050, account="541", direction="expense", voucher="c")
    world.entry("一村", D(2011, 1, 2), 999, account="541", direction="expense", voucher="d")  # next quarter: not in Q4
    good = world.post("一村", "finance", "2010Q4", D(2011, 1, 10), items=[
        {"title": "发包及上交收入", "amount_fen": 120_000, "direction": "income", "account_code": "511"},
        {"title": "补助收入", "amount_fen": 80_000, "direction": "income", "account_code": "522"},
        {"title": "管理费用", "amount_fen": 50_050, "direction": "expense", "account_code": "541"},
    ])
    assert [p for p in world.sdk.check(today=D(2011, 3, 31)) if p.rule == "finance.board_totals_match_ledger"] == []
    bad = world.post("三村", "finance", "2010Q4", D(2011, 1, 10), items=[
        {"title": "收入合计", "amount_fen": 10_000, "direction": "income"}])
    world.entry("三村", D(2010, 10, 1), 12_345, voucher="e")
    problems = [p for p in world.sdk.check(today=D(2011, 3, 31)) if p.rule == "finance.board_totals_match_ledger"]
    assert [(p.row, p.field, p.value) for p in problems] == [(bad, "amount_fen", "100.00")]
    assert "123.45" in problems[0].message_zh and "100.00" in problems[0].message_en
    assert good != bad
