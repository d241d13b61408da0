"""Indicators: 受理数, 调解成功率 (= 调解成功数 ÷ 受理数) recomputed at every level, agreement
amounts in exact yuan, follow-up and on-time rates, and patrols."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from shequ_sdk import config
from shequ_sdk.regions import find_region

TODAY = dt.date(2011, 3, 31)
D = dt.date
FAILED = {"status": "failed", "agreement_form": None, "agreement_on": None, "amount_fen": 0}


@pytest.fixture
def cases(world, case_row):
    """一村: 2 settled. 二村: 1 settled, 2 failed, 1 refused (不予受理). 三社区: 1 settled, 1 in progress."""
    sdk = world["sdk"]
    rows = [
        case_row("一村", 1, amount_fen=120000),
        case_row("一村", 2, amount_fen=35050, agreement_form="oral"),
        case_row("二村", 1, amount_fen=0),
        case_row("二村", 2, **FAILED),
        case_row("二村", 3, **FAILED),
        case_row("二村", 4, status="rejected", agreement_form=None, agreement_on=None, amount_fen=0, closed_on=D(2010, 3, 2)),
        case_row("三社区", 1, amount_fen=500000, dispute_type="物业"),
        case_row("三社区", 2, registered_on=D(2010, 12, 20), status="in_progress", agreement_form=None, agreement_on=None,
                 closed_on=None, amount_fen=0),
    ]
    sdk.write("stability_mediation_case", rows, today=TODAY)
    return rows


def _v(sdk, region, key, period="2010", as_of=TODAY):
    return sdk.indicator_values(region, period, keys=[key], as_of=as_of)[key]


def test_cases_and_success_rate_roll_up(world, cases):
    sdk = world["sdk"]
    counts = {r: _v(sdk, r, "stability.mediation_cases") for r in ("一村", "二村", "三社区", "甲镇", "乙镇", "测试县")}
    assert counts == {"一村": 2, "二村": 3, "三社区": 2, "甲镇": 5, "乙镇": 2, "测试县": 7}
    rate = {r: _v(sdk, r, "stability.mediation_success_rate") for r in ("一村", "二村", "三社区", "甲镇", "乙镇", "测试县")}
    assert rate["一村"] == 1.0 and rate["二村"] == pytest.approx(1 / 3) and rate["三社区"] == 0.5
    # 甲镇 = (2 + 1) / (2 + 3) = 0.6; averaging its villages would give (1 + 1/3) / 2 = 0.667
    assert rate["甲镇"] == pytest.approx(0.6)
    assert rate["甲镇"] != pytest.approx((rate["一村"] + rate["二村"]) / 2)
    assert rate["测试县"] == pytest.approx(4 / 7)
    # by quarter: the December case counts in Q4 only
    assert _v(sdk, "三社区", "stability.mediation_cases", "2010Q4") == 1
    assert _v(sdk, "三社区", "stability.mediation_success_rate", "2010Q4") == 0.0
    assert _v(sdk, "测试县", "stability.mediation_cases", "2010-03") == 6
    # cases registered after the as-of day do not count yet
    assert _v(sdk, "测试县", "stability.mediation_cases", as_of=D(2010, 6, 30)) == 6


def test_agreement_amount_is_exact_yuan(world, cases):
    sdk = world["sdk"]
    county = _v(sdk, "测试县", "stability.agreement_amount")
    assert isinstance(county, Decimal) and county == Decimal("6550.50")
    assert _v(sdk, "甲镇", "stability.agreement_amount") + _v(sdk, "乙镇", "stability.agreement_amount") == county
    assert _v(sdk, "一村", "stability.agreement_amount") == Decimal("1550.50")


def test_follow_up_rate(world, cases):
    from shequ_plugin_stability import MediationCase

    sdk, r = world["sdk"], world["regions"]
    with sdk.transaction() as s:
        ids = dict(s.execute(select(MediationCase.case_no, MediationCase.id)).all())
    sdk.write("stability_follow_up", [
        {"region_id": r["一村"], "case_id": ids["(2010)一人调字第1号"], "visit_date": D(2010, 3, 25), "visitor": "王调解", "performance": "performed"},
        {"region_id": r["一村"], "case_id": ids["(2010)一人调字第1号"], "visit_date": D(2010, 4, 25), "visitor": "王调解", "performance": "performed"},
        {"region_id": r["三社区"], "case_id": ids["(2010)三人调字第1号"], "visit_date": D(2010, 3, 20), "visitor": "王调解", "performance": "partial"},
    ], today=TODAY)
    assert _v(sdk, "测试县", "stability.follow_up_rate") == pytest.approx(2 / 4)
    assert _v(sdk, "甲镇", "stability.follow_up_rate") == pytest.approx(1 / 3)
    assert _v(sdk, "测试县", "stability.follow_up_rate", as_of=D(2010, 3, 21)) == pytest.approx(1 / 4)


def test_closed_on_time_uses_default_due_dates_from_settings(world, case_row):
    from shequ_plugin_stability import MediationCase

    sdk = world["sdk"]
    sdk.write("stability_mediation_case", [
        case_row("一村", 1, closed_on=D(2010, 3, 11), agreement_on=D(2010, 3, 11)),            # day 10: on time
        case_row("一村", 2, closed_on=D(2010, 4, 5), agreement_on=D(2010, 4, 5)),              # day 35, no due date: late
        case_row("二村", 1, closed_on=D(2010, 4, 15), agreement_on=D(2010, 4, 15),
                 due_on=D(2010, 4, 30), extension_agreed=True),                                  # day 45 within the agreed extension
        case_row("三社区", 1, closed_on=D(2010, 4, 5), agreement_on=D(2010, 4, 5)),             # day 35 in 乙镇, which allows 40 days
    ], today=TODAY)
    with sdk.transaction() as s:
        config.set_value(s, "stability.mediation_days", 40, find_region(s, "乙镇"))
    assert _v(sdk, "测试县", "stability.closed_on_time_rate") == pytest.approx(3 / 4)
    assert _v(sdk, "甲镇", "stability.closed_on_time_rate") == pytest.approx(2 / 3)
    assert _v(sdk, "测试县", "stability.closed_on_time_rate", "2010Q1") == 1.0
    # the default is the Setting as it is now, and reading stores nothing
    with sdk.transaction() as s:
        config.set_value(s, "stability.mediation_days", 35, find_region(s, "甲镇"))
    assert _v(sdk, "甲镇", "stability.closed_on_time_rate") == 1.0
    with sdk.transaction() as s:
        due = dict(s.execute(select(MediationCase.case_no, MediationCase.due_on)).all())
    assert due == {"(2010)一人调字第1号": None, "(2010)一人调字第2号": None,
                   "(2010)二人调字第1号": D(2010, 4, 30), "(2010)三人调字第1号": None}


def test_patrol_indicators_sum_up(world):
    sdk, r = world["sdk"], world["regions"]
    rows = [{"region_id": r[v], "patrol_date": D(2010, m, d), "team": "巡逻队", "participants": n, "hours": h, "issues_found": i,
             "issues_note": "已处理" if i else None}
            for v, m, d, n, h, i in (("一村", 1, 5, 4, 2.0, 0), ("一村", 2, 5, 6, 2.5, 1), ("二村", 2, 9, 3, 3.0, 0),
                                     ("三社区", 7, 1, 10, 4.0, 2), ("三社区", 12, 31, 5, 1.5, 0))]
    sdk.write("stability_patrol", rows, today=TODAY)
    assert _v(sdk, "测试县", "stability.patrols") == 5
    assert _v(sdk, "甲镇", "stability.patrols") == 3
    assert _v(sdk, "测试县", "stability.patrols", "2010Q1") == 3
    assert _v(sdk, "测试县", "stability.patrol_person_hours") == pytest.approx(8 + 15 + 9 + 40 + 7.5)
    assert _v(sdk, "乙镇", "stability.patrol_person_hours") == pytest.approx(47.5)
    assert _v(sdk, "测试县", "stability.patrol_issues") == 3
