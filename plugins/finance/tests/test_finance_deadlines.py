"""The deadline engine: quarterly boards, township overrides, monthly finance, major items, queries, roll-up."""

from __future__ import annotations

import datetime as dt

import pytest

from shequ_plugin_finance.deadlines import monthly_due, quarterly_due, status_grid
from shequ_plugin_finance.models import Obligation, Query
from shequ_sdk import Period

D = dt.date


def by_key(rows):
    return {(r["kind"], r["board"], r["period"]): r for r in rows}


def test_due_dates_clamp_to_the_month():
    assert quarterly_due(Period.parse("2010Q4"), 15) == D(2011, 1, 15)
    assert quarterly_due(Period.parse("2010Q1"), 31) == D(2010, 4, 30)  # April has 30 days
    assert monthly_due(Period.parse("2010-01"), 31) == D(2010, 2, 28)
    assert monthly_due(Period.parse("2010-12"), 10) == D(2011, 1, 10)


def test_quarterly_statuses_follow_each_townships_due_day(world):
    # 一村 (甲镇, due on the 15th) and 三村 (乙镇, due on the 20th) post on the same days
    for village in ("一村", "三村"):
        world.post(village, "party", "2010Q4", D(2011, 1, 15))
        world.post(village, "village", "2010Q4", D(2011, 1, 18))
    as_of = D(2011, 3, 1)
    one, three = by_key(world.status("一村", ["2010Q4"], as_of)), by_key(world.status("三村", ["2010Q4"], as_of))
    assert set(one) == {("board", "party", "2010Q4"), ("board", "village", "2010Q4"), ("board", "finance", "2010Q4")}
    assert one[("board", "party", "2010Q4")]["due_date"] == D(2011, 1, 15)
    assert one[("board", "party", "2010Q4")]["status"] == "on_time"
    assert one[("board", "village", "2010Q4")]["status"] == "late"
    assert one[("board", "finance", "2010Q4")]["status"] == "missing"
    assert one[("board", "finance", "2010Q4")]["posted_on"] is None
    assert three[("board", "party", "2010Q4")]["due_date"] == D(2011, 1, 20)
    assert three[("board", "village", "2010Q4")]["status"] == "on_time"  # the 18th is on time in 乙镇
    assert three[("board", "village", "2010Q4")]["posted_on"] == D(2011, 1, 18)
    # before the due date an unposted board is not yet due, and a posting after as_of does not count yet
    early = by_key(world.status("三村", ["2010Q4"], D(2011, 1, 17)))
    assert early[("board", "village", "2010Q4")]["status"] == "not_yet_due"
    assert early[("board", "finance", "2010Q4")]["status"] == "not_yet_due"
    assert early[("board", "party", "2010Q4")]["status"] == "on_time"
    # the indicator agrees: 一村 1 of 3 on time, 三村 2 of 3
    assert world.values("一村", "2010Q4", as_of)["finance.disclosure_on_time_rate"] == pytest.approx(1 / 3)
    assert world.values("三村", "2010Q4", as_of)["finance.disclosure_on_time_rate"] == pytest.approx(2 / 3)
    assert world.values("一村", "2010Q4", as_of)["finance.overdue_boards"] == 1
    assert world.values("一村", "2010Q4", as_of)["finance.boards_posted"] == 2


def test_changing_a_setting_reschedules(world):
    world.post("一村", "village", "2010Q4", D(2011, 1, 18))
    as_of = D(2011, 3, 1)
    assert by_key(world.status("一村", ["2010Q4"], as_of))[("board", "village", "2010Q4")]["status"] == "late"
    world.setting("finance.quarterly_due_day", 20, "甲镇")
    row = by_key(world.status("一村", ["2010Q4"], as_of))[("board", "village", "2010Q4")]
    assert (row["due_date"], row["status"]) == (D(2011, 1, 20), "on_time")
    # a village-level override beats its township's
    world.setting("finance.quarterly_due_day", 10, "一村")
    assert by_key(world.status("一村", ["2010Q4"], as_of))[("board", "village", "2010Q4")]["status"] == "late"


def test_community_posts_residents_board(world):
    rows = by_key(world.status("二社区", ["2010Q4"], D(2011, 3, 1)))
    assert {b for _, b, _ in rows} == {"party", "residents", "finance"}


def test_monthly_finance_village(world):
    # 四村 posts finance monthly (due the 15th of the next month) and the other boards quarterly
    world.post("四村", "finance", "2010-10", D(2010, 11, 10))
    world.post("四村", "finance", "2010-11", D(2010, 12, 20))
    world.post("四村", "finance", "2010Q4", D(2011, 1, 5), title="季度财务")  # a quarterly posting does not replace a month
    rows = by_key(world.status("四村", ["2010Q4"], D(2011, 1, 10)))
    assert ("board", "finance", "2010Q4") not in rows
    assert rows[("board", "finance", "2010-10")]["due_date"] == D(2010, 11, 15)
    assert rows[("board", "finance", "2010-10")]["status"] == "on_time"
    assert rows[("board", "finance", "2010-11")]["status"] == "late"
    assert rows[("board", "finance", "2010-12")]["status"] == "not_yet_due"
    assert rows[("board", "party", "2010Q4")]["due_date"] == D(2011, 1, 20)  # 乙镇's quarterly day still applies
    later = by_key(world.status("四村", ["2010Q4"], D(2011, 1, 16)))
    assert later[("board", "finance", "2010-12")]["status"] == "missing"
    # the grid folds the three months into the quarter's cell, showing the worst
    cell = status_grid(world.status("四村", ["2010Q4"], D(2011, 1, 16)))[(world.ids["四村"], "finance", "2010Q4")]
    assert cell == {"status": "missing", "on_time": 1, "total": 3}
    # a month period counts the monthly obligations only
    month = world.values("四村", "2010-10", D(2011, 1, 16))
    assert month["finance.disclosure_on_time_rate"] == 1.0 and month["finance.boards_posted"] == 1
    # the township changes the monthly due day: November becomes on time
    world.setting("finance.monthly_due_day", 25, "乙镇")
    assert by_key(world.status("四村", ["2010Q4"], D(2011, 1, 16)))[("board", "finance", "2010-11")]["status"] == "on_time"
    # no longer monthly: the months leave the schedule and the quarterly finance board returns
    world.setting("finance.monthly_finance", False, "四村")
    rows = by_key(world.status("四村", ["2010Q4"], D(2011, 1, 16)))
    assert ("board", "finance", "2010-10") not in rows
    assert rows[("board", "finance", "2010Q4")]["status"] == "on_time"
    with world.sdk.transaction() as s:
        from sqlalchemy import select

        keys = set(s.execute(select(Obligation.obligation_key).where(Obligation.region_id == world.ids["四村"])).scalars())
    assert "board:finance:2010-10" not in keys and "board:finance:2010Q4" in keys


def test_major_items(world):
    big = world.entry("一村", D(2010, 3, 10), 6_000_000)  # ¥60,000: due within 5 days, by 2010-03-15
    world.post("一村", "finance", "2010-03", D(2010, 3, 14), kind="special", title="村道补助专项公开",
               items=[{"title": "村道补助", "amount_fen": 6_000_000, "direction": "income", "ledger_entry_id": big}])
    world.entry("一村", D(2010, 5, 1), 5_000_000, voucher="记-0501")  # exactly the threshold: major
    world.entry("一村", D(2010, 5, 2), 4_999_999, voucher="记-0502")  # one fen short: not major
    rows = [r for r in world.status("一村", ["2010Q1", "2010Q2"], D(2010, 5, 6)) if r["kind"] == "major"]
    assert [(r["period"], r["due_date"], r["status"]) for r in rows] == [
        ("2010-03", D(2010, 3, 15), "on_time"), ("2010-05", D(2010, 5, 6), "not_yet_due")]
    assert rows[0]["posted_on"] == D(2010, 3, 14) and rows[0]["ledger_entry_id"] == big
    later = [r for r in world.status("一村", ["2010Q2"], D(2010, 5, 7)) if r["kind"] == "major"]
    assert [r["status"] for r in later] == ["missing"]
    # the major item counts in the rate: Q2 as of mid-July has 3 missed boards + 1 missed major item
    assert world.values("一村", "2010Q2", D(2010, 7, 31))["finance.overdue_boards"] == 4
    # a township raising the threshold to ¥100,000 removes both; more days make nothing late
    world.setting("finance.major_item_threshold_fen", 10_000_000, "甲镇")
    assert [r for r in world.status("一村", ["2010"], D(2010, 7, 31)) if r["kind"] == "major"] == []
    world.setting("finance.major_item_threshold_fen", 4_000_000, "甲镇")
    world.setting("finance.major_item_days", 1, "甲镇")
    rows = [r for r in world.status("一村", ["2010"], D(2010, 7, 31)) if r["kind"] == "major"]
    assert [(r["due_date"], r["status"]) for r in rows] == [(D(2010, 3, 11), "late"), (D(2010, 5, 2), "missing"), (D(2010, 5, 3), "missing")]


def test_queries_overdue(world):
    base = {"region_id": world.ids["一村"], "channel": "oral", "subject": "管理费用开支明细"}
    world.write(Query, [
        {**base, "number": "1", "asker_name": "张三", "received_on": D(2010, 11, 1), "replied_on": D(2010, 11, 11), "reply_text": "已说明"},
        {**base, "number": "2", "asker_name": "李四", "received_on": D(2010, 11, 1), "replied_on": D(2010, 11, 12), "reply_text": "已说明"},
        {**base, "number": "3", "channel": "意见箱", "received_on": D(2010, 11, 20)},  # never answered
        {**base, "number": "4", "received_on": D(2010, 12, 25)},  # not due yet on 2011-01-02
        {**base, "number": "5", "received_on": D(2010, 12, 1), "reply_due": D(2010, 12, 31), "replied_on": D(2010, 12, 30),
         "reply_text": "已说明"},  # its own, longer deadline
    ])
    values = world.values("一村", "2010Q4", D(2011, 1, 2))
    assert values["finance.queries_received"] == 5
    assert values["finance.queries_overdue"] == 2  # no. 2 a day late, no. 3 unanswered
    assert world.values("一村", "2010Q4", D(2011, 1, 10))["finance.queries_overdue"] == 3  # no. 4 now past due
    # 甲镇 allows 15 days: no. 2 becomes on time
    world.setting("finance.query_reply_days", 15, "甲镇")
    assert world.values("一村", "2010Q4", D(2011, 1, 2))["finance.queries_overdue"] == 1
    assert world.values("甲镇", "2010Q4", D(2011, 1, 2))["finance.queries_overdue"] == 1


def test_township_rate_is_recomputed_not_averaged(world):
    as_of = D(2011, 3, 1)
    # 一村: 1 of 3 boards on time.  四村 (monthly finance): party + village + 3 months = 5, all on time.
    world.post("一村", "party", "2010Q4", D(2011, 1, 10))
    for board in ("party", "village"):
        world.post("四村", board, "2010Q4", D(2011, 1, 10))
    for month, day in (("2010-10", D(2010, 11, 5)), ("2010-11", D(2010, 12, 5)), ("2010-12", D(2011, 1, 5))):
        world.post("四村", "finance", month, day)
    one, four = world.values("一村", "2010Q4", as_of), world.values("四村", "2010Q4", as_of)
    assert one["finance.disclosure_on_time_rate"] == pytest.approx(1 / 3)
    assert four["finance.disclosure_on_time_rate"] == 1.0
    # 甲镇 holds 一村 (1/3) and 二社区 (0/3); 乙镇 holds 三村 (0/3) and 四村 (5/5)
    county = world.values("测试县", "2010Q4", as_of)
    assert county["finance.disclosure_on_time_rate"] == pytest.approx(6 / 14)
    assert county["finance.disclosure_on_time_rate"] != pytest.approx((1 / 3 + 0 + 0 + 1) / 4)
    b = world.values("乙镇", "2010Q4", as_of)
    assert b["finance.disclosure_on_time_rate"] == pytest.approx(5 / 8)  # averaging 三村 and 四村 would give 0.5
    a = world.values("甲镇", "2010Q4", as_of)
    assert county["finance.overdue_boards"] == a["finance.overdue_boards"] + b["finance.overdue_boards"] == 8
    assert county["finance.boards_posted"] == 6
    # the same through the engine, village by village
    from sqlmodel import Session

    from shequ_sdk.indicators import compute

    with Session(world.sdk.engine) as s:
        county_region = world.sdk.region("测试县")
        per_village = compute(s, region=county_region, period=Period.parse("2010Q4"), keys=["finance.disclosure_on_time_rate"],
                              level="village", as_of=as_of)
        per_township = compute(s, region=county_region, period=Period.parse("2010Q4"), keys=["finance.disclosure_on_time_rate"],
                               level="township", as_of=as_of)
        s.commit()
    assert per_village[world.ids["四村"]]["finance.disclosure_on_time_rate"] == 1.0
    assert per_township[world.ids["乙镇"]]["finance.disclosure_on_time_rate"] == pytest.approx(5 / 8)


def test_year_rate_and_not_yet_due_are_excluded(world):
    # as of 2010-07-01 only Q1 is decided (Q2 is due in July): Q3/Q4 are not yet due and stay out of the rate
    for board in ("party", "village", "finance"):
        world.post("一村", board, "2010Q1", D(2010, 4, 2))
    world.post("一村", "party", "2010Q2", D(2010, 7, 1))
    v = world.values("一村", "2010", D(2010, 7, 1))
    assert v["finance.disclosure_on_time_rate"] == 1.0  # 4 on time of 4 decided
    assert v["finance.overdue_boards"] == 0
    assert v["finance.boards_posted"] == 4
    v = world.values("一村", "2010", D(2010, 7, 20))
    assert v["finance.disclosure_on_time_rate"] == pytest.approx(4 / 6)


def test_only_published_postings_count(world):
    world.post("一村", "party", "2010Q4", D(2011, 1, 10), status="approved")
    rows = by_key(world.status("一村", ["2010Q4"], D(2011, 3, 1)))
    assert rows[("board", "party", "2010Q4")]["status"] == "missing"
    assert world.values("一村", "2010Q4", D(2011, 3, 1))["finance.boards_posted"] == 0


def test_display_and_reply_defaults_follow_settings(world):
    from sqlalchemy import select

    from shequ_plugin_finance.deadlines import effective_display_until, effective_reply_due
    from shequ_plugin_finance.models import Posting

    world.post("一村", "party", "2010Q4", D(2011, 1, 10))
    world.write(Query, [{"region_id": world.ids["三村"], "number": "1", "channel": "oral", "subject": "x", "received_on": D(2011, 1, 5)},
                        {"region_id": world.ids["三村"], "number": "2", "channel": "oral", "subject": "x", "received_on": D(2011, 1, 5),
                         "reply_due": D(2011, 1, 8)}])
    world.setting("finance.query_reply_days", 7, "乙镇")
    with world.sdk.transaction() as s:
        p = s.execute(select(Posting)).scalar_one()
        assert effective_display_until(s, p) == D(2011, 1, 25)  # 15 days by default
        q1, q2 = s.execute(select(Query).order_by(Query.number)).scalars().all()
        assert (effective_reply_due(s, q1), effective_reply_due(s, q2)) == (D(2011, 1, 12), D(2011, 1, 8))
    world.setting("finance.display_days", 30, "甲镇")
    with world.sdk.transaction() as s:
        assert effective_display_until(s, s.execute(select(Posting)).scalar_one()) == D(2011, 2, 9)


def test_concurrent_refresh_on_postgresql(world):
    """Two sessions schedule the same obligations at once: the second waits, loses, retries, succeeds."""
    import threading
    import time

    from sqlalchemy import func, select
    from sqlmodel import Session

    from shequ_plugin_finance.deadlines import refresh
    from shequ_sdk import Region

    engine = world.sdk.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers; the race exists on PostgreSQL only")
    first = Session(engine)
    county = first.get(Region, world.ids["测试县"])
    assert refresh(first, county, D(2010, 1, 1), D(2010, 12, 31))["inserted"] == 3 * 3 * 4 + (2 * 4 + 12)
    outcome = {}

    def second():
        with Session(engine) as s:
            try:
                outcome["result"] = refresh(s, s.get(Region, world.ids["测试县"]), D(2010, 1, 1), D(2010, 12, 31))
                s.commit()
            except Exception as exc:  # reported below
                outcome["error"] = exc

    t = threading.Thread(target=second)
    t.start()
    time.sleep(1.0)  # the second session is now blocked on the unique key held by the first
    first.commit()
    first.close()
    t.join(30)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["result"]["inserted"] == 0
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(Obligation)).scalar_one() == 3 * 3 * 4 + (2 * 4 + 12)
